#!/bin/bash
# Dual stack through `netd attach` (issue 14), the layers together in a lab host: a network with
# both subnets, `-p 8080:80` published on both families (from an external namespace, from the
# host, hairpin over IPv6), `-p [::]:8081:80` on IPv6 only, `-p [HOST6]:8082:80` on that one
# host address, egress masquerade over IPv6 (masquerade6) to the external namespace, `nft flush
# ruleset` then `netd gc` bringing table ip6 netd and its elements back, and detach and
# kill + gc leaving no IPv6 map element, claim or lease.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

PY=/usr/bin/python3
trap 'kill_servers; lab_exit' EXIT

tag_servers # srv.py, cli.py, serve, ask, tag (tests/lib.sh)
count6() { # elements of the publish maps of table ip6 netd
	nft -j list table ip6 netd 2>/dev/null | $PY -c '
import json,sys
try: d=json.load(sys.stdin)
except Exception: print(0); sys.exit()
print(sum(len(o["map"].get("elem",[])) for o in d.get("nftables",[]) if "map" in o and o["map"]["name"].startswith("pub")))'
}
leases6() { find "$NETD_STATE_DIR/networks" -path '*/ips/*:*' -type f 2>/dev/null | wc -l; }
claims6() { find "$NETD_STATE_DIR/ports" -mindepth 2 -type f -name '*:*' ! -name '.*' 2>/dev/null | wc -l; }

# ---- the lab host: ext0 to an external machine (no route to our subnets: only published
#      ports and masquerade reach across), a second IPv6 address on ext0 ----
HOST4=192.168.57.1
HOST6=2001:db8:57::1
HOST6B=2001:db8:57::3
EXT4=192.168.57.2
EXT6=2001:db8:57::2
lab_ext $HOST4 $HOST6 $EXT4 $EXT6 $HOST6B
serve ext 7000 E

check "network create lab with both subnets" \
	"$NETD" network create lab --subnet 10.87.0.0/24 --subnet fd87::/64
for c in c1 c2 c3 c4; do
	mkns $c
	serve $c 80 "$(echo $c | tr a-z A-Z)"
done

# ---- -p 8080:80: both families ----
check "attach c1 -p 8080:80" "$NETD" attach lab --netns /run/netns/c1 --id c1 -p 8080:80
C1_6=$(ip -n c1 -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
check_eq "c1 has an address in fd87::/64" "fd87::" "${C1_6%%[0-9a-f]}"
check_eq "two claims (0.0.0.0:8080 and [::]:8080), one of them IPv6" "2 1" "$(count_claims) $(claims6)"
check_eq "one element in the ip6 publish maps" 1 "$(count6)"
check "ps shows both host ports" sh -c "'$NETD' ps | grep c1 | grep -q '\[::\]:8080->80/tcp'"
check "the bridge's link-local address is not tentative (accept_dad=0)" \
	sh -c "ip -6 addr show dev lab scope link | grep inet6 | grep -vq tentative"
# The first packet to c1 from outside, at once: its SYN is not lost (1 s timeout, no retry).
check_eq "ext -> [$HOST6]:8080 reaches c1 over IPv6 (the peer kept)" "C1 $EXT6" "$(ask ext $HOST6 8080)"
check_eq "ext -> $HOST4:8080 reaches c1 over IPv4" "C1 $EXT4" "$(ask ext $HOST4 8080)"
check_eq "host -> [$HOST6]:8080 reaches c1" C1 "$(tag - $HOST6 8080)"
check_eq "host -> $HOST4:8080 reaches c1" C1 "$(tag - $HOST4 8080)"
check "attach c2 (no port)" "$NETD" attach lab --netns /run/netns/c2 --id c2
# IPv6 on the links: the bridge ports carry frames and have no IPv6 of their own (no link-local,
# no per-port route); a container keeps its link-local but solicits no router (none answers,
# and the bridge floods each solicitation to every port).
PORTS=$(ip -o link show master lab | awk -F': ' '{print $2}' | cut -d@ -f1)
check_eq "two bridge ports" 2 "$(wc -w <<<"$PORTS")"
for p in $PORTS; do
	check_eq "  port $p: disable_ipv6=1" 1 "$(cat /proc/sys/net/ipv6/conf/$p/disable_ipv6)"
	check_eq "  port $p: no IPv6 address, no IPv6 route" "" \
		"$(ip -6 addr show dev "$p"; ip -6 route show table all dev "$p")"
done
check "c1's eth0 keeps its link-local address, not tentative" \
	sh -c "ip -n c1 -6 addr show dev eth0 scope link | grep -q inet6 && ! ip -n c1 -6 addr show dev eth0 | grep -q tentative"
check_eq "c1's eth0: router_solicitations=0, accept_dad=0" "0 0" \
	"$(ip netns exec c1 cat /proc/sys/net/ipv6/conf/eth0/router_solicitations /proc/sys/net/ipv6/conf/eth0/accept_dad | tr '\n' ' ' | sed 's/ $//')"
check_eq "c2 sent no router solicitation" 0 \
	"$(ip netns exec c2 awk '$1 == "Icmp6OutRouterSolicits" {print $2}' /proc/net/snmp6)"
check_eq "container to container over IPv6: c2 -> [$C1_6]:80 reaches c1 (neighbour discovery across the bridge)" \
	C1 "$(tag c2 "$C1_6" 80)"
check_eq "hairpin over IPv6: c2 -> [$HOST6]:8080 reaches c1" C1 "$(tag c2 $HOST6 8080)"
check_eq "hairpin over IPv6: c1 -> its own [$HOST6]:8080" C1 "$(tag c1 $HOST6 8080)"
check_eq "ext -> c1's own address [$C1_6]:80 (not published) gets nothing" FAIL \
	"$(ip -n ext -6 route add fd87::/64 via $HOST6 && tag ext "$C1_6" 80)"
ip -n ext -6 route del fd87::/64 via $HOST6

# ---- -p [::]:8081:80: IPv6 only; -p [HOST6]:8082:80: that address only ----
check "attach c3 -p [::]:8081:80" "$NETD" attach lab --netns /run/netns/c3 --id c3 -p "[::]:8081:80"
check_eq "ext -> [$HOST6]:8081 reaches c3" C3 "$(tag ext $HOST6 8081)"
check_eq "ext -> $HOST4:8081 gets nothing (IPv6 only)" FAIL "$(tag ext $HOST4 8081)"
check "attach c4 -p [$HOST6]:8082:80" "$NETD" attach lab --netns /run/netns/c4 --id c4 -p "[$HOST6]:8082:80"
check_eq "ext -> [$HOST6]:8082 reaches c4" C4 "$(tag ext $HOST6 8082)"
check_eq "ext -> [$HOST6B]:8082 (another host address) gets nothing" FAIL "$(tag ext $HOST6B 8082)"
check_eq "ext -> $HOST4:8082 gets nothing" FAIL "$(tag ext $HOST4 8082)"
check_fails "attach -p [$HOST6]:8082:80 again: the port is taken on that address" \
	"$NETD" attach lab --netns /run/netns/c2 --id c5 --ifname eth5 -p "[$HOST6]:8082:80"
check_eq "  ... but [$HOST6B]:8082 is free (claims are per address)" 0 \
	"$("$NETD" attach lab --netns /run/netns/c2 --id c5 --ifname eth5 -p "[$HOST6B]:8082:80" >/dev/null 2>&1; echo $?)"
check "detach c5" "$NETD" detach lab --id c5 --ifname eth5

# ---- egress over IPv6: masquerade6 (on for a ULA prefix) ----
check "c1 -> [$EXT6]:7000 is masqueraded to an address of the host" \
	grep -qE "^E ($HOST6|$HOST6B)\$" <<<"$(ask c1 $EXT6 7000)"
check_eq "c1 -> $EXT4:7000 is masqueraded too" "E $HOST4" "$(ask c1 $EXT4 7000)"

# ---- flush, then gc restores table ip6 netd and its elements ----
ELEMS=$(count6)
check_eq "three IPv6 elements before the flush" 3 "$ELEMS"
nft flush ruleset
check_eq "after nft flush ruleset: no ip6 element" 0 "$(count6)"
check "netd gc after the flush" "$NETD" gc
check "  ... table ip6 netd is back" nft list table ip6 netd
check_eq "  ... with its $ELEMS elements" "$ELEMS" "$(count6)"
check_eq "  ... ext -> [$HOST6]:8080 reaches c1 again" C1 "$(tag ext $HOST6 8080)"
check "  ... masquerade6 is back" grep -qE "^E ($HOST6|$HOST6B)\$" <<<"$(ask c1 $EXT6 7000)"

# ---- an IPv4-only network: IPv6 off on the container's interface (as Docker), it floods nothing ----
check "network create v4lab (IPv4 only)" "$NETD" network create v4lab --subnet 10.88.0.0/24
mkns c6
check "attach c6 to v4lab" "$NETD" attach v4lab --netns /run/netns/c6 --id c6
check_eq "c6's eth0: disable_ipv6=1, no IPv6 address" "1 " \
	"$(ip netns exec c6 cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6) $(ip -n c6 -6 addr show dev eth0)"
check_eq "c6's lo keeps ::1" "::1/128" "$(ip -n c6 -6 -o addr show dev lo | awk '{print $4}')"
check "c6 reaches its gateway over IPv4" ip netns exec c6 ping -c1 -W1 10.88.0.1
check "detach c6" "$NETD" detach v4lab --id c6
check "network rm v4lab" "$NETD" network rm v4lab

# ---- teardown: detach, and kill + gc ----
check "detach c3" "$NETD" detach lab --id c3
check_eq "  ... its IPv6 element and claim are gone" "2 2" "$(count6) $(claims6)"
ip netns pids c4 | xargs -r kill
ip netns del c4
check "gc after c4's namespace died" "$NETD" gc
check_eq "  ... its IPv6 element, claim and lease are gone" "1 1 2" "$(count6) $(claims6) $(leases6)"
check "detach c1" "$NETD" detach lab --id c1
check "detach c2" "$NETD" detach lab --id c2
check_eq "nothing left: IPv6 elements, claims, leases; all claims, leases" "0 0 0 0 0" \
	"$(count6) $(claims6) $(leases6) $(count_claims) $(count_leases)"
check_eq "ext -> [$HOST6]:8080 gets nothing once c1 is gone" FAIL "$(tag ext $HOST6 8080)"

finish
