#!/bin/bash
# A container on several networks (issue 17), in a lab host: nsbox run --network a --network b
# (eth0, eth1; the default route on the first only; names on each network; reaching a container
# on each); a failure on the second network leaves nothing; stop and kill -9 + gc leave no veth,
# lease or claim; netd connect/disconnect on a running container and on a netns path; nsbox run
# --network container:NAME (the target's interfaces, its localhost services, its /etc files);
# bad input (unknown network, a network twice, container:unknown, a joiner's joiner) refused
# with nothing changed; a dual-stack network: -p answering on both families, the IPv6 address
# in /etc/hosts and nsbox inspect; /etc/hosts names every network's addresses; -p 80 chooses a
# host port free on both families; an IPv6-only network: -p over IPv6, no IPv4 anywhere.
# Runs nsbox: take /tmp/netd-heavy.lock when running it by hand next to other suites.
# shellcheck source=../lib.sh
LAB_PID=1 LAB_PIDNS=1
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
AARDVARK=$(command -v aardvark-dns || ls /usr/lib/podman/aardvark-dns /usr/libexec/podman/aardvark-dns 2>/dev/null | head -1)
echo "hello from web" >"$ROOTFS/www/index.html"
# no resolver outside the lab: names the networks do not hold go nowhere
echo "nameserver 127.0.0.1" >"$LAB_DIR/resolv.conf"
mount --bind "$LAB_DIR/resolv.conf" /etc/resolv.conf
mount -t tmpfs lab /run/systemd 2>/dev/null || true

netd() { timeout 30 "$NETD" "$@"; }
trap 'nsbox_rm_all; lab_exit' EXIT
rec() { sed -n "s/^$2=//p" "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
# the IPv4 address of IF inside container CTR
addr_in() { nsbox exec "$1" ip -4 -o addr show "$2" 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4}'; }
ifaces() { nsbox exec "$1" ls /sys/class/net 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
# default routes inside CTR, as "IF GATEWAY" lines
defaults() { nsbox exec "$1" ip -4 route show default 2>/dev/null | awk '{print $5, $3}' | tr '\n' '|'; }
# resolve CTR NAME [SERVER]: the A address CTR gets for NAME (from SERVER, else its resolv.conf)
resolve() {
	nsbox exec "$1" nslookup -type=A "$2" $3 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}'
}
# what the lab holds: veths, leases, claims, endpoint records, container state dirs
state() {
	echo "veths=$(count_veths) leases=$(count_leases) claims=$(count_claims)" \
		"records=$(find "$NETD_STATE_DIR/networks" -path '*/endpoints/*' -type f 2>/dev/null | wc -l)" \
		"ctrs=$(find "$NETD_STATE_DIR/nsbox" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l)"
}
EMPTY="veths=0 leases=0 claims=0 records=0 ctrs=0"
# bad NAME WANT CMD...: CMD fails, says WANT, and the lab holds what it held before
bad_input() {
	local name=$1 want=$2 before out rc
	shift 2
	before=$(state)
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$want" <<<"$out" && [ "$(state)" = "$before" ]; then
		ok "$name: refused, nothing changed ($(tail -1 <<<"$out"))"
	else
		not_ok "$name: rc=$rc, state $before -> $(state): $out"
	fi
}

netd network create front --subnet 10.61.0.0/24 >/dev/null
netd network create back --subnet 10.62.0.0/24 >/dev/null

# ---- bad input first: nothing exists, nothing may appear ----
bad_input "--network front --network front" "--network front: given twice" \
	nsbox run --network front --network front "$ROOTFS" true
bad_input "--network host --network front" "stand alone" \
	nsbox run --network host --network front "$ROOTFS" true
bad_input "--network front --network none" "stand alone" \
	nsbox run --network front --network none "$ROOTFS" true
bad_input "--network container:nosuch" "--network container:nosuch: no such running container" \
	nsbox run --network container:nosuch "$ROOTFS" true
bad_input "--network container:NAME with -p" "-p needs a network" \
	nsbox run --network container:x -p 8080:80 "$ROOTFS" true
bad_input "an unknown network alone" "nosuch" nsbox run --network nosuch "$ROOTFS" true
bad_input "an unknown second network" "network nosuch: not defined" \
	nsbox run --name twofail --network front --network nosuch "$ROOTFS" true
check_eq "after the bad input: nothing in the lab" "$EMPTY" "$(state)"
check_eq "...and no bridge was made" 0 "$(ip -o link show type bridge | grep -c .)"

# ---- two networks ----
check "web1 on front" nsbox run -d --name web1 --network front "$ROOTFS" httpd -f -p 80 -h /www
check "web2 on back" nsbox run -d --name web2 --network back "$ROOTFS" httpd -f -p 80 -h /www
check "both on front and back, -p 8080:80" \
	nsbox run -d --name both --network front --network back -p 8080:80 "$ROOTFS" httpd -f -p 80 -h /www
WEB1=$(rec web1 ip)
WEB2=$(rec web2 ip)
# tiny has one address, which a namespace takes: a second network that fails to attach
netd network create tiny --subnet 10.63.0.0/30 >/dev/null
mkns filler
netd attach tiny --netns /run/netns/filler --id filler >/dev/null
bad_input "a failure on the second network (tiny is full) rolls back the first" "tiny" \
	nsbox run --name twofail --network front --network tiny "$ROOTFS" true
netd detach tiny --id filler
check_eq "both: eth0 and eth1 (and lo)" "eth0 eth1 lo" "$(ifaces both)"
case $(addr_in both eth0)/$(addr_in both eth1) in
10.61.0.*/10.62.0.*) ok "both: eth0 on front, eth1 on back ($(addr_in both eth0), $(addr_in both eth1))" ;;
*) not_ok "both: eth0/eth1 addresses: $(addr_in both eth0)/$(addr_in both eth1)" ;;
esac
check_eq "both: one default route, via front's gateway on eth0" "eth0 10.61.0.1|" "$(defaults both)"
check_eq "both reaches web1 (front)" "hello from web" "$(nsbox exec both wget -qO- "http://$WEB1/" 2>&1)"
check_eq "both reaches web2 (back)" "hello from web" "$(nsbox exec both wget -qO- "http://$WEB2/" 2>&1)"
check_eq "web2 reaches both on back" "hello from web" \
	"$(nsbox exec web2 wget -qO- "http://$(addr_in both eth1)/" 2>&1)"
check_eq "-p goes through the first network" "hello from web" "$(curl -sS -m 2 http://127.0.0.1:8080/ 2>&1)"
check_eq "ps shows both addresses" "$(addr_in both eth0),$(addr_in both eth1)" \
	"$(nsbox ps | awk '$1 == "both" {print $3}')"
check_eq "/etc/hosts names both on each network's address, in order" \
	"$(addr_in both eth0)	both|$(addr_in both eth1)	both|" \
	"$(nsbox exec both cat /etc/hosts | grep -P '\tboth$' | tr '\n' '|')"
check_eq "inspect shows both networks" "back eth1 front eth0" \
	"$(nsbox inspect both | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]; print(" ".join(k+" "+n[k]["Interface"] for k in sorted(n)))')"
if [ -n "$AARDVARK" ]; then
	check_eq "both resolves web1 (front)" "$WEB1" "$(resolve both web1)"
	# aardvark-dns answers a network's names on its gateway; 1.4 (Debian's) answers there only
	# to addresses of that network, later versions to every address of the container
	check_eq "both resolves web2 (back's name server)" "$WEB2" "$(resolve both web2 10.62.0.1)"
	check_eq "web1 resolves both to its front address" "$(addr_in both eth0)" "$(resolve web1 both)"
	check_eq "web2 resolves both to its back address" "$(addr_in both eth1)" "$(resolve web2 both)"
	check_eq "web1 cannot resolve web2 (not on back)" "" "$(resolve web1 web2)"
	# Docker: on a user-defined network every container uses the embedded DNS, named or not
	check "a container without --name on front: the network's name server" \
		grep -q "nameserver 10.61.0.1" <<<"$(nsbox run --network front "$ROOTFS" cat /etc/resolv.conf)"
	check_eq "...and it resolves web1" "$WEB1" \
		"$(nsbox run --network front "$ROOTFS" nslookup -type=A web1 2>/dev/null | awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}')"
else
	ok "# SKIP names: aardvark-dns is not installed"
fi
check "nsbox stop both" nsbox stop -t 1 both
nsbox rm both >/dev/null 2>&1
check_eq "after stop: only web1's and web2's veths, leases and records" \
	"veths=2 leases=2 claims=0 records=2 ctrs=2" "$(state)"

# kill -9 of nsbox and the container; then gc and nsbox ps clean up
check "both again, detached" nsbox run -d --name both --network front --network back -p 8080:80 "$ROOTFS" sleep 1000
kill -9 "$(rec both monitor)" "$(rec both pid)" 2>/dev/null
wait_until 50 sh -c "[ ! -e /proc/$(rec both pid)/ns/net ]"
netd gc >/dev/null 2>&1
nsbox ps >/dev/null 2>&1
check_eq "after kill -9 + gc + ps: only web1's and web2's" "veths=2 leases=2 claims=0 records=2 ctrs=2" "$(state)"

# ---- netd connect / disconnect on a running container ----
check "c1 on front" nsbox run -d --name c1 --network front "$ROOTFS" sleep 1000
check "netd connect back c1" sh -c "'$NETD' connect back c1 >'$LAB_DIR/connect.json'"
check_eq "c1: eth1 appeared" "eth0 eth1 lo" "$(ifaces c1)"
check_eq "connect printed the endpoint on eth1" "eth1" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ifname"])' "$LAB_DIR/connect.json" 2>&1)"
check_eq "c1: the default route stays on eth0" "eth0 10.61.0.1|" "$(defaults c1)"
check_eq "c1 reaches web2 on back" "hello from web" "$(nsbox exec c1 wget -qO- "http://$WEB2/" 2>&1)"
if [ -n "$AARDVARK" ]; then
	check_eq "web2 resolves c1 (its name on back)" "$(addr_in c1 eth1)" "$(resolve web2 c1)"
	check_eq "c1 resolves web2 (back's name server)" "$WEB2" "$(resolve c1 web2 10.62.0.1)"
fi
check_eq "inspect c1 shows back too" "back eth1 front eth0" \
	"$(nsbox inspect c1 | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]; print(" ".join(k+" "+n[k]["Interface"] for k in sorted(n)))')"
bad_input "netd connect back c1 again" "already" netd connect back c1
bad_input "netd connect nosuch c1" "nosuch" netd connect nosuch c1
bad_input "netd connect back nosuchctr" "no such nsbox container" netd connect back nosuchctr
check "netd disconnect back c1" netd disconnect back c1
check_eq "c1: eth1 is gone" "eth0 lo" "$(ifaces c1)"
if [ -n "$AARDVARK" ]; then
	check_eq "web2 no longer resolves c1" "" "$(resolve web2 c1)"
fi
bad_input "netd disconnect back c1 again" "not connected" netd disconnect back c1
check "connect again, then nsbox stop c1" sh -c "'$NETD' connect back c1 >/dev/null && '$NSBOX' stop -t 1 c1 && '$NSBOX' rm c1"
check_eq "after stop: c1's connected network went too" "veths=2 leases=2 claims=0 records=2 ctrs=2" "$(state)"

# a namespace path
mkns x
check "netd connect back --netns /run/netns/x --id x1" sh -c "'$NETD' connect back --netns /run/netns/x --id x1 >/dev/null"
check "netd connect front --netns ... : the next free name, eth1" \
	sh -c "'$NETD' connect front --netns /run/netns/x --id x1 >/dev/null && ip -n x link show eth1 >/dev/null"
check_eq "x: default route from the first only (back's gateway)" "default via 10.62.0.1 dev eth0|" \
	"$(ip -n x -4 route show default | awk '{print $1, $2, $3, $4, $5}' | tr '\n' '|')"
check "netd disconnect back --netns /run/netns/x --id x1" netd disconnect back --netns /run/netns/x --id x1
check "netd disconnect front --netns /run/netns/x --id x1" netd disconnect front --netns /run/netns/x --id x1
check_eq "x: only lo left" "lo" "$(ip -n x -o link show | awk -F': ' '{print $2}' | tr '\n' ' ' | sed 's/ $//')"

# ---- --network container:NAME ----
check "side joins web1's network" nsbox run -d --name side --network container:web1 "$ROOTFS" sleep 1000
check_eq "side sees web1's interfaces" "$(ifaces web1)" "$(ifaces side)"
check_eq "side has web1's address" "$WEB1" "$(addr_in side eth0)"
check_eq "side reaches web1's httpd on localhost" "hello from web" \
	"$(nsbox exec side wget -qO- http://127.0.0.1/ 2>&1)"
check_eq "side's /etc/hosts is web1's" "$(nsbox exec web1 cat /etc/hosts)" "$(nsbox exec side cat /etc/hosts)"
check_eq "side's resolv.conf is web1's" "$(nsbox exec web1 cat /etc/resolv.conf)" "$(nsbox exec side cat /etc/resolv.conf)"
check_eq "inspect side: Mode container, Container web1" "container web1" \
	"$(nsbox inspect side | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["NetworkSettings"]; print(s["Mode"], s["Container"])')"
bad_input "a joiner's joiner" "side itself joined container web1" \
	nsbox run --network container:side "$ROOTFS" true
check "nsbox stop web1 (side still runs)" nsbox stop -t 1 web1
check "side keeps running" sh -c "'$NSBOX' ps | grep -q '^side '"
check_eq "web1's veth went with it: side keeps the namespace, with lo only" "lo" "$(ifaces side)"
check "nsbox stop side" nsbox stop -t 1 side
check "nsbox stop web2" nsbox stop -t 1 web2
for c in web1 web2 side; do nsbox rm "$c" >/dev/null 2>&1; done

# ---- a dual-stack network: -p answers on both families; /etc/hosts and inspect name the
#      IPv6 address ----
netd network create dual --subnet 10.64.0.0/24 --subnet fd64::/64 >/dev/null
check "web6 on dual (both subnets), -p 8090:80" \
	nsbox run -d --name web6 --network dual -p 8090:80 "$ROOTFS" httpd -f -p 80 -h /www
W6=$(nsbox exec web6 ip -6 -o addr show eth0 scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4}')
check_eq "web6 has an address in fd64::/64" "fd64::" "${W6%%[0-9a-f]}"
check_eq "host -> [fd64::1]:8090 over IPv6 reaches web6" "hello from web" \
	"$(curl -sf -m 3 -g "http://[fd64::1]:8090/")"
check_eq "host -> 10.64.0.1:8090 over IPv4 reaches web6" "hello from web" \
	"$(curl -sf -m 3 "http://10.64.0.1:8090/")"
check_eq "host -> web6's own address [$W6]:80" "hello from web" "$(curl -sf -m 3 -g "http://[$W6]:80/")"
check "web6's /etc/hosts names its IPv6 address" \
	grep -qxP "\Q$W6\E\tweb6" <<<"$(nsbox exec web6 cat /etc/hosts)"
check "  ... and its IPv4 address" grep -qxP "$(rec web6 ip)\tweb6" <<<"$(nsbox exec web6 cat /etc/hosts)"
check_eq "inspect web6: Networks.dual.GlobalIPv6Address, IPv6Gateway" "$W6 64 fd64::1" \
	"$(nsbox inspect web6 | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]["dual"]; print(n["GlobalIPv6Address"], n["GlobalIPv6PrefixLen"], n["IPv6Gateway"])')"
# dual first (-p goes through it), front second; a host port nsbox chooses (-p 80) must be free
# on both families: a v6-only listener holds the first of the range on IPv6
echo "40100 40109" >/proc/sys/net/ipv4/ip_local_port_range
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::", 40100)); s.listen(1)
time.sleep(60)' &
LISTENER=$!
wait_until 50 sh -c "ss -ltn | grep -q ':40100 '"
check "web7 on dual and front, -p 80 (40100 is taken on IPv6 only)" \
	nsbox run -d --name web7 --network dual --network front -p 80 "$ROOTFS" httpd -f -p 80 -h /www
W7=$(nsbox exec web7 ip -6 -o addr show eth0 scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4}')
check_eq "web7's /etc/hosts: a line per address, dual's IPv4 and IPv6, then front's" \
	"$(addr_in web7 eth0)	web7|$W7	web7|$(addr_in web7 eth1)	web7|" \
	"$(nsbox exec web7 cat /etc/hosts | grep -P '\tweb7$' | tr '\n' '|')"
check_eq "web7 got 40101 on both families" "0.0.0.0:40101 :::40101" \
	"$(find "$NETD_STATE_DIR/ports" -path '*/tcp-401*' -type f ! -name '.*' | sed -E 's|.*/tcp-([0-9]+)/(.*)|\2:\1|' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "host -> [fd64::1]:40101 over IPv6 reaches web7" "hello from web" \
	"$(curl -sf -m 3 -g "http://[fd64::1]:40101/")"
check_eq "host -> 10.64.0.1:40101 over IPv4 reaches web7" "hello from web" \
	"$(curl -sf -m 3 "http://10.64.0.1:40101/")"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
check "nsbox stop web7" nsbox stop -t 1 web7
check "nsbox stop web6" nsbox stop -t 1 web6
nsbox rm web6 >/dev/null 2>&1
nsbox rm web7 >/dev/null 2>&1
check_eq "  ... no IPv6 lease, claim or publish element left" "0 0 0" \
	"$(find "$NETD_STATE_DIR/networks/dual/ips" -name '*:*' 2>/dev/null | wc -l) $(count_claims) $(count_map_elements)"

# ---- an IPv6-only network: no IPv4 address, -p answers over IPv6 only; /etc/hosts and
#      inspect carry the IPv6 address ----
netd network create v6only --subnet fd65::/64 >/dev/null
check "web7 on v6only (subnet6 alone), -p 8091:80" \
	nsbox run -d --name web7 --network v6only -p 8091:80 "$ROOTFS" httpd -f -p 80 -h /www
W7=$(nsbox exec web7 ip -6 -o addr show eth0 scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4}')
check_eq "web7 has an address in fd65::/64" "fd65::" "${W7%%[0-9a-f]}"
check_eq "  ... and no IPv4 address" "" "$(addr_in web7 eth0)"
check_eq "host -> [fd65::1]:8091 over IPv6 reaches web7" "hello from web" \
	"$(curl -sf -m 3 -g "http://[fd65::1]:8091/")"
check_eq "one claim ([::]:8091), one publish element" "1 1" "$(count_claims) $(count_map_elements)"
check "web7's /etc/hosts names its IPv6 address" \
	grep -qxP "\Q$W7\E\tweb7" <<<"$(nsbox exec web7 cat /etc/hosts)"
check "  ... and the IPv6 gateway as host.nsbox.internal" \
	grep -qxP "fd65::1\thost.nsbox.internal gateway" <<<"$(nsbox exec web7 cat /etc/hosts)"
check_eq "  ... and no 0.0.0.0" "" "$(nsbox exec web7 cat /etc/hosts | grep 0.0.0.0)"
check_eq "inspect web7: GlobalIPv6Address, IPv6Gateway; IPAddress \"\"" "$W7 64 fd65::1 ''" \
	"$(nsbox inspect web7 | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]["v6only"]; print(n["GlobalIPv6Address"], n["GlobalIPv6PrefixLen"], n["IPv6Gateway"], repr(n["IPAddress"]))')"
check "nsbox ps shows the IPv6 address" sh -c "'$NSBOX' ps | grep '^web7 ' | grep -qF '$W7'"
check_fails "-p 0.0.0.0:8092:80 on v6only is refused" \
	nsbox run --network v6only -p 0.0.0.0:8092:80 "$ROOTFS" true
check "nsbox stop web7" nsbox stop -t 1 web7
nsbox rm web7 >/dev/null 2>&1
check_eq "  ... no lease, claim or publish element left" "0 0 0" \
	"$(find "$NETD_STATE_DIR/networks/v6only/ips" -type f 2>/dev/null | wc -l) $(count_claims) $(count_map_elements)"
netd gc >/dev/null 2>&1
check_eq "the end: nothing in the lab" "$EMPTY" "$(state)"
finish
