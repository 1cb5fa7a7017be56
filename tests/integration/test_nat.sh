#!/bin/bash
# nat.c / conntrack.c / portcheck.c against the real kernel, inside a lab-host netns:
# published ports reachable from localhost, from outside and by hairpin; 127.0.0.1-only ports and
# the route_localnet guard; UDP remap with a conntrack flush; egress masquerade; isolation
# between bridges; all-or-nothing duplicate publish; idempotent teardown; nothing outside
# table ip netd touched; 1000 publishes; sock_diag port check.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/tests/integration/natprobe
[ -x "$P" ] || { echo "Bail out! $P not built"; exit 1; }
PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT

# --- helpers: a tiny TCP/UDP server that answers "TAG PEER-IP", and its client ---
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys
proto, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if len(sys.argv) > 4 and sys.argv[4] == "v6" else socket.AF_INET
addr = sys.argv[5] if len(sys.argv) > 5 else ("::" if fam == socket.AF_INET6 else "0.0.0.0")
if proto == "tcp":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((addr, port)); s.listen(64)
    while True:
        c, a = s.accept()
        c.sendall(("%s %s\n" % (tag, a[0])).encode()); c.close()
else:
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(("%s %s\n" % (tag, a[0])).encode(), a)
EOF
cat >"$LAB_DIR/cli.py" <<'EOF'
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(1.0)
if len(sys.argv) > 4:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[4])))
try:
    if proto == "tcp":
        s.connect((host, port)); print(s.recv(200).decode().strip())
    else:
        s.sendto(b"x", (host, port)); print(s.recv(200).decode().strip())
except OSError as e:
    print("FAIL %s" % e); sys.exit(1)
EOF
# serve NS PROTO PORT TAG [v6 [ADDR]]  (NS "-" = the lab host); waits until it is bound
serve() {
	local ns=$1 i
	shift
	if [ "$ns" = - ]; then
		$PY "$LAB_DIR/srv.py" "$@" &
	else
		ip netns exec "$ns" $PY "$LAB_DIR/srv.py" "$@" &
	fi
	PIDS+=($!)
	for i in $(seq 50); do
		if [ "$ns" = - ]; then
			[ "$($P inuse "$1" 0.0.0.0 "$2")" = yes ] && return 0
		else
			[ "$(ip netns exec "$ns" "$P" inuse "$1" 0.0.0.0 "$2")" = yes ] && return 0
		fi
		sleep 0.1
	done
	echo "# server $ns $* did not start"
	return 1
}
# ask NS PROTO HOST PORT [SRCPORT] -> prints the answer ("TAG PEER") or "FAIL ..."
ask() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then $PY "$LAB_DIR/cli.py" "$@"; else ip netns exec "$ns" $PY "$LAB_DIR/cli.py" "$@"; fi
}

# --- the lab host: br0 10.88.0.0/24 (ctrA .2, ctrB .3), br1 10.99.0.0/24 (ctrC .2),
#     ext0 192.168.50.1/24 to an "external" machine 192.168.50.2 (no route back to 10.x) ---
HOST=192.168.50.1
EXT=192.168.50.2
echo 1 >/proc/sys/net/ipv4/ip_forward
bridge_up() { # NAME CIDR-GW
	ip link add "$1" type bridge
	ip addr add "$2" dev "$1"
	ip link set "$1" up
	echo 1 >"/proc/sys/net/ipv4/conf/$1/route_localnet" # as link.c does
}
ctr() { # NS BRIDGE IP/PREFIX GW
	mkns "$1"
	ip link add "v$1" type veth peer name eth0 netns "$1"
	ip link set "v$1" master "$2" up
	ip -n "$1" addr add "$3" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "$4"
}
bridge_up br0 10.88.0.1/24
bridge_up br1 10.99.0.1/24
ctr ctrA br0 10.88.0.2/24 10.88.0.1
ctr ctrB br0 10.88.0.3/24 10.88.0.1
ctr ctrC br1 10.99.0.2/24 10.99.0.1
mkns ext
ip link add ext0 type veth peer name eth0 netns ext
ip addr add $HOST/24 dev ext0
ip link set ext0 up
ip -n ext addr add $EXT/24 dev eth0
ip -n ext link set eth0 up

# Someone else's table, which must come through untouched.
nft -f - <<'EOF'
table inet decoy {
	set s { type ipv4_addr; elements = { 1.2.3.4 } }
	chain c { type filter hook input priority 10; policy accept; ip saddr @s counter; }
}
EOF
BEFORE=$(nft -s list ruleset)

serve ctrA tcp 80 A
serve ctrA tcp 81 A81
serve ctrB tcp 80 B
serve ext tcp 7000 E
serve ctrA udp 5353 UA
serve ctrB udp 5353 UB
serve ctrC tcp 80 C

# --- table ---
check_fails "no table before ensure" $P exists
check "ensure creates table ip netd" $P ensure
check "ensure again is a no-op" $P ensure
check_eq "one set of base rules after two ensures" 2 "$(nft -a list chain ip netd publish | grep -c 'dnat ip to')"
# concurrent ensures never duplicate rules
$P destroy
EPIDS=()
for i in 1 2 3 4; do
	$P ensure &
	EPIDS+=($!)
done
wait "${EPIDS[@]}"
check_eq "four concurrent ensures: still 2 publish rules" 2 "$(nft list chain ip netd publish | grep -c 'dnat ip to')"
check_eq "four concurrent ensures: 1 prerouting rule" 1 "$(nft list chain ip netd prerouting | grep -c 'jump publish')"
check "net-add br0 (masquerade)" $P net-add br0 10.88.0.0/24 masq
check "net-add br0 again (idempotent)" $P net-add br0 10.88.0.0/24 masq

# --- publish 8080 -> ctrA:80 ---
check "publish 0.0.0.0:8080 -> 10.88.0.2:80" $P publish tcp 0.0.0.0 8080 10.88.0.2 80
check "lookup finds it" $P lookup tcp 0.0.0.0 8080 10.88.0.2 80
check_fails "lookup with another ctr ip says absent" $P lookup tcp 0.0.0.0 8080 10.88.0.3 80
check_fails "lookup of an unpublished port says absent" $P lookup tcp 0.0.0.0 8090 10.88.0.2 80
check_eq "localhost 127.0.0.1:8080 reaches ctrA, masqueraded to the bridge ip" "A 10.88.0.1" \
	"$(ask - tcp 127.0.0.1 8080)"
# (from a host address the source is kept: the host owns it and gets the reply back)
check_eq "host address $HOST:8080 from the host itself" "A $HOST" "$(ask - tcp $HOST 8080)"
check_eq "external $EXT -> $HOST:8080 reaches ctrA with its own source" "A $EXT" \
	"$(ask ext tcp $HOST 8080)"
check_eq "hairpin: ctrB -> $HOST:8080 (masqueraded)" "A 10.88.0.1" "$(ask ctrB tcp $HOST 8080)"
# Hairpin back into the very port it came from needs hairpin mode on that bridge port (link.c).
ip link set vctrA type bridge_slave hairpin on
check_eq "hairpin: ctrA -> $HOST:8080 (its own port)" "A 10.88.0.1" "$(ask ctrA tcp $HOST 8080)"
check_eq "unpublished port 8090 is not forwarded" "FAIL" "$(ask ext tcp $HOST 8090 | cut -d' ' -f1)"

# --- nft shows our maps readably ---
LIST=$(nft list table ip netd)
check "nft list table ip netd parses" nft list table ip netd
check "listing shows tcp . 8080 : 10.88.0.2 . 80" grep -q 'tcp . 8080 : 10.88.0.2 . 80' <<<"$LIST"
check "listing shows the pub_ip map type" grep -q 'type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service' <<<"$LIST"
check "listing shows the network in nets" grep -q '10.88.0.0/24' <<<"$LIST"
check "nft -j parses" sh -c "nft -j list table ip netd | $PY -c 'import json,sys; json.load(sys.stdin)'"
check_eq "count_map_elements (lib.sh) agrees" 1 "$(count_map_elements)"

# --- a port published on 127.0.0.1 only ---
check "publish 127.0.0.1:8081 -> 10.88.0.2:81" $P publish tcp 127.0.0.1 8081 10.88.0.2 81
check_eq "127.0.0.1:8081 answers on the host" "A81 10.88.0.1" "$(ask - tcp 127.0.0.1 8081)"
check_eq "$HOST:8081 does not answer from outside" "FAIL" "$(ask ext tcp $HOST 8081 | cut -d' ' -f1)"
check_eq "$HOST:8081 does not answer on the host either" "FAIL" "$(ask - tcp $HOST 8081 | cut -d' ' -f1)"

# The route_localnet hole: ext sends a SYN for 127.0.0.1:8080 to the lab host's MAC (its own
# local table moved behind a rule that routes 127/8 out eth0). A probe counts the packets
# arriving so this cannot pass by the packets never being sent.
ip netns exec ext sh -c '
	echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet
	echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet
	ip rule add pref 100 lookup local && ip rule del pref 0 &&
	ip rule add pref 10 to 127.0.0.0/8 iif lo lookup 100 &&
	ip route add 127.0.0.0/8 via '$HOST' dev eth0 onlink table 100'
nft -f - <<'EOF'
table ip probe {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "ext0" ip daddr 127.0.0.0/8 counter
	}
}
EOF
check_eq "external SYN to 127.0.0.1:8080 is not DNATed" "FAIL" "$(ask ext tcp 127.0.0.1 8080 | cut -d' ' -f1)"
check "... and it did reach the lab host" sh -c "nft list table ip probe | grep -q 'packets [1-9]'"

# --- duplicate publish: EEXIST, all or nothing ---
OUT=$($P publish tcp 0.0.0.0 9001 10.88.0.3 80 8080 2>&1)
RC=$?
check_eq "batch with a duplicate fails with exit 2" 2 $RC
check "error says File exists and names 0.0.0.0:8080/tcp" grep -q 'publish 0.0.0.0:8080/tcp: map pub_any: File exists' <<<"$OUT"
check "errno is EEXIST" grep -q 'errno: 17' <<<"$OUT"
check_fails "9001 of the failed batch was not applied" $P lookup tcp 0.0.0.0 9001 10.88.0.3 80
check "8080 still points at ctrA" $P lookup tcp 0.0.0.0 8080 10.88.0.2 80
check_eq "count is 2" 2 "$($P count)"

# --- multi-port batch and idempotent unpublish ---
check "publish 9001 9002 9003 in one batch" $P publish tcp 0.0.0.0 9001 10.88.0.3 80 9002 9003
check_eq "count is 5" 5 "$($P count)"
check_eq "9002 reaches ctrB" "B $EXT" "$(ask ext tcp $HOST 9002)"
check "unpublish 9001 9002 9003" $P unpublish tcp 0.0.0.0 9001 10.88.0.3 80 9002 9003
check "unpublish them again (gone is fine)" $P unpublish tcp 0.0.0.0 9001 10.88.0.3 80 9002 9003
check "publish 9004, then unpublish 9003 9004 9005 (some gone)" sh -c "$P publish tcp 0.0.0.0 9004 10.88.0.3 80 && $P unpublish tcp 0.0.0.0 9003 10.88.0.3 80 9004 9005"
check_fails "9004 is gone" $P lookup tcp 0.0.0.0 9004 10.88.0.3 80
check_eq "count is back to 2" 2 "$($P count)"

# --- UDP: move the mapping from ctrA to ctrB; the conntrack entry keeps the old DNAT until flushed ---
check "publish udp 5000 -> ctrA:5353" $P publish udp 0.0.0.0 5000 10.88.0.2 5353
check_eq "udp from ext reaches ctrA" "UA $EXT" "$(ask ext udp $HOST 5000 40000)"
check "move udp 5000 to ctrB" sh -c "$P unpublish udp 0.0.0.0 5000 10.88.0.2 5353 && $P publish udp 0.0.0.0 5000 10.88.0.3 5353"
check_eq "without a flush the old flow still goes to ctrA" "UA $EXT" "$(ask ext udp $HOST 5000 40000)"
check "flush-ct udp 5000" $P flush-ct udp 5000
check_eq "after the flush the same flow reaches ctrB" "UB $EXT" "$(ask ext udp $HOST 5000 40000)"
check "flush-ct of a port without entries is fine" $P flush-ct tcp 5999
ct_udp5000() { conntrack -L -p udp --orig-port-dst 5000 2>/dev/null | grep -c .; }
check_eq "one conntrack entry for udp 5000" 1 "$(ct_udp5000)"
check "flush-ct udp 5000 for another host ip keeps it" $P flush-ct udp 5000 10.1.1.1
check_eq "still one entry" 1 "$(ct_udp5000)"
check "flush-ct udp 5000 $HOST" $P flush-ct udp 5000 $HOST
check_eq "no entry left" 0 "$(ct_udp5000)"

# --- egress masquerade ---
check_eq "ctrA -> ext is seen from the host address" "E $HOST" "$(ask ctrA tcp $EXT 7000)"

# --- isolation between bridges ---
# br1 is not ours yet: for br0 it is outside, and an unpublished port of a nat network does not
# take new connections from outside (the forward chain's last rule).
check_eq "before br1 is ours, ctrC (outside) cannot reach ctrA's unpublished port" "FAIL" \
	"$(ask ctrC tcp 10.88.0.2 80 | cut -d' ' -f1)"
# (10.99/24 is not one of our networks yet, so ctrA's egress is masqueraded)
check_eq "before br1 is ours, ctrA reaches ctrC directly" "C 10.99.0.1" "$(ask ctrA tcp 10.99.0.2 80)"
check "net-add br1 (no masquerade)" $P net-add br1 10.99.0.0/24 nomasq
check_eq "ctrC cannot reach ctrA (isolation)" "FAIL" "$(ask ctrC tcp 10.88.0.2 80 | cut -d' ' -f1)"
check_eq "ctrA cannot reach ctrC either" "FAIL" "$(ask ctrA tcp 10.99.0.2 80 | cut -d' ' -f1)"
check_eq "ctrC (nomasq) is not masqueraded towards ext: no route back" "FAIL" "$(ask ctrC tcp $EXT 7000 | cut -d' ' -f1)"
check_eq "but ctrC reaches the published port via the host address" "A 10.88.0.1" "$(ask ctrC tcp $HOST 8080)"
check "net-del br1" $P net-del br1 10.99.0.0/24 nomasq
check "net-del br1 again (gone is fine)" $P net-del br1 10.99.0.0/24 nomasq
check_eq "after net-del br1 ctrA reaches ctrC again" "C 10.99.0.1" "$(ask ctrA tcp 10.99.0.2 80)"

# --- portcheck (sock_diag) ---
serve - tcp 9090 L
check_eq "inuse tcp 0.0.0.0:9090 with a listener" yes "$($P inuse tcp 0.0.0.0 9090)"
check_eq "inuse tcp $HOST:9090 (listener on the wildcard)" yes "$($P inuse tcp $HOST 9090)"
kill "${PIDS[-1]}"
wait "${PIDS[-1]}" 2>/dev/null
check_eq "inuse tcp 9090 after it closed" no "$($P inuse tcp 0.0.0.0 9090)"
serve - tcp 9091 L6 v6
check_eq "inuse tcp $HOST:9091 with a dual-stack [::] listener" yes "$($P inuse tcp $HOST 9091)"
serve - tcp 9092 LL v4 127.0.0.1
check_eq "inuse tcp 127.0.0.1:9092 (bound there)" yes "$($P inuse tcp 127.0.0.1 9092)"
check_eq "inuse tcp $HOST:9092 (bound on 127.0.0.1 only)" no "$($P inuse tcp $HOST 9092)"
serve - udp 9093 U
check_eq "inuse udp 9093" yes "$($P inuse udp 0.0.0.0 9093)"
check_eq "inuse tcp 9093 (only udp is bound)" no "$($P inuse tcp 0.0.0.0 9093)"
check "inuse sctp answers (no sctp socket)" sh -c "[ \"\$($P inuse sctp 0.0.0.0 9094)\" = no ]"

# --- scale: 1000 publishes ---
TIMES=$($P bulk 1000 20000 10.88.0.3)
check_eq "1000 publishes done" 1000 "$(wc -l <<<"$TIMES")"
check_eq "count is 1003" 1003 "$($P count)"
check "lookup of the first bulk port" $P lookup tcp 0.0.0.0 20000 10.88.0.3 80
check "lookup of the last bulk port" $P lookup tcp 0.0.0.0 20999 10.88.0.3 80
check_eq "bulk port 20500 reaches ctrB" "B $EXT" "$(ask ext tcp $HOST 20500)"
check_eq "8080 still reaches ctrA" "A $EXT" "$(ask ext tcp $HOST 8080)"
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "# publish time: median of first 50 $(head -50 <<<"$TIMES" | med)us, last 50 $(tail -50 <<<"$TIMES" | med)us"

# --- teardown ---
check "unpublish everything" sh -c "$P unpublish tcp 0.0.0.0 8080 10.88.0.2 80 && $P unpublish tcp 127.0.0.1 8081 10.88.0.2 81 && $P unpublish udp 0.0.0.0 5000 10.88.0.3 5353"
for ((p = 20000; p < 21000; p += 50)); do
	args=()
	for ((q = p + 1; q < p + 50; q++)); do args+=("$q"); done
	$P unpublish tcp 0.0.0.0 $p 10.88.0.3 80 "${args[@]}" || not_ok "unpublish $p.."
done
check_eq "count goes back to 0" 0 "$($P count)"
check_eq "8080 no longer answers" "FAIL" "$(ask ext tcp $HOST 8080 | cut -d' ' -f1)"

# Control for the 127/8 guards: without them, the very same external packet gets through (so
# the test above really exercised the hole). Each guard alone is enough: the guard chain drops
# it before conntrack, the nat rule would not DNAT it.
$P publish tcp 0.0.0.0 8080 10.88.0.2 80
nft flush chain ip netd prerouting
nft add rule ip netd prerouting fib daddr type local jump publish
check_eq "without the nat rule's 127/8 exclusion, the guard chain alone stops it" "FAIL" \
	"$(ask ext tcp 127.0.0.1 8080 | cut -d' ' -f1)"
nft flush chain ip netd guard
check_eq "control: without both guards the external SYN to 127.0.0.1 is DNATed" "A $EXT" \
	"$(ask ext tcp 127.0.0.1 8080)"
nft delete table ip probe

check "net-del br0" $P net-del br0 10.88.0.0/24 masq
check "destroy" $P destroy
check "destroy again" $P destroy
check_fails "no table after destroy" $P exists
check_eq "count with no table is 0" 0 "$($P count)"
check_eq "the rest of the ruleset is exactly as before" "$BEFORE" "$(nft -s list ruleset)"
check "publish re-creates the table when missing" $P publish tcp 0.0.0.0 8080 10.88.0.2 80
check_eq "... and it works" "A $EXT" "$(ask ext tcp $HOST 8080)"
$P destroy
finish
