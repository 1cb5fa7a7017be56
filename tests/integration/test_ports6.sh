#!/bin/bash
# A host port netd chooses on a dual-stack network (issue 14): Docker's `-p 80` and `-p
# 8000-8010:80` are one host port on both families, so the port chosen must be free on both.
# One taken on IPv6 only (a [::] claim of another endpoint, a listener on [::] with
# IPV6_V6ONLY) is passed over for the next one instead of failing the attach; a range taken on
# one family or the other everywhere fails with a clear error and changes nothing; an
# IPv4-only network still takes a port that is busy on IPv6 only. The ports chosen answer over
# both families.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

trap 'kill_servers; lab_exit' EXIT # PIDS, kill_servers: tests/lib.sh

# The host ports netd chooses come from ip_local_port_range (per network namespace).
echo "40000 40009" >/proc/sys/net/ipv4/ip_local_port_range
HOST4=192.168.59.1
HOST6=2001:db8:59::1
mkns ext
ip link add ext0 type veth peer name eth0 netns ext
ip addr add $HOST4/24 dev ext0
ip addr add $HOST6/64 dev ext0 nodad
ip link set ext0 up
ip -n ext link set eth0 up

# The host ports an endpoint claimed, one "ADDR:PORT" per line, sorted.
claims_of() { # NETWORK ID
	grep -rlx "$1/$2@eth0" "$NETD_STATE_DIR/ports" 2>/dev/null |
		sed -E 's|.*/tcp-([0-9]+)/(.*)|\2:\1|' | sort | tr '\n' ' ' | sed 's/ $//'
}
get() { curl -sS -g --max-time 2 "$1" 2>/dev/null || echo FAIL; }

check "network create ds with both subnets" \
	"$NETD" network create ds --subnet 10.89.0.0/24 --subnet fd89::/64
check "network create v4 (IPv4 only)" "$NETD" network create v4 --subnet 10.90.0.0/24
for c in c1 c2 c3 c4 c5 c6 n1; do mkns $c; done
mkdir -p "$LAB_DIR/www"
echo "hello from c1" >"$LAB_DIR/www/index.html"
ip netns exec c1 python3 -m http.server --bind :: --directory "$LAB_DIR/www" 80 >/dev/null 2>&1 &
PIDS+=($!)

# ---- a port claimed on IPv6 only ----
check "attach c2 -p [::]:40000:80 (claims 40000 on IPv6 only)" \
	"$NETD" attach ds --netns /run/netns/c2 --id c2 -p "[::]:40000:80"
check "attach c1 -p 80: 40000 is free on IPv4 but not on IPv6" \
	"$NETD" attach ds --netns /run/netns/c1 --id c1 -p 80
check_eq "...c1 got 40001 on both families" "0.0.0.0:40001 :::40001" "$(claims_of ds c1)"
check "...ps shows [::]:40001" sh -c "'$NETD' ps | grep c1 | grep -q '\[::\]:40001->80/tcp'"
wait_until 50 sh -c "ip netns exec c1 ss -ltn | grep -q ':80 '"
check_eq "...curl over IPv6 to [$HOST6]:40001 reaches c1" "hello from c1" \
	"$(get "http://[$HOST6]:40001/")"
check_eq "...curl over IPv4 to $HOST4:40001 reaches c1" "hello from c1" \
	"$(get "http://$HOST4:40001/")"

# ---- a host listener on [::] with IPV6_V6ONLY ----
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::", 40002)); s.listen(1)
time.sleep(120)' &
PIDS+=($!)
wait_until 50 sh -c "ss -ltn | grep -q ':40002 '"
check "attach c3 -p 80: 40002 has a v6-only listener" \
	"$NETD" attach ds --netns /run/netns/c3 --id c3 -p 80
check_eq "...c3 got 40003 on both families" "0.0.0.0:40003 :::40003" "$(claims_of ds c3)"

# ---- a range: the first port in it free on both families ----
check "attach c4 -p 40000-40005:80" "$NETD" attach ds --netns /run/netns/c4 --id c4 -p 40000-40005:80
check_eq "...c4 got 40004 on both families" "0.0.0.0:40004 :::40004" "$(claims_of ds c4)"

# ---- nothing free on both: a clear error, nothing changed ----
CLAIMS=$(count_claims)
VETHS=$(count_veths)
out=$("$NETD" attach ds --netns /run/netns/c5 --id c5 -p 40000-40004:80 2>&1)
check "attach c5 -p 40000-40004:80: every port is taken on one family or the other" test $? -ne 0
check "...saying no port is free on both families" grep -q "no free host port in 40000-40004 on both" <<<"$out"
check_eq "...no claim made" "$CLAIMS" "$(count_claims)"
check_eq "...no veth made" "$VETHS" "$(count_veths)"
check_fails "...no record of c5" sh -c "ls '$NETD_STATE_DIR'/networks/ds/endpoints/ | grep -q c5"

# ---- the twin only where there is one: IPv6-only choices and an IPv4-only network ----
check "attach c6 -p [::]::80 (IPv6 only, chosen)" \
	"$NETD" attach ds --netns /run/netns/c6 --id c6 -p "[::]::80"
check_eq "...c6 got 40005 on IPv6 only" ":::40005" "$(claims_of ds c6)"
check "attach n1 to the IPv4-only network -p 80" "$NETD" attach v4 --netns /run/netns/n1 --id n1 -p 80
check_eq "...n1 got 40000 (taken on IPv6 only) on IPv4" "0.0.0.0:40000" "$(claims_of v4 n1)"

for c in c1 c2 c3 c4 c6; do "$NETD" detach ds --id $c >/dev/null 2>&1; done
"$NETD" detach v4 --id n1 >/dev/null 2>&1
check_eq "detach all: no claim, no element left" "0 0" "$(count_claims) $(count_map_elements)"
finish
