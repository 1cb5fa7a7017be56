#!/bin/bash
# The firewall model of table ip netd (docs/design.md "The network boundary"), in a lab host with
# a LAN: a veth from the lab host to a neighbour namespace "lan" that routes every container
# subnet via the host, as a neighbour on a real LAN could.
#
#  1. Unpublished ports of a nat network (the default) take no new connection from the LAN; its
#     published ports do; a routed network (--routed, gateway_mode=routed; netd-cni
#     "gatewayMode": "routed") takes them on every port; masquerade stays per its own key.
#     With br_netfilter's bridge-nf-call-iptables off and on, these keep working: containers of
#     one network, egress, published ports from the LAN, from the host and from 127.0.0.1,
#     hairpin, isolation between networks, a container reaching the host's addresses.
#  2. A network switched from routed back to nat (CNI config, subnet file) is closed again.
#  3. A table made by an older netd (another layout) is replaced by the next attach, with every
#     network and published port put back.
#  4. net.ipv4.ip_forward: netd attach and netd-cni turn it on and say so once on stderr (not
#     when it was on, not in a dry run); netd doctor says what it means.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

CNI=$BUILD/netd-cni
PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT # PIDS, kill_servers: tests/lib.sh

# A TCP server that answers "TAG PEER-IP" and its client (prints the answer or FAIL).
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys
port, tag = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(64)
while True:
    c, a = s.accept()
    c.sendall(("%s %s\n" % (tag, a[0])).encode()); c.close()
EOF
cat >"$LAB_DIR/cli.py" <<'EOF'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.0)
    print(s.recv(200).decode().strip())
except OSError as e:
    print("FAIL %s" % e)
EOF
# serve NS PORT TAG (NS "-" = the lab host); waits until it listens
serve() {
	local i
	if [ "$1" = - ]; then
		$PY "$LAB_DIR/srv.py" "$2" "$3" &
	else
		ip netns exec "$1" $PY "$LAB_DIR/srv.py" "$2" "$3" &
	fi
	PIDS+=($!)
	for i in $(seq 50); do
		if [ "$1" = - ]; then
			[ -n "$(ss -Hltn "sport = :$2")" ] && return 0
		else
			[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ] && return 0
		fi
		sleep 0.1
	done
	echo "# server $* did not start"
}
# ask NS HOST PORT -> "TAG PEER" or FAIL (NS "-" = the lab host)
ask() {
	local out
	if [ "$1" = - ]; then
		out=$($PY "$LAB_DIR/cli.py" "$2" "$3")
	else
		out=$(ip netns exec "$1" $PY "$LAB_DIR/cli.py" "$2" "$3")
	fi
	case $out in FAIL*) echo FAIL ;; *) echo "$out" ;; esac
}
addr_of() { ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }

HOST=192.0.2.1
LAN=192.0.2.2

# ---- 4a. ip_forward starts off in the lab: the first attach turns it on and says so ----
check_eq "lab starts with ip_forward=0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
check "network create nat1 (default mode)" "$NETD" network create nat1 --subnet 10.81.0.0/24
check "network create rt1 --routed --no-masquerade" \
	"$NETD" network create rt1 --subnet 10.82.0.0/24 --routed --no-masquerade
check "network create nat2" "$NETD" network create nat2 --subnet 10.83.0.0/24
for ns in n1 n2 r1 o1; do mkns $ns; done
"$NETD" attach nat1 --netns /run/netns/n1 --id n1 --dry-run >/dev/null 2>"$LAB_DIR/dry.err"
check_eq "a dry run leaves ip_forward off" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
check "... explains turning it on" grep -qx "echo 1 > /proc/sys/net/ipv4/ip_forward" "$LAB_DIR/dry.err"
check_fails "... and says nothing of having turned it on" grep -q "turned on IP forwarding" \
	"$LAB_DIR/dry.err"
"$NETD" attach nat1 --netns /run/netns/n1 --id n1 -p 8080:80 >"$LAB_DIR/a1.json" 2>"$LAB_DIR/a1.err"
check_eq "attach n1 (nat1, -p 8080:80)" 0 $?
check_eq "ip_forward is on after the first attach" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "the first attach says so on stderr, once" 1 \
	"$(grep -c '^netd: turned on IP forwarding (net.ipv4.ip_forward was 0, now 1)' "$LAB_DIR/a1.err")"
check "... and stdout is still the JSON result" $PY -c "import json; json.load(open('$LAB_DIR/a1.json'))"
"$NETD" attach nat1 --netns /run/netns/n2 --id n2 2>"$LAB_DIR/a2.err" >/dev/null
check_eq "attach n2 (nat1): forwarding was on, nothing said" "" "$(cat "$LAB_DIR/a2.err")"
check "attach r1 (rt1)" "$NETD" attach rt1 --netns /run/netns/r1 --id r1
check "attach o1 (nat2)" "$NETD" attach nat2 --netns /run/netns/o1 --id o1
DOC=$("$NETD" doctor --json)
check "doctor: ip_forward finding says netd turns it on and what that means for the host" \
	$PY -c 'import json,sys
f=[x for x in json.loads(sys.argv[1]) if x["check"]=="ip_forward"][0]
assert f["level"]=="ok", f
assert "netd attach turns it on" in f["text"] and "routes between all its interfaces" in f["text"], f' "$DOC"
check "doctor: the routed network is called out" \
	$PY -c 'import json,sys
assert any("network rt1" in x["text"] and "routed" in x["text"] for x in json.loads(sys.argv[1]))' "$DOC"

N1=$(addr_of n1)
N2=$(addr_of n2)
R1=$(addr_of r1)
O1=$(addr_of o1)

# ---- network inspect shows the mode ----
check_eq "inspect --json: rt1 gateway_mode routed" routed \
	"$("$NETD" network inspect rt1 --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["gateway_mode"])')"
check_eq "inspect --json: nat1 gateway_mode nat" nat \
	"$("$NETD" network inspect nat1 --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["gateway_mode"])')"
check "inspect: text says routed" sh -c "'$NETD' network inspect rt1 | grep -q 'gateway mode routed'"
check "subnet file of rt1 says gateway_mode=routed" grep -qx gateway_mode=routed "$NETD_CONFIG_DIR/rt1.conf"
check_fails "subnet file of nat1 has no gateway_mode (nat is the default)" \
	grep -q gateway_mode "$NETD_CONFIG_DIR/nat1.conf"

# ---- the LAN ----
mkns lan
ip link add ext0 type veth peer name eth0 netns lan
ip addr add $HOST/24 dev ext0
ip link set ext0 up
ip -n lan addr add $LAN/24 dev eth0
ip -n lan link set eth0 up
for net in 10.81.0.0/24 10.82.0.0/24 10.83.0.0/24; do
	ip -n lan route add $net via $HOST
done

serve n1 80 n1
serve n2 80 n2
serve r1 80 r1
serve o1 80 o1
serve lan 7000 lan
serve - 7778 host

# Count new connections to n1:80 from the LAN before table ip netd's forward chain sees them, so
# that "no answer" cannot pass by the packets never being sent.
nft -f - <<EOF
table ip fwprobe {
	chain f {
		type filter hook forward priority -10; policy accept;
		iifname "ext0" ip daddr $N1 tcp dport 80 tcp flags syn counter
	}
}
EOF
probe_syns() {
	nft list chain ip fwprobe f | awk '{ for (k = 1; k < NF; k++) if ($k == "packets") print $(k + 1) }'
}

# ---- 1. the model, with bridge-nf-call-iptables off and on ----
for brnf in 0 1; do
	echo $brnf >/proc/sys/net/bridge/bridge-nf-call-iptables
	w="(bridge-nf-call-iptables=$brnf)"
	before=$(probe_syns)
	check_eq "LAN -> n1:80 (nat, unpublished) gets no answer $w" FAIL "$(ask lan "$N1" 80)"
	check "... the LAN's SYNs did arrive at the forward hook $w" test "$(probe_syns)" -gt "$before"
	check_eq "LAN -> o1:80 (nat, unpublished) gets no answer $w" FAIL "$(ask lan "$O1" 80)"
	check_fails "LAN cannot ping n1 $w" ip netns exec lan ping -c1 -W1 "$N1"
	check_eq "LAN -> $HOST:8080 (published) reaches n1, source kept $w" "n1 $LAN" \
		"$(ask lan $HOST 8080)"
	check_eq "LAN -> r1:80 (routed, unpublished) answers, source kept $w" "r1 $LAN" \
		"$(ask lan "$R1" 80)"
	check "LAN can ping r1 (routed) $w" ip netns exec lan ping -c1 -W1 "$R1"
	check_eq "same network: n2 -> n1:80 $w" "n1 $N2" "$(ask n2 "$N1" 80)"
	check_eq "same network: n1 -> n2:80 $w" "n2 $N1" "$(ask n1 "$N2" 80)"
	check_eq "egress: n1 -> LAN, masqueraded to the host address $w" "lan $HOST" \
		"$(ask n1 $LAN 7000)"
	check_eq "egress: r1 -> LAN, not masqueraded (rt1 --no-masquerade) $w" "lan $R1" \
		"$(ask r1 $LAN 7000)"
	check_eq "host -> n1:80 directly $w" "n1 10.81.0.1" "$(ask - "$N1" 80)"
	check_eq "host -> 127.0.0.1:8080 $w" "n1 10.81.0.1" "$(ask - 127.0.0.1 8080)"
	check_eq "host -> $HOST:8080 $w" "n1 $HOST" "$(ask - $HOST 8080)"
	check_eq "hairpin: n1 -> $HOST:8080 (its own port) $w" "n1 10.81.0.1" \
		"$(ask n1 $HOST 8080)"
	check_eq "hairpin: n2 -> $HOST:8080 $w" "n1 10.81.0.1" "$(ask n2 $HOST 8080)"
	check_eq "other network: o1 -> $HOST:8080 (published, via the host) $w" "n1 10.81.0.1" \
		"$(ask o1 $HOST 8080)"
	check_eq "isolation: o1 (nat2) -> n1:80 $w" FAIL "$(ask o1 "$N1" 80)"
	check_eq "isolation: n1 -> o1:80 $w" FAIL "$(ask n1 "$O1" 80)"
	check_eq "isolation: o1 -> r1:80 (routed takes the LAN, not other networks) $w" FAIL \
		"$(ask o1 "$R1" 80)"
	check_eq "isolation: r1 -> n1:80 $w" FAIL "$(ask r1 "$N1" 80)"
	check_eq "a container reaches the host's address (as in Docker) $w" "host $N1" \
		"$(ask n1 $HOST 7778)"
	check_eq "... and another network's gateway, a host address too $w" "host $N1" \
		"$(ask n1 10.83.0.1 7778)"
done

# ---- 2. routed and back, through netd-cni's gatewayMode ----
cni() { # CMD ID NETNS CONFIG -> exit status; stdout in $OUT, stderr in $ERR
	printf '%s' "$4" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME=eth0 \
		CNI_PATH=/nonexistent "$CNI" >"$LAB_DIR/cni.out" 2>"$LAB_DIR/cni.err"
}
cniconf() { # MODE-MEMBER
	printf '{"cniVersion":"1.0.0","name":"pods","type":"netd-cni","bridge":"cni-pods","isGateway":true,"isDefaultGateway":true,"ipMasq":true%s,"ipam":{"type":"netd","subnet":"10.84.0.0/24"}}' "$1"
}
ip -n lan route add 10.84.0.0/24 via $HOST
mkns k1
echo 0 >/proc/sys/net/ipv4/ip_forward
cni ADD k1 /run/netns/k1 "$(cniconf ',"gatewayMode":"routed"')"
check_eq "CNI ADD k1 with gatewayMode routed" 0 $?
check_eq "netd-cni turned ip_forward on and said so on stderr" \
	"1 1" "$(cat /proc/sys/net/ipv4/ip_forward) $(grep -c '^netd-cni: turned on IP forwarding' "$LAB_DIR/cni.err")"
check "... its stdout is the CNI result" $PY -c "import json; assert json.load(open('$LAB_DIR/cni.out'))['ips']"
check "the subnet file of pods says gateway_mode=routed" grep -qx gateway_mode=routed \
	"$NETD_CONFIG_DIR/pods.conf"
K1=$(addr_of k1)
serve k1 80 k1
check_eq "LAN -> k1:80 (routed CNI network) answers" "k1 $LAN" "$(ask lan "$K1" 80)"
check "CNI DEL k1" cni DEL k1 /run/netns/k1 "$(cniconf ',"gatewayMode":"routed"')"
cni ADD k1 /run/netns/k1 "$(cniconf '')"
check_eq "CNI ADD k1 again without gatewayMode (nat)" 0 $?
check_eq "... nothing said: forwarding was on" "" "$(cat "$LAB_DIR/cni.err")"
check_fails "the subnet file of pods no longer says routed" grep -q gateway_mode \
	"$NETD_CONFIG_DIR/pods.conf"
check_eq "LAN -> k1:80 gets no answer again (its routed element is gone)" FAIL "$(ask lan "$K1" 80)"
check_eq "set routed holds rt1's bridge only" '"rt1"' \
	"$(nft -j list set ip netd routed | $PY -c 'import json,sys
print(" ".join(json.dumps(e) for o in json.load(sys.stdin)["nftables"] if "set" in o for e in o["set"].get("elem",[])))')"
check "CNI DEL k1" cni DEL k1 /run/netns/k1 "$(cniconf '')"
check_eq "CNI ADD with gatewayMode bogus is a config error (code 7)" 7 \
	"$(cni ADD k1 /run/netns/k1 "$(cniconf ',"gatewayMode":"bogus"')"; $PY -c "import json; print(json.load(open('$LAB_DIR/cni.out'))['code'])")"

# ... and through a hand-edited subnet file: nat2 made routed, then nat again
mkns o2
sed -i '$a gateway_mode=routed' "$NETD_CONFIG_DIR/nat2.conf"
check "attach o2 to nat2 after its subnet file says routed" \
	"$NETD" attach nat2 --netns /run/netns/o2 --id o2
check_eq "LAN -> o1:80 answers now (nat2 is routed)" "o1 $LAN" "$(ask lan "$O1" 80)"
check "detach o2" "$NETD" detach nat2 --id o2
sed -i '/^gateway_mode=/d' "$NETD_CONFIG_DIR/nat2.conf"
check "attach o2 to nat2 again, the file back to nat" \
	"$NETD" attach nat2 --netns /run/netns/o2 --id o2
check_eq "LAN -> o1:80 gets no answer again" FAIL "$(ask lan "$O1" 80)"
check "detach o2" "$NETD" detach nat2 --id o2
check_fails "a bad gateway_mode in a subnet file is refused at attach" \
	sh -c "echo gateway_mode=open >>'$NETD_CONFIG_DIR/nat2.conf' &&
	'$NETD' attach nat2 --netns /run/netns/o2 --id o2"
sed -i '/^gateway_mode=/d' "$NETD_CONFIG_DIR/nat2.conf"

# ---- 3. a table of an older netd: its rules as they were (forward ends in accept, no guard) ----
nft delete table ip netd
nft -f - <<EOF
table ip netd {
	set nets { type ipv4_addr; flags interval; auto-merge; elements = { 10.81.0.0/24, 10.82.0.0/24, 10.83.0.0/24 } }
	set masq_nets { type ipv4_addr; flags interval; auto-merge; elements = { 10.81.0.0/24, 10.83.0.0/24 } }
	set bridges { type ifname; elements = { "nat1", "rt1", "nat2" } }
	set bridge_self { type ifname . ifname; elements = { "nat1" . "nat1", "rt1" . "rt1", "nat2" . "nat2" } }
	map pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; elements = { tcp . 8080 : $N1 . 80 } }
	map pub_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
	chain publish {
		dnat ip to ip daddr . meta l4proto . th dport map @pub_ip
		dnat ip to meta l4proto . th dport map @pub_any
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		fib daddr type local ip daddr != 127.0.0.0/8 jump publish
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump publish
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		ct status dnat ip saddr 127.0.0.0/8 masquerade
		ct status dnat ip saddr @nets ip daddr @nets masquerade
		ip saddr @masq_nets ip daddr != @nets masquerade
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct status dnat accept
		ct state established,related accept
		iifname . oifname @bridge_self accept
		iifname @bridges oifname @bridges drop
		iifname @bridges accept
		oifname @bridges accept
	}
}
EOF
check_eq "old layout: LAN -> n1:80 answers (the hole this netd closes)" "n1 $LAN" "$(ask lan "$N1" 80)"
check "doctor warns that the table is an older netd's" sh -c \
	"'$NETD' doctor | grep -q 'table ip netd was made by an older netd'"
check "attach o2 replaces the old table" "$NETD" attach nat2 --netns /run/netns/o2 --id o2
check "the table now has this layout's comment" sh -c \
	"nft list table ip netd | grep -q 'comment \"netd layout 5\"'"
check_eq "... and one forward chain, ending in the drop" "oifname @bridges drop" \
	"$(nft list chain ip netd forward | grep -E 'accept|drop' | tail -1 | xargs)"
check_eq "LAN -> n1:80 gets no answer after the upgrade" FAIL "$(ask lan "$N1" 80)"
check_eq "n1's published port was put back: LAN -> $HOST:8080" "n1 $LAN" "$(ask lan $HOST 8080)"
check_eq "rt1 is routed again: LAN -> r1:80" "r1 $LAN" "$(ask lan "$R1" 80)"
check_eq "isolation is back: o1 -> n1:80" FAIL "$(ask o1 "$N1" 80)"
check "netd check n1 (its port element is there)" "$NETD" check nat1 --id n1

# The same layout without its comment, as a kernel before 5.13 keeps tables (no userdata): it is
# this netd's, and must not be replaced by every attach.
nft list table ip netd | grep -v 'comment "netd layout 5"' >"$LAB_DIR/nocomment.nft"
nft delete table ip netd
nft -f "$LAB_DIR/nocomment.nft"
handle() { nft -a list table ip netd | awk '/^table ip netd/ {print $NF}'; }
H1=$(handle)
mkns o3
check "attach o3 with the comment-less table" "$NETD" attach nat2 --netns /run/netns/o3 --id o3
check_eq "... the table was kept (same handle ${H1:-none})" "${H1:-none}" "$(handle)"
check "detach o3" "$NETD" detach nat2 --id o3

nft delete table ip fwprobe
for e in "nat1 n1" "nat1 n2" "rt1 r1" "nat2 o1" "nat2 o2"; do
	set -- $e
	"$NETD" detach "$1" --id "$2" || not_ok "detach $2"
done
check_eq "nothing left: veths, leases, map elements" "0 0 0" \
	"$(count_veths) $(count_leases) $(count_map_elements)"
finish
