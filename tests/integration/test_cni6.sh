#!/bin/bash
# netd-cni dual stack, driven by hand as a runtime execs it, in a lab host: ipam.ranges with one
# IPv4 and one IPv6 set and ipam.routes with 0.0.0.0/0 and ::/0; results with both ips in the
# shape of every cniVersion; the IPv6 address usable at once (not tentative), the v6 default
# route, ping -6 from the host and between pods; ips / IP= of either family; CHECK of both
# families; bad range sets refused naming the key and changing nothing; DEL and GC leave no IPv6
# lease; STATUS counting the IPv6 range; portMappings with hostIP "" and a v6 hostIP (curl
# over both families), skipped on an IPv4-only network; an IPv6-only network (one IPv6 range
# set: ADD in every version's shape, ports, CHECK, STATUS, GC, DEL); a delegated host-local
# with two range sets.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/netd-cni
REF=${CNI_REF_DIR:-/usr/lib/cni}
W=$LAB_DIR/cni
mkdir -p "$W"
OUT=$W/out.json

# cni CMD ID NETNS IFNAME CONFIG [CNI_ARGS] -> exit status; stdout in $OUT
cni() {
	printf '%s' "$5" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME="$4" \
		CNI_ARGS="${6:-}" CNI_PATH="$REF" "$P" >"$OUT" 2>"$W/err.txt"
}

pyq() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"
}

is_error() { # CODE [WORD]: the last call printed the spec's error object with CODE (naming WORD)
	python3 - "$1" "$OUT" "${2:-}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
assert d["code"] == int(sys.argv[1]), d
assert isinstance(d["msg"], str) and d["msg"], d
assert sys.argv[3] in d["msg"], d
EOF
}

with_prev() {
	python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["prevResult"]=json.load(open(sys.argv[2])); print(json.dumps(c))' "$1" "$2"
}

# conf NAME V4SUBNET V6SUBNET [VERSION] [EXTRA-JSON-MEMBERS]: dual stack, both default routes
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"netd-cni","bridge":"br-%s","isGateway":true,"ipMasq":true,"ipam":{"type":"netd","ranges":[[{"subnet":"%s"}],[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}%s}' \
		"${4:-1.0.0}" "$1" "$1" "$2" "$3" "${5:-}"
}

count_leases6() {
	find "$NETD_STATE_DIR/networks" -path '*/ips/*:*' -type f 2>/dev/null | wc -l
}

# Left by a test: no veth, no lease of either family, no bridge address in the container.
nothing_left() {
	check_eq "$1: no veth, no lease, no IPv6 lease" "0 0 0" \
		"$(count_veths) $(count_leases) $(count_leases6)"
}

C=$(conf d1 10.92.0.0/24 fd92::/64)

# ---- bad range sets: refused with code 7 naming the key, nothing made
mkns c1
bad() { # NAME CONFIG WORD
	check_fails "ADD with $1 fails" cni ADD c1 /run/netns/c1 eth0 "$2"
	check "  ... with code 7 naming $3" is_error 7 "$3"
}
bad "two IPv4 range sets" \
	'{"cniVersion":"1.0.0","name":"d1","type":"netd-cni","ipam":{"ranges":[[{"subnet":"10.92.0.0/24"}],[{"subnet":"10.93.0.0/24"}]]}}' \
	"ipam.ranges[1]: a second IPv4 range set"
bad "two IPv6 range sets" \
	'{"cniVersion":"1.0.0","name":"d1","type":"netd-cni","ipam":{"ranges":[[{"subnet":"fd92::/64"}],[{"subnet":"fd93::/64"}]]}}' \
	"ipam.ranges[1]: a second IPv6 range set"
bad "a range set mixing families" \
	'{"cniVersion":"1.0.0","name":"d1","type":"netd-cni","ipam":{"ranges":[[{"subnet":"10.92.0.0/24"},{"subnet":"fd92::/64"}]]}}' \
	"ipam.ranges[0]: mixes IPv4 and IPv6"
bad "a bad IPv6 subnet" "$(conf d1 10.92.0.0/24 fd92::g/64)" "ipam.ranges[1][0].subnet"
bad "an IPv4 rangeStart in the IPv6 set" \
	'{"cniVersion":"1.0.0","name":"d1","type":"netd-cni","ipam":{"ranges":[[{"subnet":"10.92.0.0/24"}],[{"subnet":"fd92::/64","rangeStart":"10.92.0.9"}]]}}' \
	"ipam.ranges[1][0].rangeStart"
bad "an IPv6 rangeEnd outside the subnet" \
	'{"cniVersion":"1.0.0","name":"d1","type":"netd-cni","ipam":{"ranges":[[{"subnet":"10.92.0.0/24"}],[{"subnet":"fd92::/64","rangeEnd":"fd99::9"}]]}}' \
	"fd99::9"
bad "two IPv6 addresses asked for" "$(conf d1 10.92.0.0/24 fd92::/64 1.0.0 ',"runtimeConfig":{"ips":["fd92::5","fd92::6"]}')" \
	"runtimeConfig.ips[1]: a second IPv6 address"
check_fails "ADD asking for two IPv6 addresses (CNI_ARGS) fails" cni ADD c1 /run/netns/c1 eth0 "$C" "IP=fd92::5,fd92::6"
check "  ... with code 4 (invalid CNI_ARGS)" is_error 4 "second IPv6"
check_fails "ADD asking for an IPv6 address on an IPv4-only network fails" cni ADD c1 /run/netns/c1 eth0 \
	'{"cniVersion":"1.0.0","name":"v4only","type":"netd-cni","ipam":{"subnet":"10.94.0.0/24"},"runtimeConfig":{"ips":["fd94::5"]}}'
check "  ... with code 7 saying the network has no IPv6 range" is_error 7 "no IPv6 range"
check_eq "bad input: no veth, no lease" "0 0" "$(count_veths) $(count_leases)"
check_eq "bad input: no eth0 in c1" "" "$(ip -n c1 -o link show eth0 2>/dev/null)"

# ---- ADD, 1.0.0: both ips, both gateways, both default routes
check "ADD c1 (dual stack, 1.0.0)" cni ADD c1 /run/netns/c1 eth0 "$C"
cp "$OUT" "$W/c1.json"
check "result 1.0.0: an IPv4 and an IPv6 ip on eth0, their gateways, both default routes" \
	python3 - "$W/c1.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cniVersion"] == "1.0.0", d
ips = d["ips"]
assert len(ips) == 2, ips
v4, v6 = ips
assert v4["address"].startswith("10.92.0.") and v4["address"].endswith("/24"), ips
assert v6["address"].startswith("fd92::") and v6["address"].endswith("/64"), ips
assert v4["gateway"] == "10.92.0.1" and v6["gateway"] == "fd92::1", ips
assert v4["interface"] == 2 and v6["interface"] == 2, ips
assert "version" not in v4 and "version" not in v6, ips
assert d["interfaces"][2]["name"] == "eth0", d["interfaces"]
assert {"dst": "0.0.0.0/0", "gw": "10.92.0.1"} in d["routes"], d["routes"]
assert {"dst": "::/0", "gw": "fd92::1"} in d["routes"], d["routes"]
EOF
IP6=$(pyq 'd["ips"][1]["address"].split("/")[0]' "$W/c1.json")
IP4=$(pyq 'd["ips"][0]["address"].split("/")[0]' "$W/c1.json")
check "c1's eth0 carries $IP6/64" sh -c "ip -n c1 -6 addr show dev eth0 | grep -q 'inet6 $IP6/64'"
check "  ... usable at once (not tentative)" sh -c "! ip -n c1 -6 addr show dev eth0 | grep -q tentative"
check "c1's IPv6 default route goes via fd92::1" sh -c "ip -n c1 -6 route show default | grep -q 'via fd92::1'"
check "c1's IPv4 default route goes via 10.92.0.1" sh -c "ip -n c1 route show default | grep -q 'via 10.92.0.1'"
check "bridge br-d1 carries fd92::1/64" sh -c "ip -6 addr show dev br-d1 | grep -q 'inet6 fd92::1/64'"
check "host -> c1 ping -6" ping -6 -c1 -W2 "$IP6"
check "host -> c1 ping (IPv4 still)" ping -c1 -W2 "$IP4"
check_eq "one lease of each family" "2 1" "$(count_leases) $(count_leases6)"

# ---- the shape of every version; ips of either family asked for
mkns c2
check "ADD c2 (0.3.1) with CNI_ARGS IP=fd92::50,10.92.0.50" \
	cni ADD c2 /run/netns/c2 eth0 "$(conf d1 10.92.0.0/24 fd92::/64 0.3.1)" "IgnoreUnknown=1;IP=fd92::50,10.92.0.50"
check "result 0.3.1: version \"4\" and \"6\", the addresses asked for" python3 - "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cniVersion"] == "0.3.1", d
got = sorted((i["version"], i["address"], i["interface"]) for i in d["ips"])
assert got == [("4", "10.92.0.50/24", 2), ("6", "fd92::50/64", 2)], got
EOF
check "c1 -> c2 over IPv6" ip netns exec c1 ping -6 -c1 -W2 fd92::50
cp "$OUT" "$W/c2.json"
for v in 0.3.0 0.4.0 1.1.0; do
	ns=v${v//./}
	mkns "$ns"
	check "ADD $ns ($v)" cni ADD "$ns" "/run/netns/$ns" eth0 "$(conf d1 10.92.0.0/24 fd92::/64 $v)"
	check "  ... result $v: cniVersion, two ips, version per ip only before 1.0.0" python3 - "$OUT" "$v" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = sys.argv[2]
assert d["cniVersion"] == v, d
ips = d["ips"]
assert len(ips) == 2, ips
want = ["4", "6"] if v < "1" else [None, None]
assert [i.get("version") for i in ips] == want, ips
assert any(r["dst"] == "::/0" for r in d["routes"]), d["routes"]
EOF
	cni DEL "$ns" "/run/netns/$ns" eth0 "$(conf d1 10.92.0.0/24 fd92::/64 $v)"
done
mkns c3
check "ADD c3 (0.4.0) with runtimeConfig.ips [fd92::77] (IPv4 allocated)" cni ADD c3 /run/netns/c3 eth0 \
	"$(conf d1 10.92.0.0/24 fd92::/64 0.4.0 ',"runtimeConfig":{"ips":["fd92::77/64"]}')"
check_eq "  ... got fd92::77 and an IPv4 address" "6 fd92::77/64 4" \
	"$(pyq '" ".join([d["ips"][1]["version"], d["ips"][1]["address"], d["ips"][0]["version"]])' "$OUT")"
mkns c4
check_fails "ADD c4 asking for c3's IPv6 address fails" cni ADD c4 /run/netns/c4 eth0 "$C" "IP=fd92::77"
check_eq "  ... c4 got no interface" "" "$(ip -n c4 -o link show eth0 2>/dev/null)"

# ---- CHECK: both families
check "CHECK c1 with its prevResult" cni CHECK c1 /run/netns/c1 eth0 "$(with_prev "$C" "$W/c1.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["ips"][1]["address"]="fd92::999/64"; json.dump(d,open(sys.argv[2],"w"))' \
	"$W/c1.json" "$W/c1-bad.json"
check_fails "CHECK c1 with a prevResult naming another IPv6 address fails" \
	cni CHECK c1 /run/netns/c1 eth0 "$(with_prev "$C" "$W/c1-bad.json")"
check "  ... naming both addresses" is_error 999 "fd92::999"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["ips"]=d["ips"][:1]; json.dump(d,open(sys.argv[2],"w"))' \
	"$W/c1.json" "$W/c1-v4.json"
check_fails "CHECK c1 with a prevResult without the IPv6 address fails" \
	cni CHECK c1 /run/netns/c1 eth0 "$(with_prev "$C" "$W/c1-v4.json")"
check "  ... saying so" is_error 999 "no IPv6 address"
ip -n c2 -6 addr flush dev eth0 scope global
check_fails "CHECK c2 fails once its IPv6 address was flushed" \
	cni CHECK c2 /run/netns/c2 eth0 "$(with_prev "$(conf d1 10.92.0.0/24 fd92::/64 0.4.0)" "$W/c2.json")"
check "  ... naming it" grep -q "fd92::50" "$OUT"
ip -n c1 -6 route del default
check_fails "CHECK c1 fails once its IPv6 default route is gone" \
	cni CHECK c1 /run/netns/c1 eth0 "$(with_prev "$C" "$W/c1.json")"
check "  ... naming the IPv6 default route" is_error 999 "(IPv6) route via fd92::1"

# ---- DEL: nothing of either family left
for c in c1 c2 c3; do check "DEL $c" cni DEL $c /run/netns/$c eth0 "$C"; done
check_eq "c1's eth0 is gone" "" "$(ip -n c1 -o link show eth0 2>/dev/null)"
check "DEL c1 again succeeds" cni DEL c1 /run/netns/c1 eth0 "$C"
nothing_left "after DEL"

# ---- GC: keeps what is listed, releases the rest's leases of both families
for c in g1 g2; do mkns $c; cni ADD $c /run/netns/$c eth0 "$C" || not_ok "ADD $c: $(cat "$OUT")"; done
check_eq "two attachments, two IPv6 leases" "2 2" "$(count_veths) $(count_leases6)"
GC='{"cniVersion":"1.1.0","name":"d1","type":"netd-cni","cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"}]}'
check "GC keeping g1" sh -c "printf '%s' '$GC' | CNI_COMMAND=GC $P"
check_eq "  ... g2 collected with its IPv6 lease" "1 1" "$(count_veths) $(count_leases6)"
check "  ... g1 still answers over IPv6" ping -6 -c1 -W2 "$(ip -n g1 -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)"
cni DEL g1 /run/netns/g1 eth0 "$C"
nothing_left "after GC and DEL"

# ---- STATUS counts the IPv6 range: a one-address IPv6 range is full after one ADD
TINY='{"cniVersion":"1.1.0","name":"tiny6","type":"netd-cni","bridge":"br-tiny6","isGateway":true,"ipam":{"ranges":[[{"subnet":"10.95.0.0/24"}],[{"subnet":"fd95::/64","rangeStart":"fd95::10","rangeEnd":"fd95::10"}]]}}'
mkns t1
mkns t2
check "STATUS of tiny6 before any ADD" sh -c "printf '%s' '$TINY' | CNI_COMMAND=STATUS $P"
check "ADD t1 takes the only IPv6 address" cni ADD t1 /run/netns/t1 eth0 "$TINY"
check_fails "ADD t2 fails: the IPv6 range is full" cni ADD t2 /run/netns/t2 eth0 "$TINY"
check_eq "  ... and left no IPv4 lease behind" 2 "$(count_leases)"
if printf '%s' "$TINY" | CNI_COMMAND=STATUS "$P" >"$OUT"; then
	not_ok "STATUS with the IPv6 range full fails"
else
	ok "STATUS with the IPv6 range full fails"
fi
check "  ... with code 50, naming IPv6" is_error 50 "IPv6"
cni DEL t1 /run/netns/t1 eth0 "$TINY"
check "STATUS after DEL succeeds again" sh -c "printf '%s' '$TINY' | CNI_COMMAND=STATUS $P"

# ---- portMappings: hostIP "" publishes both families, a v6 hostIP on a dual-stack network
# publishes there, on an IPv4-only network it is skipped (nothing to publish it on)
ip addr add fd97::9/128 dev lo nodad # an address of the lab host's own
mkns p1
ip netns exec p1 python3 -m http.server --bind :: 80 >/dev/null 2>&1 &
HTTP_PID=$!
wait_until 50 sh -c "ip netns exec p1 ss -ltn | grep -q ':80 '"
PM=',"runtimeConfig":{"portMappings":[{"hostPort":8480,"containerPort":80,"protocol":"tcp","hostIP":""},{"hostPort":8481,"containerPort":80,"protocol":"tcp","hostIP":"fd97::9"}]}'
check "ADD p1 with hostIP \"\" and hostIP fd97::9" cni ADD p1 /run/netns/p1 eth0 "$(conf d1 10.92.0.0/24 fd92::/64 1.0.0 "$PM")"
check_eq "  ... three claims: 0.0.0.0:8480, [::]:8480, [fd97::9]:8481" 3 "$(count_claims)"
check_eq "  ... three publish map elements" 3 "$(count_map_elements)"
check "curl -6 [fd97::9]:8480 (hostIP \"\", IPv6)" curl -sf -m 3 -g -o /dev/null "http://[fd97::9]:8480/"
check "curl 10.92.0.1:8480 (hostIP \"\", IPv4)" curl -sf -m 3 -o /dev/null "http://10.92.0.1:8480/"
check "curl -6 [fd97::9]:8481 (hostIP fd97::9)" curl -sf -m 3 -g -o /dev/null "http://[fd97::9]:8481/"
check_fails "  ... 10.92.0.1:8481 is not published" curl -sf -m 2 -o /dev/null "http://10.92.0.1:8481/"
check "DEL p1" cni DEL p1 /run/netns/p1 eth0 "$(conf d1 10.92.0.0/24 fd92::/64 1.0.0 "$PM")"
LO6=',"runtimeConfig":{"portMappings":[{"hostPort":8482,"containerPort":80,"hostIP":"::1"}]}'
check_fails "ADD p1 with hostIP ::1 is refused" cni ADD p1 /run/netns/p1 eth0 "$(conf d1 10.92.0.0/24 fd92::/64 1.0.0 "$LO6")"
check "  ... saying why ([::1] is not DNATed)" is_error 7 "[::1] cannot be published"
check_eq "  ... no claim, no map element left" "0 0" "$(count_claims) $(count_map_elements)"
V4ONLY="{\"cniVersion\":\"1.0.0\",\"name\":\"v4o\",\"type\":\"netd-cni\",\"bridge\":\"br-v4o\",\"isGateway\":true,\"ipam\":{\"ranges\":[[{\"subnet\":\"10.97.0.0/24\"}]]}$PM}"
check "ADD p1 on an IPv4-only network with the same mappings" cni ADD p1 /run/netns/p1 eth0 "$V4ONLY"
check_eq "  ... only 0.0.0.0:8480 claimed (the IPv6 hostIP skipped)" 1 "$(count_claims)"
check "  ... curl 10.97.0.1:8480" curl -sf -m 3 -o /dev/null "http://10.97.0.1:8480/"
check "DEL p1 (IPv4-only)" cni DEL p1 /run/netns/p1 eth0 "$V4ONLY"
kill $HTTP_PID 2>/dev/null
wait $HTTP_PID 2>/dev/null
check_eq "  ... no claim, no map element left" "0 0" "$(count_claims) $(count_map_elements)"

# ---- IPv6 only: a single IPv6 range set; one ip, its gateway, ::/0 in every version's shape;
# a hostIP "" publishes on IPv6, an IPv4 hostIP is skipped (as an IPv6 one on IPv4-only)
V6PM=',"runtimeConfig":{"portMappings":[{"hostPort":8483,"containerPort":80,"protocol":"tcp","hostIP":""},{"hostPort":8484,"containerPort":80,"protocol":"tcp","hostIP":"10.97.0.1"}]}'
v6o() { # VERSION [EXTRA-JSON-MEMBERS]
	printf '{"cniVersion":"%s","name":"v6o","type":"netd-cni","bridge":"br-v6o","isGateway":true,"ipMasq":true,"ipam":{"type":"netd","ranges":[[{"subnet":"fd98::/64"}]],"routes":[{"dst":"::/0"}]}%s}' \
		"$1" "${2:-}"
}
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	ns=o${v//./}
	mkns "$ns"
	check "ADD $ns on an IPv6-only network ($v)" cni ADD "$ns" "/run/netns/$ns" eth0 "$(v6o $v)"
	check "  ... result $v: one IPv6 ip, its gateway, ::/0 via it" python3 - "$OUT" "$v" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = sys.argv[2]
assert d["cniVersion"] == v, d
ips = d["ips"]
assert len(ips) == 1, ips
ip = ips[0]
assert ip["address"].startswith("fd98::") and ip["address"].endswith("/64"), ips
assert ip["gateway"] == "fd98::1", ips
assert ip.get("version") == ("6" if v < "1" else None), ips
assert ip["interface"] == 2, ips
assert d["routes"] == [{"dst": "::/0", "gw": "fd98::1"}], d["routes"]
EOF
	check_eq "  ... $ns has no IPv4 address" "" "$(ip -n "$ns" -4 -o addr show dev eth0)"
	cni DEL "$ns" "/run/netns/$ns" eth0 "$(v6o $v)"
done
check_eq "the IPv6-only bridge has no IPv4 address" "" "$(ip -4 -o addr show dev br-v6o)"
mkns o1
ip netns exec o1 python3 -m http.server --bind :: 80 >/dev/null 2>&1 &
HTTP_PID=$!
wait_until 50 sh -c "ip netns exec o1 ss -ltn | grep -q ':80 '"
check "ADD o1 (IPv6 only) with hostIP \"\" and an IPv4 hostIP" cni ADD o1 /run/netns/o1 eth0 "$(v6o 1.0.0 "$V6PM")"
cp "$OUT" "$W/o1.json"
O1=$(pyq 'd["ips"][0]["address"].split("/")[0]' "$W/o1.json")
check_eq "  ... one claim ([::]:8483; the IPv4 hostIP skipped), one element, one lease" "1 1 1 1" \
	"$(count_claims) $(count_map_elements) $(count_leases) $(count_leases6)"
check "  ... curl -6 [fd97::9]:8483" curl -sf -m 3 -g -o /dev/null "http://[fd97::9]:8483/"
check "  ... host -> o1 ping -6" ping -6 -c1 -W2 "$O1"
check "CHECK o1 with its prevResult" cni CHECK o1 /run/netns/o1 eth0 "$(with_prev "$(v6o 1.0.0 "$V6PM")" "$W/o1.json")"
check "STATUS of v6o" sh -c "printf '%s' '$(v6o 1.1.0)' | CNI_COMMAND=STATUS $P"
mkns o2
check_fails "ADD o2 asking for an IPv4 address on the IPv6-only network fails" cni ADD o2 /run/netns/o2 eth0 \
	"$(v6o 1.0.0 ',"runtimeConfig":{"ips":["10.98.0.5"]}')"
check "  ... with code 7 saying the network has no IPv4 range" is_error 7 "no IPv4 range"
check_eq "  ... o2 got no interface" "" "$(ip -n o2 -o link show eth0 2>/dev/null)"
check "ADD o2 (no port)" cni ADD o2 /run/netns/o2 eth0 "$(v6o 1.0.0)"
GC6='{"cniVersion":"1.1.0","name":"v6o","type":"netd-cni","cni.dev/valid-attachments":[{"containerID":"o1","ifname":"eth0"}]}'
check "GC keeping o1" sh -c "printf '%s' '$GC6' | CNI_COMMAND=GC $P"
check_eq "  ... o2 collected with its lease" "1 1" "$(count_veths) $(count_leases6)"
check "DEL o1" cni DEL o1 /run/netns/o1 eth0 "$(v6o 1.0.0 "$V6PM")"
kill $HTTP_PID 2>/dev/null
wait $HTTP_PID 2>/dev/null
check_eq "  ... no claim, no map element left" "0 0" "$(count_claims) $(count_map_elements)"
nothing_left "after the IPv6-only network"

# ---- delegated IPAM: the reference host-local with two range sets
if [ -x "$REF/host-local" ]; then
	HL="{\"cniVersion\":\"1.0.0\",\"name\":\"hl6\",\"type\":\"netd-cni\",\"bridge\":\"br-hl6\",\"isGateway\":true,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$W/hl\",\"ranges\":[[{\"subnet\":\"10.96.0.0/24\",\"rangeStart\":\"10.96.0.100\"}],[{\"subnet\":\"fd96::/64\",\"rangeStart\":\"fd96::100\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"}]}}"
	mkns h1
	check "ADD h1 with host-local handing out both families" cni ADD h1 /run/netns/h1 eth0 "$HL"
	check_eq "  ... both of host-local's addresses in the result" "10.96.0.100/24 fd96::100/64" \
		"$(pyq '" ".join(i["address"] for i in d["ips"])' "$OUT")"
	cp "$OUT" "$W/h1.json"
	check "  ... h1 has fd96::100" sh -c "ip -n h1 -6 addr show dev eth0 | grep -q 'inet6 fd96::100/64'"
	check "  ... host -> h1 ping -6" ping -6 -c1 -W2 fd96::100
	check "CHECK h1 (delegated, both families)" cni CHECK h1 /run/netns/h1 eth0 "$(with_prev "$HL" "$W/h1.json")"
	check "DEL h1" cni DEL h1 /run/netns/h1 eth0 "$HL"
	check "  ... host-local released both" sh -c "! ls '$W/hl/hl6' | grep -Eq '^(10\.96|fd96)'"
else
	not_ok "reference plugins missing in $REF (scripts/install-deps.sh installs containernetworking-plugins)"
fi
nothing_left "at the end"
finish
