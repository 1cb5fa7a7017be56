#!/bin/bash
# IPv6 publishing (issue 14), table ip6 netd against the real kernel, in a lab-host netns with a
# dual-stack network built by hand (natprobe drives nat.c; netd's own v6 attach comes with the
# v6 IPAM): a published [::] port from an external namespace, from the host itself and by
# hairpin, a port on one v6 host address only, v4 and v6 of one port side by side; an
# unpublished port and the container's own address are not reachable from outside; traffic
# between two networks' bridges is dropped; egress masquerade; a UDP remap with a v6 conntrack
# flush; sock_diag per family; the ip6 table comes back with ensure; nothing left after
# unpublish; netd refuses [::1] (with why), a v6 port on a network without IPv6, and a bad v6
# host address, changing nothing.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/tests/integration/natprobe
[ -x "$P" ] || { echo "Bail out! $P not built"; exit 1; }
PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT

# A server that answers "TAG PEER-IP" on both families ([::] without V6ONLY), and its client.
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys
proto, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET6, t)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
def peer(a):
    return a[0][7:] if a[0].startswith("::ffff:") else a[0]
if proto == "tcp":
    s.listen(64)
    while True:
        c, a = s.accept()
        c.sendall(("%s %s\n" % (tag, peer(a))).encode()); c.close()
else:
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(("%s %s\n" % (tag, peer(a))).encode(), a)
EOF
cat >"$LAB_DIR/cli.py" <<'EOF'
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(1.0)
if len(sys.argv) > 4:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sys.argv[4])))
try:
    if proto == "tcp":
        s.connect((host, port)); print(s.recv(200).decode().strip())
    else:
        s.sendto(b"x", (host, port)); print(s.recv(200).decode().strip())
except OSError as e:
    print("FAIL %s" % e); sys.exit(1)
EOF
serve() { # NS PROTO PORT TAG; waits until it is bound
	local ns=$1 i
	ip netns exec "$ns" $PY "$LAB_DIR/srv.py" "$2" "$3" "$4" &
	PIDS+=($!)
	for i in $(seq 50); do
		[ "$(ip netns exec "$ns" "$P" inuse "$2" :: "$3")" = yes ] && return 0
		sleep 0.1
	done
	echo "# server $* did not start"
	return 1
}
ask() { # NS PROTO HOST PORT [SRCPORT]  (NS "-": the lab host)
	local ns=$1
	shift
	if [ "$ns" = - ]; then $PY "$LAB_DIR/cli.py" "$@"; else ip netns exec "$ns" $PY "$LAB_DIR/cli.py" "$@"; fi
}
count6() { # elements of the publish maps of table ip6 netd
	nft -j list table ip6 netd 2>/dev/null | $PY -c '
import json,sys
try: d=json.load(sys.stdin)
except Exception: print(0); sys.exit()
print(sum(len(o["map"].get("elem",[])) for o in d.get("nftables",[]) if "map" in o and o["map"]["name"].startswith("pub")))'
}

# --- the lab host: br0 10.88.0.0/24 + fd88::/64 (ctrA .2/::2, ctrB .3/::3), br1 fd99::/64
#     (ctrC ::2); ext0 to an "external" machine 2001:db8:50::2 that routes fd88::/64 via us ---
HOST6=2001:db8:50::1
EXT6=2001:db8:50::2
HOST4=192.168.50.1
echo 1 >/proc/sys/net/ipv4/ip_forward
echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
bridge_up() { # NAME V4/LEN V6/LEN
	ip link add "$1" type bridge
	ip addr add "$2" dev "$1"
	ip addr add "$3" dev "$1" nodad
	ip link set "$1" up
}
ctr() { # NS BRIDGE V4/LEN GW4 V6/LEN GW6
	mkns "$1"
	ip netns exec "$1" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad'
	ip link add "v$1" type veth peer name eth0 netns "$1"
	ip link set "v$1" master "$2" up
	ip -n "$1" addr add "$3" dev eth0
	ip -n "$1" addr add "$5" dev eth0 nodad
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "$4"
	ip -n "$1" -6 route add default via "$6"
}
bridge_up br0 10.88.0.1/24 fd88::1/64
bridge_up br1 10.99.0.1/24 fd99::1/64
ctr ctrA br0 10.88.0.2/24 10.88.0.1 fd88::2/64 fd88::1
ctr ctrB br0 10.88.0.3/24 10.88.0.1 fd88::3/64 fd88::1
ctr ctrC br1 10.99.0.2/24 10.99.0.1 fd99::2/64 fd99::1
ip link set vctrA type bridge_slave hairpin on
lab_ext $HOST4 $HOST6 192.168.50.2 $EXT6
ip -n ext -6 route add fd88::/64 via $HOST6 # a neighbour that routes our subnet via the host
wait_until 30 ip -n ext -6 route get fd88::2

serve ctrA tcp 80 A
serve ctrB tcp 80 B
serve ctrC tcp 80 C
serve ext tcp 7000 E
serve ctrA udp 5353 UA
serve ctrB udp 5353 UB

# --- tables ---
check "ensure makes table ip netd and table ip6 netd" $P ensure
check "table ip6 netd exists" nft list table ip6 netd
check_eq "ip6: 2 publish rules" 2 "$(nft list chain ip6 netd publish | grep -c 'dnat ip6 to')"
check_eq "ip6: no guard chain (no route_localnet for IPv6)" 0 "$(nft list table ip6 netd | grep -c 'chain guard')"
check "ip6 table carries the layout comment" sh -c "nft list table ip6 netd | grep -q 'comment \"netd layout 5\"'"
check "net-add br0 with its v6 subnet" $P net-add br0 10.88.0.0/24 masq fd88::/64
check "net-add br1 with its v6 subnet" $P net-add br1 10.99.0.0/24 masq fd99::/64
check "ip6 nets holds fd88::/64" sh -c "nft list set ip6 netd nets | grep -q 'fd88::/64'"

# --- publish [::]:8080 -> ctrA [fd88::2]:80 ---
check "publish [::]:8080 -> [fd88::2]:80" $P publish tcp :: 8080 10.88.0.2,fd88::2 80
check "lookup finds it" $P lookup tcp :: 8080 10.88.0.2,fd88::2 80
check_fails "lookup with another v6 ctr says absent" $P lookup tcp :: 8080 10.88.0.2,fd88::3 80
check "listing shows tcp . 8080 : fd88::2 . 80" sh -c "nft list map ip6 netd pub_any | grep -q 'tcp . 8080 : fd88::2 . 80'"
check_eq "external $EXT6 -> [$HOST6]:8080 reaches ctrA with its own source" "A $EXT6" \
	"$(ask ext tcp $HOST6 8080)"
check_eq "the host itself -> [$HOST6]:8080" "A $HOST6" "$(ask - tcp $HOST6 8080)"
check_eq "hairpin: ctrB -> [$HOST6]:8080 (masqueraded to the bridge)" "A fd88::1" \
	"$(ask ctrB tcp $HOST6 8080)"
check_eq "hairpin: ctrA -> [$HOST6]:8080 (its own port)" "A fd88::1" "$(ask ctrA tcp $HOST6 8080)"
check_eq "the v6 port is not on IPv4: $HOST4:8080 gets nothing" "FAIL" \
	"$(ask ext tcp $HOST4 8080 | cut -d' ' -f1)"
check "publish 0.0.0.0:8080 too (Docker's -p 8080:80 is both)" $P publish tcp 0.0.0.0 8080 10.88.0.2 80
check_eq "IPv4 $HOST4:8080 now reaches ctrA" "A 192.168.50.2" "$(ask ext tcp $HOST4 8080)"
check_eq "IPv6 still reaches ctrA" "A $EXT6" "$(ask ext tcp $HOST6 8080)"
check_fails "publishing [::]:8080 again is refused (the element exists)" \
	$P publish tcp :: 8080 10.88.0.3,fd88::3 80

# --- the forward filter: new v6 connections into a bridge only when DNATed ---
check_eq "unpublished [$HOST6]:8090 gets nothing" "FAIL" "$(ask ext tcp $HOST6 8090 | cut -d' ' -f1)"
check_eq "ext -> ctrA's own address [fd88::2]:80 (routed via us) is dropped" "FAIL" \
	"$(ask ext tcp fd88::2 80 | cut -d' ' -f1)"
check_eq "the host reaches ctrA's address directly" "A fd88::1" "$(ask - tcp fd88::2 80)"
check_eq "ctrB reaches ctrA on the same bridge" "A fd88::3" "$(ask ctrB tcp fd88::2 80)"
check_eq "across networks: ctrC -> [fd88::2]:80 is dropped" "FAIL" \
	"$(ask ctrC tcp fd88::2 80 | cut -d' ' -f1)"
check_eq "across networks: ctrA -> [fd99::2]:80 is dropped" "FAIL" \
	"$(ask ctrA tcp fd99::2 80 | cut -d' ' -f1)"
check_eq "another network reaches the published port through a host address" "A fd88::1" \
	"$(ask ctrC tcp $HOST6 8080)"
check_eq "egress: ctrA -> ext is masqueraded to the host's address" "E $HOST6" \
	"$(ask ctrA tcp $EXT6 7000)"

# --- a port on one v6 host address ---
ip addr add 2001:db8:50::9/64 dev ext0 nodad
check "publish [2001:db8:50::9]:8081 -> ctrB" $P publish tcp 2001:db8:50::9 8081 10.88.0.3,fd88::3 80
check_eq "[2001:db8:50::9]:8081 reaches ctrB" "B $EXT6" "$(ask ext tcp 2001:db8:50::9 8081)"
check_eq "[$HOST6]:8081 does not" "FAIL" "$(ask ext tcp $HOST6 8081 | cut -d' ' -f1)"
check_eq "count: 2 v6 elements, 1 v4" 3 "$($P count)"
check_eq "count_map_elements (lib.sh) counts both tables" 3 "$(count_map_elements)"
check_fails "a v6 port without a v6 container address is refused" \
	$P publish tcp :: 8082 10.88.0.2 80
check_eq "and nothing was added" 2 "$(count6)"

# --- UDP remap over IPv6: the conntrack entry keeps the old DNAT until flushed ---
check "publish udp [::]:5000 -> ctrA" $P publish udp :: 5000 10.88.0.2,fd88::2 5353
check_eq "first flow reaches ctrA" "UA $EXT6" "$(ask ext udp $HOST6 5000 40000)"
check "unpublish it" $P unpublish udp :: 5000 10.88.0.2,fd88::2 5353
check "publish udp [::]:5000 -> ctrB" $P publish udp :: 5000 10.88.0.3,fd88::3 5353
check_eq "without a flush the old flow still goes to ctrA" "UA $EXT6" "$(ask ext udp $HOST6 5000 40000)"
check "flush-ct udp 5000 (v6)" $P flush-ct udp 5000 ::
check_eq "after the flush the same flow reaches ctrB" "UB $EXT6" "$(ask ext udp $HOST6 5000 40000)"

# --- sock_diag per family ---
ip netns exec ext $PY -c '
import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::", 9191)); s.listen(1)
t = socket.socket(socket.AF_INET); t.bind(("0.0.0.0", 9192)); t.listen(1)
time.sleep(30)' &
PIDS+=($!)
wait_until 50 sh -c "ip netns exec ext ss -ltn | grep -q ':9192 '"
check_eq "a v6-only listener on [::]:9191 holds [::]:9191" yes "$(ip netns exec ext $P inuse tcp :: 9191)"
check_eq "... and [2001:db8:50::2]:9191" yes "$(ip netns exec ext $P inuse tcp $EXT6 9191)"
check_eq "... but not 0.0.0.0:9191" no "$(ip netns exec ext $P inuse tcp 0.0.0.0 9191)"
check_eq "a v4 listener on 0.0.0.0:9192 does not hold [::]:9192" no "$(ip netns exec ext $P inuse tcp :: 9192)"
check_eq "... it holds 0.0.0.0:9192" yes "$(ip netns exec ext $P inuse tcp 0.0.0.0 9192)"

# --- the ip6 table deleted by someone: ensure makes it again ---
nft delete table ip6 netd
check_fails "exists says no with one table gone" $P exists
check "ensure makes table ip6 netd again" $P ensure
check "both tables exist" $P exists
check_eq "the new ip6 table has its rules" 2 "$(nft list chain ip6 netd publish | grep -c 'dnat ip6 to')"

# --- teardown leaves nothing ---
check "net-add br0 again (idempotent)" $P net-add br0 10.88.0.0/24 masq fd88::/64
check "publish again after the table came back" $P publish tcp :: 8080 10.88.0.2,fd88::2 80
check "unpublish [::]:8080" $P unpublish tcp :: 8080 10.88.0.2,fd88::2 80
check "unpublish again (already gone is fine)" $P unpublish tcp :: 8080 10.88.0.2,fd88::2 80
check_eq "no v6 elements left" 0 "$(count6)"
check "net-del br0" $P net-del br0 10.88.0.0/24 masq fd88::/64
check_eq "ip6 nets no longer holds fd88::/64" 0 "$(nft list set ip6 netd nets | grep -c 'fd88::')"
check "destroy deletes both tables" $P destroy
check_fails "no ip6 table after destroy" nft list table ip6 netd
check "destroy again is fine" $P destroy

# --- netd: what cannot be published is refused with why, and nothing changes ---
$NETD network create lab4 --subnet 10.77.0.0/24 >/dev/null
mkns n1
out=$($NETD attach lab4 --netns /run/netns/n1 --id n1 -p '[::1]:8080:80' 2>&1)
check "netd refuses [::1]" test $? -ne 0
check "... saying it cannot be DNATed (no route_localnet)" grep -q "no route_localnet" <<<"$out"
out=$($NETD attach lab4 --netns /run/netns/n1 --id n1 -p '[::]:8080:80' 2>&1)
check "netd refuses a v6 port on a network without IPv6" test $? -ne 0
check "... saying the network gives no IPv6 address" grep -q "no IPv6" <<<"$out"
out=$($NETD attach lab4 --netns /run/netns/n1 --id n1 -p '[fd00::zz]:8080:80' 2>&1)
check "netd refuses a bad v6 host address" grep -q "is not an IPv6 address" <<<"$out"
check_eq "no veth made" 0 "$(count_veths)"
check_eq "no claim made" 0 "$(count_claims)"
check "-p 8080:80 on an IPv4-only network publishes 0.0.0.0 only" \
	$NETD attach lab4 --netns /run/netns/n1 --id n1 -p 8080:80
check "its claim is 0.0.0.0" test -f "$NETD_STATE_DIR/ports/tcp-8080/0.0.0.0"
check_eq "one claim" 1 "$(count_claims)"
check_eq "no v6 element" 0 "$(count6)"
check "detach" $NETD detach lab4 --id n1
check_eq "no claim left" 0 "$(count_claims)"
check_eq "no element left" 0 "$(count_map_elements)"

finish
