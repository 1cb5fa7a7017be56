#!/bin/bash
# netd-cni driven through libcni (tests/clients/cnirun, built offline from Debian's
# golang-github-appc-cni-dev): VERSION probing, capability args, the result cache that feeds
# CHECK and DEL their prevResult, ADD/CHECK/DEL results, a published port answering, CHECK
# noticing damage, idempotent DEL, DEL after the namespace is gone, and nothing left after;
# then a dual-stack conflist (0.4.0): both ips, IPv6 from the host, CHECK of both families, DEL.
# shellcheck source=clients.sh
source "$(dirname "$0")/clients.sh"
clients_enter "$@"
need_bin busybox curl

build_cnirun

NET=lcnet
SUBNET=10.98.1.0/24
GW=10.98.1.1
LIST=$WORK/$NET.conflist
write_conflist "$LIST" $NET lcbr0 $SUBNET ', "capabilities": { "portMappings": true }'
run() { timeout 60 "$CNIRUN" -conflist "$LIST" -path "$PLUGINS" -cache /var/lib/cni "$@"; }
WWW=$WORK/www
mkdir -p "$WWW"
echo libcni-page >"$WWW/index.html"
mkns c1
mkns c2
NS1=/run/netns/c1
NS2=/run/netns/c2
NS_ERR=$WORK/add.err

out=$(run validate 2>&1)
check "libcni validates the conflist (VERSION probe; portMappings capability)" \
	grep -q '"portMappings"' <<<"$out"

# -- ADD with a port mapping passed as capability args
# (stderr apart: the first ADD says there that it turned IP forwarding on)
if res=$(run -netns $NS1 -id c1 -p 8080:80 add 2>"$NS_ERR"); then ok "ADD c1 -p 8080:80"; else
	not_ok "ADD c1 -p 8080:80"
	printf '%s\n' "$res" | cat - "$NS_ERR" | sed 's/^/#   /'
fi
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$@" 2>/dev/null; }
IP1=$(field "$res" 'd["ips"][0]["address"].split("/")[0]')
check_eq "ADD result: cniVersion of the conflist" 1.0.0 "$(field "$res" 'd["cniVersion"]')"
check "ADD result: an address in $SUBNET (${IP1:-none})" test "${IP1%.*}" = "${GW%.*}"
check_eq "ADD result: gateway" $GW "$(field "$res" 'd["ips"][0]["gateway"]')"
check_eq "ADD result: eth0 is in the sandbox $NS1" $NS1 \
	"$(field "$res" '[i.get("sandbox","") for i in d["interfaces"] if i["name"]=="eth0"][0]')"
check_eq "ADD result: the default route (ipam.routes)" 0.0.0.0/0 "$(field "$res" 'd["routes"][0]["dst"]')"
check "c1's eth0 carries $IP1" sh -c "ip -n c1 -4 addr show eth0 | grep -q 'inet $IP1/'"
check "c1's default route goes via $GW" sh -c "ip -n c1 route show default | grep -q 'via $GW '"
check "bridge lcbr0 carries $GW" sh -c "ip -4 addr show lcbr0 | grep -q 'inet $GW/'"
check "libcni cached the ADD result" run -netns $NS1 -id c1 cached
check_eq "one lease, one claim, one map element" "1 1 1" \
	"$(count_leases) $(count_claims) $(count_map_elements)"
check_eq "libcni passed the capability args on as runtimeConfig.portMappings" 1 \
	"$(configs_with ADD '"runtimeConfig": *\{ *"portMappings": *\[ *\{[^]]*"hostPort": *8080')"

# -- CHECK gets prevResult from libcni's cache
check "CHECK c1 (prevResult from libcni's cache)" run -netns $NS1 -id c1 check

# -- a second container; the two reach each other; the port answers from everywhere
if res2=$(run -netns $NS2 -id c2 add 2>&1); then ok "ADD c2"; else
	not_ok "ADD c2"
	printf '%s\n' "$res2" | sed 's/^/#   /'
fi
IP2=$(field "$res2" 'd["ips"][0]["address"].split("/")[0]')
check "c2 got another address (${IP2:-none})" test -n "$IP2" -a "$IP2" != "$IP1"
check "c1 reaches c2 over the bridge" ip netns exec c1 ping -c1 -W2 "$IP2"
ip netns exec c1 busybox httpd -f -p 80 -h "$WWW" &
until_ok 50 curl -fsS -m 1 -o /dev/null "http://$IP1/"
check "the published port answers on 127.0.0.1:8080" page_is http://127.0.0.1:8080/ libcni-page
check "the published port answers on the gateway $GW:8080" page_is http://$GW:8080/ libcni-page
check "c2 reaches c1 through the published port" \
	sh -c "ip netns exec c2 curl -fsS -m 3 http://$GW:8080/ | grep -qx libcni-page"
check "c1 reaches its own published port (hairpin)" \
	sh -c "ip netns exec c1 curl -fsS -m 3 http://$GW:8080/ | grep -qx libcni-page"

# -- CHECK notices damage; a second ADD of the same attachment is refused and changes nothing
ip -n c2 addr flush dev eth0
check_fails "CHECK c2 fails once its address was flushed" run -netns $NS2 -id c2 check
check_fails "a second ADD of c1/eth0 is refused" run -netns $NS1 -id c1 -p 8081:80 add
check_eq "...and changed nothing (2 leases, 1 claim, 1 map element)" "2 1 1" \
	"$(count_leases) $(count_claims) $(count_map_elements)"

# -- DEL: with the port, of the damaged c2, again, and after the namespace is gone
check "DEL c1" run -netns $NS1 -id c1 -p 8080:80 del
check "c1's eth0 is gone" sh -c "! ip -n c1 link show eth0 2>/dev/null"
check_fails "the port no longer answers" curl -fsS -m 2 http://127.0.0.1:8080/
check "DEL c1 again (idempotent)" run -netns $NS1 -id c1 -p 8080:80 del
ip netns del c2
check "DEL c2 after its namespace was deleted" run -netns $NS2 -id c2 del
check "libcni's result cache is empty" sh -c "[ -z \"\$(ls -A /var/lib/cni/results 2>/dev/null)\" ]"
check_eq "spy: netd-cni got 3 ADDs, 2 CHECKs, 3 DELs" "3 2 3" "$(calls ADD) $(calls CHECK) $(calls DEL)"
nothing_left "after DEL"

# -- dual stack, cniVersion 0.4.0 (libcni reads "version" per ip in that shape): an IPv4 and an
# IPv6 range set, both default routes, the IPv6 address asked for through CNI_ARGS
NET6=lc6net
LIST6=$WORK/$NET6.conflist
cat >"$LIST6" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$NET6",
  "plugins": [
    { "type": "netd-cni", "bridge": "lc6br0", "isGateway": true, "ipMasq": true,
      "ipam": { "type": "netd",
                "ranges": [ [ { "subnet": "10.98.4.0/24" } ], [ { "subnet": "fd98:4::/64" } ] ],
                "routes": [ { "dst": "0.0.0.0/0" }, { "dst": "::/0" } ] } }
  ]
}
EOF
run6() { timeout 60 "$CNIRUN" -conflist "$LIST6" -path "$PLUGINS" -cache /var/lib/cni "$@"; }
mkns d1
# stdout only: the result. stderr may carry a notice (an ADD that turns IPv6 forwarding on
# says so).
if res6=$(run6 -netns /run/netns/d1 -id d1 -args "IgnoreUnknown=1;IP=fd98:4::44" add \
	2>"$WORK/add6.err"); then
	ok "ADD d1 on the dual-stack conflist (IP=fd98:4::44)"
else
	not_ok "ADD d1 on the dual-stack conflist (IP=fd98:4::44)"
	sed 's/^/#   /' "$WORK/add6.err"
fi
check_eq "ADD result (0.4.0 through libcni): both ips with their versions and gateways" \
	"4 10.98.4.1 6 fd98:4::44/64 fd98:4::1" \
	"$(field "$res6" '" ".join([d["ips"][0]["version"], d["ips"][0]["gateway"], d["ips"][1]["version"], d["ips"][1]["address"], d["ips"][1]["gateway"]])')"
check_eq "ADD result: both default routes" "0.0.0.0/0 ::/0" \
	"$(field "$res6" '" ".join(sorted(r["dst"] for r in d["routes"]))')"
check "d1's eth0 carries fd98:4::44, not tentative" \
	sh -c "ip -n d1 -6 addr show eth0 | grep 'inet6 fd98:4::44/64' | grep -vq tentative"
check "the host reaches d1 over IPv6" ping -6 -c1 -W2 fd98:4::44
check "CHECK d1 (libcni, both families)" run6 -netns /run/netns/d1 -id d1 check
ip -n d1 -6 addr flush dev eth0 scope global
check_fails "CHECK d1 fails once its IPv6 address is gone" run6 -netns /run/netns/d1 -id d1 check
check "DEL d1" run6 -netns /run/netns/d1 -id d1 del
nothing_left "after the dual-stack DEL"
finish
