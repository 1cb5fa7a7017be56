#!/bin/bash
# What must never be accepted, and routes (issue 11), with the messages of issue 16, in a lab host:
#  1. the caller's own network namespace as a container's (CLI, CNI): refused, nothing changed,
#     the lab host's default route intact;
#  2. networks that overlap or share a name, across netd's config dir and netd-cni's: refused on
#     create, on CNI ADD and on attach of hand-written subnet files, naming the other network;
#     a failed attach leaves no bridge it made; netd network ls/inspect/doctor show netd-cni's;
#  3. routes: the default route only on a namespace's first interface (--default-route to take
#     it), CNI's isDefaultGateway / ipam.routes as the reference bridge + host-local mean them,
#     routes= of subnet files installed, checked and reported; isGateway and the bridge address;
#  4. a -p / hostIP address the host does not have: refused before anything is claimed;
#  5. the release build ignores NETD_FAIL_AT (fault points are in test builds only);
#  6. messages: a host port given twice, a network name too long for a bridge, --netns NAME.
# Never /proc/1/ns/net: outside a PID namespace that is the machine's own network namespace.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

CNI=$BUILD/netd-cni
RELEASE=${RELEASE_BUILD:-$TOP/build}
case $RELEASE in /*) ;; *) RELEASE=$TOP/$RELEASE ;; esac
ERR=$LAB_DIR/err.txt
OUT=$LAB_DIR/out.json
CNIDIR=$NETD_STATE_DIR/cni-networks

jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$@"; }
# Everything attach or a refusal could leave: state files, veths, bridges, addresses, nft ports.
state() {
	echo "veths=$(count_veths) leases=$(count_leases) elems=$(count_map_elements)"
	# (networks/NET/last: where the allocator resumes; a hint, owned by nobody)
	find "$NETD_STATE_DIR" "$NETD_CONFIG_DIR" -type f -not -name '*lock' -not -name last \
		2>/dev/null | sort
	ip -o link show type bridge | awk '{print $2}'
	ip -4 -o addr show | awk '{print $2, $4}'
	# (a bridge whose last port went turns "linkdown" a moment later: not a change of ours)
	ip route show | sed 's/ linkdown//'
}
default_route() { ip route show default; }
# cni CMD ID NETNS IFNAME CONFIG: netd-cni defining networks in its own dir, as in production
# (NETD_CONFIG_DIR alone would make it define them in netd's)
cni() {
	printf '%s' "$5" | env NETD_CNI_CONFIG_DIR="$CNIDIR" CNI_COMMAND="$1" CNI_CONTAINERID="$2" \
		CNI_NETNS="$3" CNI_IFNAME="$4" CNI_PATH=/usr/lib/cni "$CNI" >"$OUT" 2>"$ERR"
}
# into_out NAME CMD...: ok if CMD succeeds; its stdout in $OUT
into_out() {
	local name=$1
	shift
	if "$@" >"$OUT" 2>"$ERR"; then ok "$name"; else not_ok "$name" && sed 's/^/#   /' "$ERR"; fi
}
cni_code() { jq_ 'd.get("code")' "$OUT" 2>/dev/null; }
cni_msg() { jq_ 'd.get("msg")' "$OUT" 2>/dev/null; }
# cniconf NAME SUBNET [EXTRA-MEMBERS] [IPAM-EXTRA] [VERSION]
cniconf() {
	printf '{"cniVersion":"%s","name":"%s","type":"netd-cni","bridge":"br-%s"%s,"ipam":{"type":"netd","subnet":"%s"%s}}' \
		"${5:-1.0.0}" "$1" "$1" "${3:-}" "$2" "${4:-}"
}
GWDEF=',"isGateway":true'
RDEF=',"routes":[{"dst":"0.0.0.0/0"}]'

# The lab host's uplink and default route, as a real host has them.
ip link add ext0 type veth peer name ext1
ip netns add ext
ip link set ext1 netns ext
ip addr add 192.0.2.1/24 dev ext0
ip link set ext0 up
ip -n ext addr add 192.0.2.2/24 dev ext1
ip -n ext link set ext1 up
ip route add default via 192.0.2.2
HOSTDEF=$(default_route)

# ---- 1. the caller's own network namespace ----
check "network create lab" "$NETD" network create lab --subnet 10.31.0.0/24
mount --bind /proc/$$/ns/net "$(touch /run/netns/hostself && echo /run/netns/hostself)"
before=$(state)
for ns in /proc/$$/ns/net /proc/self/ns/net /run/netns/hostself; do
	rc=0
	"$NETD" attach lab --netns "$ns" --id h --ifname eth9 >/dev/null 2>"$ERR" || rc=$?
	check_eq "netd attach --netns $ns (the lab host's own) is refused with exit 2" 2 "$rc"
	check "  ... saying it is the caller's own namespace" grep -q "own network namespace" "$ERR"
done
check_eq "  ... the host's default route is untouched" "$HOSTDEF" "$(default_route)"
check_fails "  ... no eth9 on the host" ip link show eth9
check_eq "  ... nothing changed (state, links, addresses, routes)" "$before" "$(state)"
check_fails "CNI ADD with CNI_NETNS=/proc/self/ns/net fails" \
	cni ADD h /proc/self/ns/net eth9 "$(cniconf selfnet 10.32.0.0/24 "$GWDEF" "$RDEF")"
check "  ... with the spec's error object naming the reason" grep -q "own network namespace" "$OUT"
check_eq "  ... the host's default route is untouched" "$HOSTDEF" "$(default_route)"
check_eq "  ... no veth, lease or bridge" "0 0 none" \
	"$(count_veths) $(count_leases) $(ip -o link show br-selfnet >/dev/null 2>&1 && echo br || echo none)"
umount /run/netns/hostself && rm -f /run/netns/hostself

# ---- 2. overlapping networks, everywhere ----
mkns a1
mkns a2
check "CNI ADD a1 on cnA 10.88.0.0/16 (netd-cni's own config dir)" \
	cni ADD a1 /run/netns/a1 eth0 "$(cniconf cnA 10.88.0.0/16 "$GWDEF" "$RDEF")"
check "  ... defined in \$NETD_STATE_DIR/cni-networks" test -f "$CNIDIR/cnA.conf"
A1IP=$(jq_ 'd["ips"][0]["address"]' "$OUT")
before=$(state)
check_fails "CNI ADD a2 on cnB with the same subnet 10.88.0.0/16 fails" \
	cni ADD a2 /run/netns/a2 eth0 "$(cniconf cnB 10.88.0.0/16 "$GWDEF" "$RDEF")"
check_eq "  ... with code 7" 7 "$(cni_code)"
check "  ... naming the other network" sh -c "grep -q 'overlaps network cnA' '$OUT'"
check_eq "  ... and changing nothing (no second bridge, no address handed out twice)" \
	"$before" "$(state)"
check_fails "  ... a2 has no eth0" ip -n a2 link show eth0
check_fails "CNI ADD on cnC 10.88.200.0/24 (inside cnA) fails too" \
	cni ADD a2 /run/netns/a2 eth0 "$(cniconf cnC 10.88.200.0/24 "$GWDEF" "$RDEF")"
rc=0
"$NETD" network create inside --subnet 10.88.5.0/24 >/dev/null 2>"$ERR" || rc=$?
check_eq "netd network create inside a netd-cni network: exit 3" 3 "$rc"
check "  ... naming it and its file" grep -q "overlaps network cnA (10.88.0.0/16, $CNIDIR/cnA.conf)" "$ERR"
check_fails "CNI ADD of a network named like a netd network (lab) fails" \
	cni ADD a2 /run/netns/a2 eth0 "$(cniconf lab 10.33.0.0/24 "$GWDEF" "$RDEF")"
check "  ... saying where lab is defined" sh -c "grep -q 'lab: already defined in $NETD_CONFIG_DIR/lab.conf' '$OUT'"
check_eq "  ... and leaving no subnet file for it in netd-cni's dir" no \
	"$(test -e "$CNIDIR/lab.conf" && echo yes || echo no)"

rc=0
"$NETD" network create lab --subnet 10.31.0.0/24 >/dev/null 2>"$ERR" || rc=$?
check_eq "network create lab again (same definition): exit 3" 3 "$rc"
check "  ... says already defined" grep -q "network lab: already defined ($NETD_CONFIG_DIR/lab.conf)" "$ERR"
check_fails "  ... and not that it overlaps (itself)" grep -q overlap "$ERR"

check_eq "netd network ls shows netd-cni's network, marked cni" "cni $CNIDIR/cnA.conf" \
	"$("$NETD" network ls --json | python3 -c 'import json,sys
for n in json.load(sys.stdin):
    if n["name"] == "cnA": print(n["origin"], n["path"])')"
check_eq "netd network inspect cnA (netd-cni's) works, with its endpoint" "cni 1" \
	"$("$NETD" network inspect cnA --json | python3 -c 'import json,sys
d = json.load(sys.stdin); print(d["origin"], len(d["endpoints"]))')"
check "netd doctor lists it" sh -c "'$NETD' doctor 2>&1 | grep -q 'network cnA (netd-cni.s): 10.88.0.0/16'"

# Hand-written subnet files that overlap each other: both are refused at attach.
printf 'subnet=10.60.0.0/24\n' >"$NETD_CONFIG_DIR/hw1.conf"
printf 'subnet=10.60.0.0/25\nbridge=hw2\n' >"$NETD_CONFIG_DIR/hw2.conf"
mkns w1
before=$(state)
rc=0
"$NETD" attach hw1 --netns /run/netns/w1 --id w1 >/dev/null 2>"$ERR" || rc=$?
check_eq "attach to hand-written hw1 overlapping hw2: exit 3" 3 "$rc"
check "  ... naming hw2" grep -q "overlaps network hw2 (10.60.0.0/25" "$ERR"
check_fails "attach to hw2 is refused too" "$NETD" attach hw2 --netns /run/netns/w1 --id w1
check_eq "  ... nothing changed" "$before" "$(state)"
rc=0
"$NETD" doctor >"$ERR" 2>&1 || rc=$?
check "netd doctor says hw1 and hw2 overlap" grep -q "network hw2 .* and network hw1 .* overlap" "$ERR"
rm "$NETD_CONFIG_DIR/hw2.conf"
check "with hw2 gone, hw1 attaches" "$NETD" attach hw1 --netns /run/netns/w1 --id w1
check "detach w1" "$NETD" detach hw1 --id w1

# A failed attach on a subnet inside a running network's steals nothing: 10.50 (issue 11).
check "network create big 10.50.0.0/16" "$NETD" network create big --subnet 10.50.0.0/16
mkns r1
mkns r2
check "attach r1 to big at 10.50.1.2" "$NETD" attach big --netns /run/netns/r1 --id r1 --ip 10.50.1.2
printf 'subnet=10.50.1.0/24\nbridge=b\n' >"$NETD_CONFIG_DIR/small.conf"
before=$(state)
check_fails "attach r2 to hand-written small 10.50.1.0/24 fails" \
	"$NETD" attach small --netns /run/netns/r2 --id r2
check "  ... ip route get 10.50.1.2 still goes to big's bridge" \
	sh -c "ip route get 10.50.1.2 | grep -q 'dev big'"
check_fails "  ... no bridge b" ip link show b
check_fails "  ... no address 10.50.1.1 on the host" sh -c "ip -4 -o addr show | grep -q ' 10.50.1.1/'"
check_eq "  ... nothing changed" "$before" "$(state)"
check "  ... r1 still answers from the host" ping -c1 -W2 10.50.1.2
rm "$NETD_CONFIG_DIR/small.conf"

# Rollback takes the bridge it made; never one another endpoint uses.
check "network create rb" "$NETD" network create rb --subnet 10.34.0.0/24
before=$(state)
NETD_FAIL_AT=configure "$NETD" attach rb --netns /run/netns/r2 --id x1 >/dev/null 2>&1
check_fails "failed first attach of rb: its bridge is gone again" ip link show rb
check_eq "  ... and everything else as before" "$before" "$(state)"
check_fails "  ... masquerade of rb's subnet gone" sh -c "nft list table ip netd | grep -q 10.34.0.0/24"
check "attach x1 to rb" "$NETD" attach rb --netns /run/netns/r2 --id x1
NETD_FAIL_AT=configure "$NETD" attach rb --netns /run/netns/r1 --id x2 >/dev/null 2>&1
check "a failed second attach leaves rb's bridge to x1" ip link show rb
check "  ... x1 still reaches its gateway" ip netns exec r2 ping -c1 -W2 10.34.0.1
check "detach x1" "$NETD" detach rb --id x1

# ---- 3. routes with several interfaces ----
check "network create side 10.35.0.0/24" "$NETD" network create side --subnet 10.35.0.0/24
check "network create third 10.36.0.0/24" "$NETD" network create third --subnet 10.36.0.0/24
mkns m1
into_out "attach m1 eth0 to lab" "$NETD" attach lab --netns /run/netns/m1 --id m1
check_eq "  ... m1's default route via lab's gateway, reported" "default via 10.31.0.1 dev eth0|0.0.0.0/0 10.31.0.1" \
	"$(ip -n m1 route show default | awk '{print $1,$2,$3,$4,$5}')|$(jq_ '" ".join([d["routes"][0]["dst"], d["routes"][0]["gw"]])' "$OUT")"
into_out "attach m1 eth1 to side (a second interface)" \
	"$NETD" attach side --netns /run/netns/m1 --id m1 --ifname eth1
check_eq "  ... m1 keeps its default route via eth0" "default via 10.31.0.1 dev eth0" \
	"$(ip -n m1 route show default | awk '{print $1,$2,$3,$4,$5}')"
check_eq "  ... and eth1 reports no routes" 0 "$(jq_ 'len(d["routes"])' "$OUT")"
check "netd check m1/eth1" "$NETD" check side --id m1 --ifname eth1
check "attach m1 eth2 to third --default-route" \
	"$NETD" attach third --netns /run/netns/m1 --id m1 --ifname eth2 --default-route
check_eq "  ... the default route moved to eth2" "default via 10.36.0.1 dev eth2" \
	"$(ip -n m1 route show default | awk '{print $1,$2,$3,$4,$5}')"
check "netd check m1/eth2 (its default route)" "$NETD" check third --id m1 --ifname eth2
for n in lab:eth0 side:eth1 third:eth2; do "$NETD" detach "${n%%:*}" --id m1 --ifname "${n#*:}"; done

# routes= in a subnet file: installed, checked, reported.
printf 'subnet=10.37.0.0/24\nroutes=10.123.0.0/16 via 10.37.0.254, 10.124.0.0/16\n' \
	>"$NETD_CONFIG_DIR/rt.conf"
mkns m2
into_out "attach m2 to rt (routes=)" "$NETD" attach rt --netns /run/netns/m2 --id m2
check "  ... 10.123.0.0/16 via 10.37.0.254 inside" \
	sh -c "ip -n m2 route show 10.123.0.0/16 | grep -q 'via 10.37.0.254 dev eth0'"
check "  ... 10.124.0.0/16 via the gateway" \
	sh -c "ip -n m2 route show 10.124.0.0/16 | grep -q 'via 10.37.0.1 dev eth0'"
check_eq "  ... reported, with its first interface's default route" \
	"10.123.0.0/16 10.37.0.254,10.124.0.0/16 10.37.0.1,0.0.0.0/0 10.37.0.1" \
	"$(jq_ '",".join(r["dst"]+" "+r["gw"] for r in d["routes"])' "$OUT")"
check "netd check m2" "$NETD" check rt --id m2
ip -n m2 route del 10.124.0.0/16
rc=0
"$NETD" check rt --id m2 >/dev/null 2>"$ERR" || rc=$?
check_eq "netd check after a route was deleted: exit 4" 4 "$rc"
check "  ... naming the route" grep -q "no 10.124.0.0/16 route via 10.37.0.1" "$ERR"
check "detach m2" "$NETD" detach rt --id m2

# CNI: no default route unless the config asks for it (reference bridge + host-local).
mkns k1
check "CNI ADD k1 eth0: isDefaultGateway" \
	cni ADD k1 /run/netns/k1 eth0 "$(cniconf kd 10.38.0.0/24 ',"isDefaultGateway":true')"
check_eq "  ... default route via the gateway, in the result" "default via 10.38.0.1 dev eth0|0.0.0.0/0=10.38.0.1" \
	"$(ip -n k1 route show default | awk '{print $1,$2,$3,$4,$5}')|$(jq_ '",".join(r["dst"]+"="+r.get("gw","") for r in d["routes"])' "$OUT")"
check "CNI ADD k1 eth1: a secondary network without routes (Multus-style)" \
	cni ADD k1 /run/netns/k1 eth1 "$(cniconf ks 10.39.0.0/24 "$GWDEF")"
check_eq "  ... k1 keeps its default route via eth0" "default via 10.38.0.1 dev eth0" \
	"$(ip -n k1 route show default | awk '{print $1,$2,$3,$4,$5}')"
check_eq "  ... the result lists no routes" 0 "$(jq_ 'len(d["routes"])' "$OUT")"
cp "$OUT" "$LAB_DIR/ks.json"
check "CHECK k1/eth1" cni CHECK k1 /run/netns/k1 eth1 "$(python3 -c 'import json,sys
c = json.loads(sys.argv[1]); c["prevResult"] = json.load(open(sys.argv[2])); print(json.dumps(c))' \
	"$(cniconf ks 10.39.0.0/24 "$GWDEF")" "$LAB_DIR/ks.json")"
KR=',"routes":[{"dst":"0.0.0.0/0"},{"dst":"10.125.0.0/16","gw":"10.40.0.254"},{"dst":"fd00::/8"}]'
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	mkns "kv${v//./}"
	check "CNI ADD (cniVersion $v) with ipam.routes 0.0.0.0/0 and 10.125.0.0/16 via .254" \
		cni ADD "kv${v//./}" "/run/netns/kv${v//./}" eth0 "$(cniconf kr 10.40.0.0/24 "$GWDEF" "$KR" "$v")"
	check_eq "  ... result routes ($v)" "0.0.0.0/0=10.40.0.1,10.125.0.0/16=10.40.0.254" \
		"$(jq_ '",".join(r["dst"]+"="+r.get("gw","") for r in d["routes"])' "$OUT")"
	check "  ... installed ($v)" sh -c "ip -n kv${v//./} route show 10.125.0.0/16 | grep -q 'via 10.40.0.254' &&
		ip -n kv${v//./} route show default | grep -q 'via 10.40.0.1 dev eth0'"
done
mkns k2
check "CNI ADD k2 without isGateway: the bridge gets no address" \
	cni ADD k2 /run/netns/k2 eth0 "$(cniconf l2 10.41.0.0/24)"
check_eq "  ... br-l2 has no IPv4 address" "" "$(ip -4 -o addr show dev br-l2)"
check_eq "  ... and k2 no default route" "" "$(ip -n k2 route show default)"
check_fails "CNI portMappings through such a bridge are refused" \
	cni ADD k3 /run/netns/k2 eth1 "$(cniconf l2 10.41.0.0/24 ',"runtimeConfig":{"portMappings":[{"hostPort":8088,"containerPort":80}]}')"
check_eq "  ... with code 7" 7 "$(cni_code)"

# ---- 4. a host address the host does not have ----
mkns p1
mkns p2
before=$(state)
rc=0
"$NETD" attach lab --netns /run/netns/p1 --id p1 -p 10.9.9.9:8080:80 >/dev/null 2>"$ERR" || rc=$?
check_eq "-p 10.9.9.9:8080:80 (not a host address) is refused" 1 "$((rc != 0))"
check "  ... saying so" grep -q "10.9.9.9 is not an address of this host" "$ERR"
check_eq "  ... nothing changed (no lease, claim, element)" "$before" "$(state)"
check "port 8080 is free for another container" \
	"$NETD" attach lab --netns /run/netns/p2 --id p2 -p 8080:80
check "-p 192.0.2.1:8181:80 (the host's own address) is accepted" \
	"$NETD" attach lab --netns /run/netns/p1 --id p1 -p 192.0.2.1:8181:80 -p 127.0.0.1:8182:80
"$NETD" detach lab --id p1
"$NETD" detach lab --id p2
check_fails "CNI hostIP 10.9.9.9 is refused" cni ADD p1 /run/netns/p1 eth0 \
	"$(cniconf cnA 10.88.0.0/16 "$GWDEF" "$RDEF" | sed 's/}$/,"runtimeConfig":{"portMappings":[{"hostPort":8090,"containerPort":80,"hostIP":"10.9.9.9"}]}}/')"
check_eq "  ... with code 7" 7 "$(cni_code)"
check "  ... naming the address" sh -c "grep -q '10.9.9.9 is not an address of this host' '$OUT'"

# ---- 5. fault points are in test builds only ----
if [ -x "$RELEASE/netd" ]; then
	mkns f1
	check "release netd: NETD_FAIL_AT=configure is ignored" \
		env NETD_FAIL_AT=configure "$RELEASE/netd" attach lab --netns /run/netns/f1 --id f1
	check "release netd: NETD_FAIL_AT_KILL=1 does not kill it" \
		env NETD_FAIL_AT=publish NETD_FAIL_AT_KILL=1 "$RELEASE/netd" attach lab \
		--netns /run/netns/f1 --id f1 --ifname eth1 -p 8383:80
	check_eq "  ... the release binaries carry no NETD_FAIL_AT" 0 \
		"$(cat "$RELEASE/netd" "$RELEASE/netd-cni" "$RELEASE/nsbox" | grep -c NETD_FAIL_AT)"
	"$NETD" detach lab --id f1
	"$NETD" detach lab --id f1 --ifname eth1
	rc=0
	NETD_FAIL_AT=configure "$NETD" attach lab --netns /run/netns/f1 --id f2 >/dev/null 2>&1 || rc=$?
	check_eq "the test build still fails where told to" 1 "$((rc != 0))"
else
	not_ok "no release build at $RELEASE (make, or RELEASE_BUILD=DIR)"
fi

# ---- 6. messages ----
mkns q1
before=$(state)
rc=0
"$NETD" attach lab --netns /run/netns/q1 --id q1 -p 8000-8001:80 -p 8000:81 >/dev/null 2>"$ERR" || rc=$?
check_eq "-p 8000-8001:80 -p 8000:81: exit 2" 2 "$rc"
check_eq "  ... host port 8000 given twice" "netd: attach q1/eth0: host port 8000/tcp given twice" "$(cat "$ERR")"
check_eq "  ... nothing changed" "$before" "$(state)"
for spec in "-p 8000:81 -p 8000-8001:80" "-p 8000:80/udp -p 127.0.0.1:8000:81/udp" \
	"-p 8000-8003:8000-8003 -p 8002:90"; do
	# shellcheck disable=SC2086 # the specs are words
	check_fails "$spec is refused too" "$NETD" attach lab --netns /run/netns/q1 --id q1 $spec
done
check_eq "  ... nothing changed" "$before" "$(state)"
check "two ranges may share ports: -p 9000-9001:80 -p 9000-9001:81" \
	"$NETD" attach lab --netns /run/netns/q1 --id q1 -p 9000-9001:80 -p 9000-9001:81
"$NETD" detach lab --id q1
check "one port on two host addresses, and on tcp and udp, is fine" \
	"$NETD" attach lab --netns /run/netns/q1 --id q1 -p 127.0.0.1:8000:80 -p 192.0.2.1:8000:81 \
	-p 8001:80 -p 8001:80/udp
"$NETD" detach lab --id q1
rc=0
"$NETD" network create a-network-name-too-long --subnet 10.42.0.0/24 >/dev/null 2>"$ERR" || rc=$?
check_eq "a network name too long for a bridge: exit 2" 2 "$rc"
check "  ... told to use --bridge NAME" grep -q -- "--bridge NAME with netd network create" "$ERR"
check_eq "  ... without a doubled prefix" "netd: network a-network-name-too-long: network name" \
	"$(cut -d'"' -f1 "$ERR" | sed 's/ $//')"
rc=0
"$NETD" attach lab --netns q1 --id q1 >/dev/null 2>"$ERR" || rc=$?
check_eq "--netns q1 (a name, not a path): exit 4" 4 "$rc"
check "  ... suggests /run/netns/q1" grep -q "did you mean /run/netns/q1?" "$ERR"

for id in a1 k1 kv031 kv040 kv100 kv110 k2; do
	for c in "cnA 10.88.0.0/16" "kd 10.38.0.0/24" "kr 10.40.0.0/24" "l2 10.41.0.0/24"; do
		set -- $c
		cni DEL "$id" "/run/netns/$id" eth0 "$(cniconf "$1" "$2")"
	done
done
cni DEL k1 /run/netns/k1 eth1 "$(cniconf ks 10.39.0.0/24)"
"$NETD" detach big --id r1
check_eq "final: zero leftovers" "veths=0 leases=0 elems=0" \
	"veths=$(count_veths) leases=$(count_leases) elems=$(count_map_elements)"
finish
