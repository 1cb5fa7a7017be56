#!/bin/bash
# IPv6-only networks (issue 14, docs/ipv6.md) through `netd attach` in a lab host: a network with
# subnet6 alone, no IPv4 anywhere (bridge, container, leases, table ip netd's subnet sets, IPv4
# forwarding); `-p 8080:80` published on [::] only and reached from an external namespace, from
# the host and by hairpin; containers reach each other over IPv6, not those of another network;
# masquerade6 to the outside; internal and icc=false; bad input (an IPv4 --ip or host address)
# refused, changing nothing; check, doctor, gc after a flush; detach and kill + gc leave no
# lease, claim, element or veth.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT

tag_servers # srv.py, cli.py, serve, ask, tag (tests/lib.sh)
jget() { $PY -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
count_elems() { # FAMILY: elements of the publish maps of table FAMILY netd
	nft -j list table "$1" netd 2>/dev/null | $PY -c '
import json,sys
try: d=json.load(sys.stdin)
except Exception: print(0); sys.exit()
print(sum(len(o["map"].get("elem",[])) for o in d.get("nftables",[]) if "map" in o and o["map"]["name"].startswith("pub")))'
}
set_elems() { # FAMILY SET: the elements of a set of table FAMILY netd, one a line
	nft -j list set "$1" netd "$2" 2>/dev/null | $PY -c '
import json,sys
try: d=json.load(sys.stdin)
except Exception: sys.exit()
for o in d.get("nftables",[]):
    for e in o.get("set",{}).get("elem",[]): print(json.dumps(e, sort_keys=True))'
}
leases4() { find "$NETD_STATE_DIR/networks" -path '*/ips/*' -type f ! -name '*:*' 2>/dev/null | wc -l; }
leases6() { find "$NETD_STATE_DIR/networks" -path '*/ips/*:*' -type f 2>/dev/null | wc -l; }
claims4() { find "$NETD_STATE_DIR/ports" -mindepth 2 -type f ! -name '*:*' ! -name '.*' 2>/dev/null | wc -l; }
state() { echo "$(count_veths) $(leases4) $(leases6) $(count_claims) $(count_elems ip) $(count_elems ip6)"; }
bad() { # NAME EXPECTED-TEXT CMD...: fails with that text
	local name=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -qF -- "$want"; then
		ok "$name"
	else
		not_ok "$name (rc=$rc)"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -5
	fi
}

# ---- the lab host: ext0 to an external machine (no route to our subnets) ----
HOST4=192.168.58.1
HOST6=2001:db8:58::1
EXT4=192.168.58.2
EXT6=2001:db8:58::2
lab_ext $HOST4 $HOST6 $EXT4 $EXT6
serve ext 7000 E
echo 0 >/proc/sys/net/ipv4/ip_forward

# ---- the network ----
check "network create v6lab --subnet fd78::/64 (IPv6 only)" \
	"$NETD" network create v6lab --subnet fd78::/64
out=$("$NETD" network inspect v6lab --json)
check_eq "inspect: subnet6, no IPv4 subnet" "fd78::/64 False False" \
	"$(echo "$out" | jget '["subnet6"], "subnet" in d, "gateway" in d' | tr -d "(),'")"
check_eq "inspect: gateway6 fd78::1" "fd78::1" "$(echo "$out" | jget '["gateway6"]')"
check "inspect (text) names subnet6 and no IPv4 subnet" \
	sh -c "'$NETD' network inspect v6lab | grep -q 'subnet6  fd78::/64' && '$NETD' network inspect v6lab | grep -q 'subnet   - (IPv6 only)'"
check "ls shows fd78::/64 and gateway fd78::1" \
	sh -c "'$NETD' network ls | grep -E '^v6lab +fd78::/64 +fd78::1 '"
check_eq "the subnet file has no IPv4 line" "" \
	"$(grep -E '^(subnet|gateway|range|masquerade)=' "$NETD_CONFIG_DIR/v6lab.conf")"
check "network create v6b: a second IPv6-only network" "$NETD" network create v6b --subnet fd79::/64
check "a subnet file with subnet6 alone loads" sh -c "printf 'subnet6=fd7b::/64\ngateway6=fd7b::fe\nrange6=fd7b::10-fd7b::20\nmasquerade6=no\n' >'$NETD_CONFIG_DIR/v6file.conf' && '$NETD' network inspect v6file --json | grep -q 'fd7b::10-fd7b::20'"
rm -f "$NETD_CONFIG_DIR/v6file.conf"
bad "an IPv4 gateway without an IPv4 subnet is refused" "gateway without subnet" \
	"$NETD" network create bad --subnet fd7c::/64 --gateway 10.1.1.1
bad "an IPv6-only subnet overlapping v6lab is refused" "overlaps network v6lab" \
	"$NETD" network create bad --subnet fd78:0:0:0:1::/80
check_fails "no subnet file for them" test -e "$NETD_CONFIG_DIR/bad.conf"

for c in c1 c2 c3 c4 d1 i1 i2; do
	mkns $c
	serve $c 80 "$(echo $c | tr a-z A-Z)"
done

# ---- attach -p 8080:80: IPv6 only ----
out=$("$NETD" attach v6lab --netns /run/netns/c1 --id c1 -p 8080:80 2>"$LAB_DIR/attach.err")
check_eq "attach c1 -p 8080:80" 0 $?
sed 's/^/# stderr: /' "$LAB_DIR/attach.err"
check_eq "attach JSON: address6 fd78::2/64, no IPv4 address" "fd78::2/64 False" \
	"$(echo "$out" | jget '["address6"], "address" in d' | tr -d "(),'")"
check_eq "c1 has no IPv4 address" "" "$(ip -n c1 -4 -o addr show dev eth0)"
check "c1 has fd78::2/64" sh -c "ip -n c1 -6 -br addr show dev eth0 | grep -q 'fd78::2/64'"
check "c1's default route is IPv6 via fd78::1" sh -c "ip -n c1 -6 route show default | grep -q 'via fd78::1 dev eth0'"
check_eq "c1 has no IPv4 route" "" "$(ip -n c1 -4 route show)"
check_eq "the bridge has no IPv4 address" "" "$(ip -4 -o addr show dev v6lab)"
check_eq "the bridge: gateway6 and its link-local address" "fd78::1/64 link" \
	"$(ip -6 -o addr show dev v6lab | awk '{print $4=="fd78::1/64" ? $4 : $6}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "IPv4 forwarding not switched on" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "IPv6 forwarding on" 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
check_eq "one lease (IPv6), no IPv4 lease" "0 1" "$(leases4) $(leases6)"
check_eq "one claim ([::]:8080), no IPv4 one" "1 0" "$(count_claims) $(claims4)"
check_eq "one element in table ip6 netd, none in table ip netd" "0 1" "$(count_elems ip) $(count_elems ip6)"
check_eq "table ip netd: no subnet element for it (nets, masq_nets)" "" \
	"$(set_elems ip nets; set_elems ip masq_nets)"
check "table ip6 netd: nets holds fd78::/64" sh -c "nft list set ip6 netd nets | grep -q 'fd78::/64'"
check_eq "record has no ip= line" "" "$(grep '^ip=' "$NETD_STATE_DIR/networks/v6lab/endpoints/c1@eth0")"
check "ps shows [::]:8080 and the IPv6 address" sh -c "'$NETD' ps | grep c1 | grep '\[::\]:8080->80/tcp' | grep -q 'fd78::2'"
check_eq "ps and inspect print no (null) and no 0.0.0.0" "" \
	"$({ "$NETD" ps; "$NETD" network inspect v6lab; } | grep -E '\(null\)|0\.0\.0\.0')"
check "doctor: IPv4 forwarding not needed while every network is IPv6-only" \
	sh -c "'$NETD' doctor | grep -q 'ip_forward .*every network is IPv6-only'"
check "netd check c1" "$NETD" check v6lab --id c1

# ---- traffic ----
check_eq "ext -> [$HOST6]:8080 reaches c1 (the peer kept)" "C1 $EXT6" "$(ask ext $HOST6 8080)"
check_eq "ext -> $HOST4:8080 gets nothing (no IPv4)" FAIL "$(tag ext $HOST4 8080)"
check_eq "host -> [$HOST6]:8080 reaches c1" C1 "$(tag - $HOST6 8080)"
check_eq "host -> [::1]:8080 gets nothing (no route_localnet for IPv6)" FAIL "$(tag - ::1 8080)"
check "attach c2 (no port)" "$NETD" attach v6lab --netns /run/netns/c2 --id c2
check_eq "hairpin: c2 -> [$HOST6]:8080 reaches c1" C1 "$(tag c2 $HOST6 8080)"
check_eq "hairpin: c1 -> its own [$HOST6]:8080" C1 "$(tag c1 $HOST6 8080)"
check_eq "between containers: c2 -> [fd78::2]:80" "C1 fd78::3" "$(ask c2 fd78::2 80)"
check_eq "ext -> c1's own address [fd78::2]:80 (not published) gets nothing" FAIL \
	"$(ip -n ext -6 route add fd78::/64 via $HOST6 && tag ext fd78::2 80)"
ip -n ext -6 route del fd78::/64 via $HOST6
check "c1 -> [$EXT6]:7000 is masqueraded to the host (masquerade6)" \
	grep -qx "E $HOST6" <<<"$(ask c1 $EXT6 7000)"
check "network create lab (dual stack, for isolation)" \
	"$NETD" network create lab --subnet 10.86.0.0/24 --subnet fd86::/64
check "attach d1 to lab (dual stack)" "$NETD" attach lab --netns /run/netns/d1 --id d1
D1_6=$(ip -n d1 -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
check_eq "across networks: c1 -> d1 [$D1_6]:80 is refused" FAIL "$(tag c1 "$D1_6" 80)"
check_eq "across networks: d1 -> c1 [fd78::2]:80 is refused" FAIL "$(tag d1 fd78::2 80)"
# DNS to a gateway is answered only from that gateway's bridge, over IPv6 as over IPv4 (set
# dns_gw of table ip6 netd); the gateways stay the host's addresses on other ports
$PY "$LAB_DIR/srv.py" 53 dns &
PIDS+=($!)
$PY "$LAB_DIR/srv.py" 7778 host &
PIDS+=($!)
wait_until 50 sh -c "ss -ltn | grep -q ':53 ' && ss -ltn | grep -q ':7778 '"
check_eq "dns: c1 -> its gateway [fd78::1]:53/tcp" "dns fd78::2" "$(ask c1 fd78::1 53)"
check_eq "dns: d1 -> its gateway [fd86::1]:53/tcp" "dns $D1_6" "$(ask d1 fd86::1 53)"
check_eq "dns: c1 -> lab's gateway [fd86::1]:53/tcp: dropped" FAIL "$(tag c1 fd86::1 53)"
check_eq "dns: d1 -> v6lab's gateway [fd78::1]:53/tcp: dropped" FAIL "$(tag d1 fd78::1 53)"
check_eq "dns: c1 -> lab's gateway, another port: still the host's" "host fd78::2" \
	"$(ask c1 fd86::1 7778)"
check_eq "dns_gw of table ip6 netd: one bridge . gateway pair per network" \
	"fd78::1 fd86::1" "$(set_elems ip6 dns_gw | grep -oE 'fd(78|86)::1' | sort | tr '\n' ' ' | sed 's/ $//')"
check "attach c3 -p [::]:8081:80" "$NETD" attach v6lab --netns /run/netns/c3 --id c3 -p "[::]:8081:80"
check_eq "ext -> [$HOST6]:8081 reaches c3" C3 "$(tag ext $HOST6 8081)"
check "attach c4 -p [$HOST6]:8082:80 --ip fd78::99" \
	"$NETD" attach v6lab --netns /run/netns/c4 --id c4 -p "[$HOST6]:8082:80" --ip fd78::99
check "c4 has the address asked for" sh -c "ip -n c4 -6 -br addr show dev eth0 | grep -q 'fd78::99/64'"
check_eq "ext -> [$HOST6]:8082 reaches c4" C4 "$(tag ext $HOST6 8082)"

# ---- bad input: a clear error, nothing changed ----
before=$(state)
bad "--ip with an IPv4 address is refused" "network v6lab has no IPv4" \
	"$NETD" attach v6lab --netns /run/netns/c2 --id x1 --ip 10.78.0.5
bad "-p 0.0.0.0:8090:80 is refused" "network v6lab has no IPv4" \
	"$NETD" attach v6lab --netns /run/netns/c2 --id x2 -p 0.0.0.0:8090:80
bad "-p $HOST4:8090:80 is refused" "network v6lab has no IPv4" \
	"$NETD" attach v6lab --netns /run/netns/c2 --id x3 -p $HOST4:8090:80
bad "-p [$HOST6]:8082:80 again: taken on that address" "8082" \
	"$NETD" attach v6lab --netns /run/netns/c2 --id x4 -p "[$HOST6]:8082:80"
check_eq "nothing changed: veths, leases (v4, v6), claims, elements (ip, ip6)" "$before" "$(state)"
check_fails "no record for the refused attaches" sh -c "ls '$NETD_STATE_DIR/networks/v6lab/endpoints' | grep -q '^x'"

# ---- internal and icc=false ----
check "network create v6int --internal" "$NETD" network create v6int --subnet fd7a::/64 --internal
bad "internal: -p refused" "is internal" \
	"$NETD" attach v6int --netns /run/netns/i1 --id i1 --ifname eth1 -p 8099:80
check "attach i1 to v6int" "$NETD" attach v6int --netns /run/netns/i1 --id i1 --ifname eth1
check_eq "internal: no default route" "" "$(ip -n i1 -6 route show default)"
check_eq "internal: i1 -> [$EXT6]:7000 gets nothing" FAIL "$(tag i1 $EXT6 7000)"
check "network create v6icc --icc=false" "$NETD" network create v6icc --subnet fd7d::/64 --icc=false
check "attach i2 and c4 to v6icc" sh -c "'$NETD' attach v6icc --netns /run/netns/i2 --id i2 --ifname eth2 >/dev/null && '$NETD' attach v6icc --netns /run/netns/c4 --id c4 --ifname eth2 >/dev/null"
I2=$(ip -n i2 -6 -o addr show dev eth2 scope global | awk '{print $4}' | cut -d/ -f1)
check_eq "icc=false: c4 -> i2 [$I2]:80 gets nothing" FAIL "$(tag c4 "$I2" 80)"
check_eq "icc=false: i2 -> [$EXT6]:7000 still works" E "$(tag i2 $EXT6 7000)"
check "detach i1, i2, c4@eth2" sh -c "'$NETD' detach v6int --id i1 --ifname eth1 && '$NETD' detach v6icc --id i2 --ifname eth2 && '$NETD' detach v6icc --id c4 --ifname eth2"

# ---- doctor, gc ----
out=$("$NETD" doctor 2>&1)
check_eq "doctor: no lease-missing, no 0.0.0.0" "" "$(echo "$out" | grep -E 'lease-missing|0\.0\.0\.0|network-conflict')"
check "doctor names the network by its subnet6" grep -q "network v6lab: fd78::/64 on bridge v6lab" <<<"$out"
before=$(state)
check "gc with every namespace alive" "$NETD" gc
check_eq "  ... changes nothing (no IPv4 lease made up)" "$before" "$(state)"
nft flush ruleset
check "netd gc after nft flush ruleset" "$NETD" gc
check_eq "  ... puts the elements back" "$before" "$(state)"
check_eq "  ... ext -> [$HOST6]:8080 reaches c1 again" C1 "$(tag ext $HOST6 8080)"

# ---- teardown: detach, and kill + gc ----
check "detach c3" "$NETD" detach v6lab --id c3
check_eq "  ... its lease, claim and element are gone (d1's lease on lab stays)" "4 2 2" \
	"$(leases6) $(count_claims) $(count_elems ip6)"
ip netns pids c4 | xargs -r kill
ip netns del c4
check "gc after c4's namespace died" "$NETD" gc
check_eq "  ... its lease, claim and element are gone" "3 1 1" "$(leases6) $(count_claims) $(count_elems ip6)"
check "detach c1, c2, d1" sh -c "'$NETD' detach v6lab --id c1 && '$NETD' detach v6lab --id c2 && '$NETD' detach lab --id d1"
check_eq "nothing left: veths, leases (v4, v6), claims, elements (ip, ip6)" "0 0 0 0 0 0" "$(state)"
check_eq "ext -> [$HOST6]:8080 gets nothing once c1 is gone" FAIL "$(tag ext $HOST6 8080)"
check "network rm v6lab" "$NETD" network rm v6lab
check_fails "  ... its bridge is gone" ip link show v6lab

finish
