#!/bin/bash
# Network options (issue 17), netd side, in a lab host with a LAN neighbour that routes every
# container subnet via the host:
#  1. --internal (internal=yes, netd-cni "internal": true): containers talk to each other and
#     to the host, nothing else: no default route, no masquerade, the host drops what they send
#     out (even with a default route added by hand) and what comes in from the LAN; published
#     ports are refused at attach and ADD with nothing changed.
#  2. --icc=false (icc=no): containers of the network cannot reach each other (bridge port
#     isolation), with br_netfilter's bridge-nf-call-iptables off and on; each still reaches the
#     outside and is reachable on its published ports, from the LAN, the host and, hairpin
#     through the host, from the other container of the network.
#  3. DNS (udp and tcp port 53) to a network's gateway is answered only from that network's
#     bridge: another network's container cannot ask it; the host can; other ports of the
#     gateway stay reachable (the host's addresses are, as in Docker).
#  Each shows in network inspect (text, --json) and ls; --explain says it; gc and network rm
#  take the elements away.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

CNI=$BUILD/netd-cni
PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT # PIDS, kill_servers: tests/lib.sh

# A TCP (and, for port 53, UDP too) server that answers "TAG PEER-IP", and its clients.
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys, threading
port, tag = int(sys.argv[1]), sys.argv[2]
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    while True:
        d, a = u.recvfrom(512)
        u.sendto(("%s %s" % (tag, a[0])).encode(), a)
if len(sys.argv) > 3:
    threading.Thread(target=udp, daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(64)
while True:
    c, a = s.accept()
    c.sendall(("%s %s\n" % (tag, a[0])).encode()); c.close()
EOF
cat >"$LAB_DIR/cli.py" <<'EOF'
import socket, sys
try:
    if len(sys.argv) > 3:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
        s.sendto(b"q", (sys.argv[1], int(sys.argv[2])))
        print(s.recv(200).decode().strip())
    else:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.0)
        print(s.recv(200).decode().strip())
except OSError as e:
    print("FAIL %s" % e)
EOF
# serve NS PORT TAG [udp] (NS "-" = the lab host); waits until it listens
serve() {
	local i run=()
	[ "$1" = - ] || run=(ip netns exec "$1")
	"${run[@]}" $PY "$LAB_DIR/srv.py" "$2" "$3" ${4:-} &
	PIDS+=($!)
	for i in $(seq 50); do
		[ -n "$("${run[@]}" ss -Hltn "sport = :$2")" ] && return 0
		sleep 0.1
	done
	echo "# server $* did not start"
}
# ask NS HOST PORT [udp] -> "TAG PEER" or FAIL (NS "-" = the lab host)
ask() {
	local out run=()
	[ "$1" = - ] || run=(ip netns exec "$1")
	out=$("${run[@]}" $PY "$LAB_DIR/cli.py" "$2" "$3" ${4:-})
	case $out in FAIL*) echo FAIL ;; *) echo "$out" ;; esac
}
addr_of() { ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
jget() { $PY -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
snapshot() {
	echo "veths $(count_veths) leases $(count_leases) claims $(count_claims) ports $(count_map_elements)"
	ls "$NETD_STATE_DIR/networks/"*/endpoints 2>/dev/null
}

HOST=192.0.2.1
LAN=192.0.2.2

check "network create int1 --internal" "$NETD" network create int1 --subnet 10.91.0.0/24 --internal
check "network create icc1 --icc=false" "$NETD" network create icc1 --subnet 10.92.0.0/24 --icc=false
check "network create nat1, nat2" sh -c "'$NETD' network create nat1 --subnet 10.93.0.0/24 >/dev/null && '$NETD' network create nat2 --subnet 10.97.0.0/24 >/dev/null"
check_fails "network create --internal --routed is refused" \
	"$NETD" network create bad1 --subnet 10.94.0.0/24 --internal --routed
check_fails "network create --icc=maybe is refused" \
	"$NETD" network create bad2 --subnet 10.94.0.0/24 --icc=maybe
check_fails "... and neither left a subnet file" ls "$NETD_CONFIG_DIR/bad1.conf" "$NETD_CONFIG_DIR/bad2.conf"
check "subnet file of int1: internal=yes, masquerade=no" \
	sh -c "grep -qx internal=yes '$NETD_CONFIG_DIR/int1.conf' && grep -qx masquerade=no '$NETD_CONFIG_DIR/int1.conf'"
check "subnet file of icc1: icc=no" grep -qx icc=no "$NETD_CONFIG_DIR/icc1.conf"
check_fails "subnet file of nat1: neither key (defaults)" grep -qE '^(internal|icc)=' "$NETD_CONFIG_DIR/nat1.conf"

# ---- inspect and ls ----
check_eq "inspect --json int1: internal true, masquerade false, icc true" "True False True" \
	"$("$NETD" network inspect int1 --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["internal"], d["masquerade"], d["icc"])')"
check_eq "inspect --json icc1: internal false, icc false" "False False" \
	"$("$NETD" network inspect icc1 --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["internal"], d["icc"])')"
check "inspect int1 (text): internal yes" sh -c "'$NETD' network inspect int1 | grep -q '^  internal yes'"
check "inspect icc1 (text): icc no" sh -c "'$NETD' network inspect icc1 | grep -q '^  icc      no'"
check "ls: OPTIONS column" sh -c "'$NETD' network ls | grep -E '^int1 .* internal\$' && '$NETD' network ls | grep -E '^icc1 .* icc=no\$' && '$NETD' network ls | grep -E '^nat1 .* -\$'"
check_eq "ls --json carries both" "True False" \
	"$("$NETD" network ls --json | $PY -c 'import json,sys; d={n["name"]: n for n in json.load(sys.stdin)}; print(d["int1"]["internal"], d["icc1"]["icc"])')"

# ---- attach ----
for ns in i1 i2 c1 c2 n1 m1 x1; do mkns $ns; done
before=$(snapshot)
out=$("$NETD" attach int1 --netns /run/netns/x1 --id x1 -p 8099:80 2>&1)
rc=$?
case "$rc $out" in
"2 "*"network int1 is internal: nothing from outside reaches its containers, so no port can be published"*)
	ok "attach -p on an internal network is refused with a clear message ($out)" ;;
*) not_ok "attach -p on internal: rc=$rc: $out" ;;
esac
check_eq "... nothing changed (veths, leases, claims, map elements, records)" "$before" "$(snapshot)"
check_fails "... no interface in the namespace" ip -n x1 link show eth0
check_fails "... no bridge made" ip link show int1

check "attach i1, i2 (int1)" sh -c "'$NETD' attach int1 --netns /run/netns/i1 --id i1 >/dev/null && '$NETD' attach int1 --netns /run/netns/i2 --id i2 >/dev/null"
"$NETD" attach icc1 --netns /run/netns/c1 --id c1 -p 8090:80 --explain=$LAB_DIR/c1.sh >/dev/null
check_eq "attach c1 (icc1, -p 8090:80)" 0 $?
check "attach c2 (icc1)" "$NETD" attach icc1 --netns /run/netns/c2 --id c2
check "attach n1 (nat1)" "$NETD" attach nat1 --netns /run/netns/n1 --id n1
check "attach m1 (nat2)" "$NETD" attach nat2 --netns /run/netns/m1 --id m1
I1=$(addr_of i1) I2=$(addr_of i2) C1=$(addr_of c1) C2=$(addr_of c2) N1=$(addr_of n1) M1=$(addr_of m1)

check_eq "internal: i1 has no default route" "" "$(ip -n i1 route show default)"
check_eq "internal: no masq_nets element for 10.91.0.0/24" "" \
	"$(nft list set ip netd masq_nets | grep -o '10\.91\.0\.0/24')"
check "internal: int1's bridge is in set internal" sh -c "nft list set ip netd internal | grep -q '\"int1\"'"
check "--explain: icc1's veth port is isolated" grep -q 'type bridge_slave hairpin on isolated on' "$LAB_DIR/c1.sh"
veth_of() { "$NETD" ps --json 2>/dev/null | $PY -c 'import json,sys
for e in json.load(sys.stdin):
    if e["id"] == sys.argv[1]: print(e["host_interface"])' "$1"; }
VC1=$(veth_of c1) VN1=$(veth_of n1)
check "icc=no: c1's bridge port is isolated ($VC1)" sh -c "ip -d link show $VC1 | grep -q 'isolated on'"
check "icc default: n1's bridge port is not ($VN1)" sh -c "ip -d link show $VN1 | grep -q 'isolated off'"

# ---- the LAN ----
mkns lan
ip link add ext0 type veth peer name eth0 netns lan
ip addr add $HOST/24 dev ext0
ip link set ext0 up
ip -n lan addr add $LAN/24 dev eth0
ip -n lan link set eth0 up
for net in 10.91.0.0/24 10.92.0.0/24 10.93.0.0/24; do ip -n lan route add $net via $HOST; done
for ns in i1 i2 c1 c2 n1; do serve $ns 80 $ns; done
serve lan 7000 lan
serve - 7778 host
serve - 53 dns udp

for brnf in 0 1; do
	echo $brnf >/proc/sys/net/bridge/bridge-nf-call-iptables
	w="(bridge-nf-call-iptables=$brnf)"
	# 1. internal
	check_eq "internal: i1 -> i2:80 $w" "i2 $I1" "$(ask i1 "$I2" 80)"
	check_eq "internal: i2 -> i1:80 $w" "i1 $I2" "$(ask i2 "$I1" 80)"
	check_eq "internal: i1 -> the host (its gateway) $w" "host $I1" "$(ask i1 10.91.0.1 7778)"
	check_eq "internal: host -> i1:80 $w" "i1 10.91.0.1" "$(ask - "$I1" 80)"
	check_eq "internal: i1 -> LAN: no route $w" FAIL "$(ask i1 $LAN 7000)"
	ip -n i1 route add default via 10.91.0.1
	check_eq "internal: i1 -> LAN with a default route added by hand: dropped $w" FAIL \
		"$(ask i1 $LAN 7000)"
	check_eq "internal: i1 -> n1:80 (another network) $w" FAIL "$(ask i1 "$N1" 80)"
	ip -n i1 route del default
	check_eq "internal: n1 -> i1:80 $w" FAIL "$(ask n1 "$I1" 80)"
	check_eq "internal: LAN -> i1:80 (routed at the host) $w" FAIL "$(ask lan "$I1" 80)"
	# 2. icc=no
	check_eq "icc=no: c1 -> c2:80 $w" FAIL "$(ask c1 "$C2" 80)"
	check_eq "icc=no: c2 -> c1:80 $w" FAIL "$(ask c2 "$C1" 80)"
	check_fails "icc=no: c2 cannot ping c1 $w" ip netns exec c2 ping -c1 -W1 "$C1"
	check_eq "icc=no: c1 -> LAN (egress, masqueraded) $w" "lan $HOST" "$(ask c1 $LAN 7000)"
	check_eq "icc=no: LAN -> $HOST:8090 reaches c1 $w" "c1 $LAN" "$(ask lan $HOST 8090)"
	check_eq "icc=no: host -> c1:80 $w" "c1 10.92.0.1" "$(ask - "$C1" 80)"
	# With bridge-nf-call-iptables=1, br_netfilter DNATs a hairpin frame on the bridge path
	# and forwards it port to port, where isolation drops it (docs/design.md, icc): only the
	# routed path (the default, without br_netfilter) carries hairpin on an icc=no network.
	if [ $brnf = 0 ]; then
		check_eq "icc=no: hairpin c2 -> $HOST:8090 reaches c1 $w" "c1 10.92.0.1" \
			"$(ask c2 $HOST 8090)"
		check_eq "icc=no: hairpin c1 -> $HOST:8090 (its own port) $w" "c1 10.92.0.1" \
			"$(ask c1 $HOST 8090)"
	fi
	check_eq "icc default: n1 is unaffected (egress) $w" "lan $HOST" "$(ask n1 $LAN 7000)"
	# 3. DNS to a gateway only from its own bridge
	check_eq "dns: n1 -> its gateway:53/udp $w" "dns $N1" "$(ask n1 10.93.0.1 53 udp)"
	check_eq "dns: n1 -> its gateway:53/tcp $w" "dns $N1" "$(ask n1 10.93.0.1 53)"
	check_eq "dns: n1 -> icc1's gateway:53/udp: dropped $w" FAIL "$(ask n1 10.92.0.1 53 udp)"
	check_eq "dns: n1 -> icc1's gateway:53/tcp: dropped $w" FAIL "$(ask n1 10.92.0.1 53)"
	check_eq "dns: c1 -> nat1's gateway:53/udp: dropped $w" FAIL "$(ask c1 10.93.0.1 53 udp)"
	check_eq "dns: m1 (nat2) -> its gateway:53/udp $w" "dns $M1" "$(ask m1 10.97.0.1 53 udp)"
	check_eq "dns: m1 (nat2) -> nat1's gateway:53/udp: dropped $w" FAIL "$(ask m1 10.93.0.1 53 udp)"
	check_eq "dns: m1 (nat2) -> nat1's gateway:53/tcp: dropped $w" FAIL "$(ask m1 10.93.0.1 53)"
	check_eq "dns: n1 (nat1) -> nat2's gateway:53/udp: dropped $w" FAIL "$(ask n1 10.97.0.1 53 udp)"
	check_eq "dns: c1 -> its gateway:53/udp $w" "dns $C1" "$(ask c1 10.92.0.1 53 udp)"
	check_eq "dns: n1 -> icc1's gateway, another port: still the host's $w" "host $N1" \
		"$(ask n1 10.92.0.1 7778)"
	check_eq "dns: the host -> icc1's gateway:53/udp $w" "dns 10.92.0.1" "$(ask - 10.92.0.1 53 udp)"
done

# ---- CNI: "internal": true, "icc": false ----
cniconf() {
	printf '{"cniVersion":"1.0.0","name":"%s","type":"netd-cni","bridge":"br-%s","isGateway":true,"isDefaultGateway":true,"ipMasq":true,%s"ipam":{"type":"netd","ranges":[[{"subnet":"%s"}]]}%s}' \
		"$1" "$1" "$3" "$2" "${4:-}"
}
cni() {
	printf '%s' "$5" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME="$4" \
		CNI_PATH=/usr/lib/cni "$CNI" >"$LAB_DIR/cni.out" 2>&1
}
mkns k1
PM=',"runtimeConfig":{"portMappings":[{"hostPort":8091,"containerPort":80,"protocol":"tcp"}]}'
before=$(snapshot)
cni ADD k1 /run/netns/k1 eth0 "$(cniconf cint 10.95.0.0/24 '"internal":true,' "$PM")"
rc=$?
check "netd-cni ADD with portMappings on an internal network fails ($(cat "$LAB_DIR/cni.out"))" \
	sh -c "[ $rc != 0 ] && grep -q 'is internal' '$LAB_DIR/cni.out'"
check_eq "... nothing changed" "$before" "$(snapshot)"
check "netd-cni ADD (internal, isDefaultGateway) without ports" \
	cni ADD k1 /run/netns/k1 eth0 "$(cniconf cint 10.95.0.0/24 '"internal":true,')"
check_eq "... the pod gets no default route on an internal network" "" "$(ip -n k1 route show default)"
check "... its bridge is in set internal" sh -c "nft list set ip netd internal | grep -q '\"br-cint\"'"
check "netd-cni DEL" cni DEL k1 /run/netns/k1 eth0 "$(cniconf cint 10.95.0.0/24 '"internal":true,')"
mkns k2
check "netd-cni ADD \"icc\": false" cni ADD k2 /run/netns/k2 eth0 "$(cniconf cicc 10.96.0.0/24 '"icc":false,')"
check "... the pod's bridge port is isolated" sh -c "ip -d link show master br-cicc | grep -q 'isolated on'"
# a config that turns icc back on while k2 is attached: refused (its port stays isolated, the
# next one would not be), nothing rewritten; once k2 is gone it is taken
mkns k3
cni ADD k3 /run/netns/k3 eth0 "$(cniconf cicc 10.96.0.0/24 '"icc":true,')"
rc=$?
check "netd-cni ADD with \"icc\": true while an endpoint is attached: refused ($(cat "$LAB_DIR/cni.out"))" \
	sh -c "[ $rc != 0 ] && grep -q 'network cicc: icc cannot change while 1 endpoint is attached' '$LAB_DIR/cni.out'"
check "... the subnet file still says icc=no" grep -q '^icc=no' "$NETD_CONFIG_DIR/cicc.conf"
check_eq "... and k3 has no interface" "" "$(ip -n k3 -o link show eth0 2>/dev/null)"
check "netd-cni DEL" cni DEL k2 /run/netns/k2 eth0 "$(cniconf cicc 10.96.0.0/24 '"icc":false,')"
check "netd-cni ADD \"icc\": true once the network is empty" \
	cni ADD k3 /run/netns/k3 eth0 "$(cniconf cicc 10.96.0.0/24 '"icc":true,')"
check "... the subnet file lost icc=no" bash -c "! grep -q '^icc=no' '$NETD_CONFIG_DIR/cicc.conf'"
check "... the port is not isolated" bash -c "ip -d link show master br-cicc | grep -q 'isolated off'"
check "netd-cni DEL k3" cni DEL k3 /run/netns/k3 eth0 "$(cniconf cicc 10.96.0.0/24 '"icc":true,')"

# ---- undo: network rm takes the elements; gc after a namespace dies takes the veth ----
ip netns del c2
check "gc after c2's namespace died" "$NETD" gc
check_eq "c2's isolated port went with its veth" 1 "$(ip -o link show master icc1 | wc -l)"
check "network rm --force int1, icc1" sh -c "'$NETD' network rm --force int1 && '$NETD' network rm --force icc1"
check_eq "set internal no longer names int1" "" "$(nft list set ip netd internal | grep -o '"int1"')"
check_eq "dns_gw: the pairs of int1 and icc1 are gone, nat1's and nat2's stay" \
	'"nat1" . 10.93.0.1 "nat2" . 10.97.0.1' \
	"$(nft -j list set ip netd dns_gw | $PY -c 'import json,sys
d=json.load(sys.stdin)
for o in d["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        c = e["concat"]
        if c[0] in ("int1", "icc1", "nat1", "nat2"): print("\"%s\" . %s" % (c[0], c[1]))' | sort | paste -sd' ')"
finish
