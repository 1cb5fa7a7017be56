#!/bin/bash
# link.c / route.c / netns.c through the linkprobe driver, inside a lab host namespace.
# Everything is checked from the outside with `ip` (JSON + python3).
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/tests/integration/linkprobe
[ -x "$P" ] || { echo "Bail out! $P not built"; exit 1; }

# j EXPR: evaluates a python expression over the JSON on stdin (as d). The system python
# starts ten times faster than a pyenv shim.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
j() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# probe_rc ARGS...: runs linkprobe, prints its exit code; its stderr goes to $LAB_DIR/err.
probe_rc() {
	"$P" "$@" >"$LAB_DIR/out" 2>"$LAB_DIR/err"
	echo $?
}
errmsg() { cat "$LAB_DIR/err"; }

ip netns add c1 # lo stays down: ctrcfg must bring it up
mkns c2

# ---- bridge ----
out=$("$P" bridge netd0 10.88.0.1/16 1450)
check_eq "bridge: first call creates it" "created=1" "${out#* }"
ifx=${out%% *}
out=$("$P" bridge netd0 10.88.0.1/16 1450)
check_eq "bridge: second call finds it (same ifindex, created=0)" "$ifx created=0" "$out"
check_eq "bridge: another mtu on an existing bridge is applied" "$ifx created=0 1400" \
	"$("$P" bridge netd0 10.88.0.1/16 1400) $(ip -j link show netd0 | j 'd[0]["mtu"]')"
"$P" bridge netd0 10.88.0.1/16 1450 >/dev/null
check_eq "bridge: kind bridge" "bridge" "$(ip -j -d link show netd0 | j 'd[0]["linkinfo"]["info_kind"]')"
check_eq "bridge: mtu 1450" "1450" "$(ip -j link show netd0 | j 'd[0]["mtu"]')"
check_eq "bridge: up" "True" "$(ip -j link show netd0 | j '"UP" in d[0]["flags"]')"
check_eq "bridge: address 10.88.0.1/16 once" "['10.88.0.1/16']" \
	"$(ip -j -4 addr show netd0 | j '[a["local"]+"/"+str(a["prefixlen"]) for a in d[0]["addr_info"]]')"
check_eq "bridge: sysctl route_localnet=1 on the bridge" "1" "$(cat /proc/sys/net/ipv4/conf/netd0/route_localnet)"
check_eq "bridge: sysctl arp_notify=1 on the bridge" "1" "$(cat /proc/sys/net/ipv4/conf/netd0/arp_notify)"
check_eq "bridge: route_localnet untouched on all/lo" "0 0" \
	"$(cat /proc/sys/net/ipv4/conf/all/route_localnet) $(cat /proc/sys/net/ipv4/conf/lo/route_localnet)"
check_eq "bridge: arp_notify untouched on all" "0" "$(cat /proc/sys/net/ipv4/conf/all/arp_notify)"
check_eq "bridge: ip_forward left alone (attach turns it on, and says so)" "0" \
	"$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "forward: switches ip_forward from 0 to 1, and says it did" "switched_on=1 1" \
	"$("$P" forward) $(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "forward: already on: nothing to say" "switched_on=0 1" \
	"$("$P" forward) $(cat /proc/sys/net/ipv4/ip_forward)"

# A link of another kind under the bridge's name (a veth pair: no dummy module needed).
ip link add vx0 type veth peer name vx1
rc=$(probe_rc bridge vx0 10.77.0.1/16 0)
check_eq "bridge name taken by a veth: EEXIST" "17" "$rc"
check "bridge name taken by a veth: clear message" \
	grep -q "bridge vx0: exists and is not a bridge (kind veth)" "$LAB_DIR/err"
check_eq "bridge name taken by a veth: left alone (no address, down)" "0 False" \
	"$(ip -j addr show vx0 | j 'str(sum(a["family"] == "inet" for a in d[0]["addr_info"]))+" "+str("UP" in d[0]["flags"])')"
rc=$(probe_rc bridge netd-name-too-long0 10.77.0.1/16 0)
check_eq "bridge: name too long is EINVAL" "22" "$rc"

# ---- veth straight into the namespace ----
# Watch every link event of the lab host while the veth is made. Marker bridges before and after
# prove the monitor was listening for the whole time (bounded waits).
wait_monitor() { # poke the marker until its event shows up (the monitor may still be starting)
	for i in $(seq 1 50); do
		ip link set "$1" alias "poke$i"
		grep -q ": $1[:@]" "$LAB_DIR/monitor" && return 0
		sleep 0.05
	done
	return 1
}
ip link add mark0 up type bridge # up: only an up link reports alias changes
ip link add mark1 up type bridge
ip -o monitor link >"$LAB_DIR/monitor" 2>/dev/null &
MON=$!
check "monitor listening before the veth is made" wait_monitor mark0
out=$("$P" veth nd1 eth0 /run/netns/c1 netd0 1450 02:42:0a:58:00:05 netd:net/c1/eth0)
check_eq "veth: returns the host ifindex" "ifindex=$(ip -j link show nd1 | j 'd[0]["ifindex"]')" "$out"
check "monitor still listening after the veth is made" wait_monitor mark1
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null
ip link del mark0
ip link del mark1
# Every link name the lab host saw: the host end (and the bridge, the markers), nothing else.
names=$(sed -n 's/^[0-9]*: \([^:@ ]*\)[:@].*/\1/p' "$LAB_DIR/monitor" | sort -u | tr '\n' ' ')
check "veth: the host end appeared" grep -qw nd1 <<<"$names"
check_eq "veth: no temporary name ever appears in the lab host" "" \
	"$(tr ' ' '\n' <<<"$names" | grep -vxE 'nd1|netd0|mark0|mark1|')"
check_eq "veth: the host has only the host end (besides vx0/vx1)" "['nd1', 'vx0', 'vx1']" \
	"$(ip -j link show type veth | j 'sorted(l["ifname"] for l in d)')"
check_eq "veth: peer eth0 in c1 with mtu and mac" "1450 02:42:0a:58:00:05" \
	"$(ip -n c1 -j link show eth0 | j 'str(d[0]["mtu"])+" "+d[0]["address"]')"
check_eq "veth: host end mtu 1450" "1450" "$(ip -j link show nd1 | j 'd[0]["mtu"]')"
check_eq "veth: host end enslaved to netd0" "netd0" "$(ip -j link show nd1 | j 'd[0].get("master")')"
check_eq "veth: host end up" "True" "$(ip -j link show nd1 | j '"UP" in d[0]["flags"]')"
check_eq "veth: host end alias" "netd:net/c1/eth0" "$(ip -j link show nd1 | j 'd[0].get("ifalias")')"
check_eq "veth: host end in hairpin mode" "True" \
	"$(ip -j -d link show nd1 | j 'd[0]["linkinfo"]["info_slave_data"]["hairpin"]')"
out=$("$P" get nd1)
check "get: reports kind, master and alias" grep -q "kind=veth .*alias=netd:net/c1/eth0" <<<"$out"
check "get: reports master ifindex" grep -q "master=${ifx#ifindex=} " <<<"$out"

# ---- container side ----
check_eq "before ctrcfg: lo down in c1" "False" "$(ip -n c1 -j link show lo | j '"UP" in d[0]["flags"]')"
out=$("$P" ctrcfg /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1)
check_eq "ctrcfg: ifindex and mac of eth0" \
	"ifindex=$(ip -n c1 -j link show eth0 | j 'd[0]["ifindex"]') mac=02:42:0a:58:00:05" "$out"
check_eq "ctrcfg: address on eth0" "['10.88.0.5/16']" \
	"$(ip -n c1 -j -4 addr show eth0 | j '[a["local"]+"/"+str(a["prefixlen"]) for a in d[0]["addr_info"]]')"
check_eq "ctrcfg: eth0 up" "True" "$(ip -n c1 -j link show eth0 | j '"UP" in d[0]["flags"]')"
check_eq "ctrcfg without an IPv6 address: IPv6 off on eth0, none on it" "1 " \
	"$(ip netns exec c1 cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6) $(ip -n c1 -6 addr show dev eth0)"
check_eq "ctrcfg: lo up in c1" "True" "$(ip -n c1 -j link show lo | j '"UP" in d[0]["flags"]')"
check_eq "ctrcfg: default route via the gateway" "10.88.0.1 eth0" \
	"$(ip -n c1 -j route show default | j 'd[0]["gateway"]+" "+d[0]["dev"]')"
check "ping the gateway from the container" ip netns exec c1 ping -c1 -W1 10.88.0.1
check "ctrcfg is idempotent" "$P" ctrcfg /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1
check_eq "ctrcfg twice: still one address" "1" "$(ip -n c1 -j -4 addr show eth0 | j 'len(d[0]["addr_info"])')"

check "ctrcheck passes" "$P" ctrcheck /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1
ip -n c1 route del default
rc=$(probe_rc ctrcheck /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1)
check_eq "ctrcheck without the route: ENOENT" "2" "$rc"
check_eq "ctrcheck without the route: message" "error: ENOENT: no default route via 10.88.0.1" "$(errmsg)"
ip -n c1 route add default via 10.88.0.9 dev eth0
rc=$(probe_rc ctrcheck /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1)
check_eq "ctrcheck with a default route via another gateway: fails" "2" "$rc"
ip -n c1 route del default
rc=$(probe_rc ctrcheck /run/netns/c1 eth0 10.88.0.6/16 10.88.0.1)
check_eq "ctrcheck wrong address: message" "error: ENOENT: eth0: address 10.88.0.6/16 missing" "$(errmsg)"
rc=$(probe_rc ctrcheck /run/netns/c1 eth0 10.88.0.5/24 10.88.0.1)
check_eq "ctrcheck wrong prefix: ENOENT" "2" "$rc"
rc=$(probe_rc ctrcheck /run/netns/c1 eth1 10.88.0.5/16 10.88.0.1)
check_eq "ctrcheck missing interface: ENODEV" "19" "$rc"
check_eq "ctrcheck missing interface: message" "error: ENODEV: eth1: no such interface in the namespace" "$(errmsg)"
check "ctrcfg restores the route" "$P" ctrcfg /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1
check "ctrcheck passes again" "$P" ctrcheck /run/netns/c1 eth0 10.88.0.5/16 10.88.0.1

rc=$(probe_rc ctrcfg /run/netns/c1 eth0 10.88.0.5/16 10.99.0.1)
check_eq "gateway off the subnet: the kernel's errno is kept (ENETUNREACH)" "101" "$rc"
check_eq "gateway off the subnet: message with the kernel's extended ack" \
	"error: ENETUNREACH: default route via 10.99.0.1 dev eth0: add: Network is unreachable (kernel: Nexthop has invalid gateway)" \
	"$(errmsg)"

# ---- conflicts leave nothing behind ----
rc=$(probe_rc veth nd2 eth0 /run/netns/c1 netd0 1450)
check_eq "peer name taken in the namespace: EEXIST" "17" "$rc"
check "peer name taken: message names the veth, the netns and the step" \
	grep -q "veth nd2 -> eth0 in /run/netns/c1: create: eth0 already exists in the namespace" "$LAB_DIR/err"
check_fails "peer name taken: no host end left" ip link show nd2
check_eq "peer name taken: host veths unchanged" "['nd1', 'vx0', 'vx1']" \
	"$(ip -j link show type veth | j 'sorted(l["ifname"] for l in d)')"
rc=$(probe_rc veth nd1 eth9 /run/netns/c1 netd0 1450)
check_eq "host name taken: EEXIST" "17" "$rc"
check "host name taken: message" grep -q "nd1 already exists on the host" "$LAB_DIR/err"
check_fails "host name taken: no peer left in c1" ip -n c1 link show eth9
rc=$(probe_rc veth nd4 eth4 /run/netns/c1 netd0 70000)
check_eq "absurd mtu: rejected by the kernel (EINVAL)" "22" "$rc"
check "absurd mtu: message names the veth and the step" \
	grep -q "veth nd4 -> eth4 in /run/netns/c1: create: Invalid argument" "$LAB_DIR/err"
check_fails "absurd mtu: nothing on the host" ip link show nd4
check_fails "absurd mtu: nothing in c1" ip -n c1 link show eth4
rc=$(probe_rc veth nd5 eth5 /run/netns/nope netd0 1450)
check_eq "missing netns: ENOENT" "2" "$rc"
check_eq "missing netns: message" "error: ENOENT: netns /run/netns/nope: does not exist" "$(errmsg)"
touch /run/netns/plain
rc=$(probe_rc netns /run/netns/plain)
check_eq "plain file as netns: EINVAL" "22" "$rc"
check_eq "plain file as netns: message" \
	"error: EINVAL: netns /run/netns/plain: is not a network namespace" "$(errmsg)"
rc=$(probe_rc netns /proc/self/ns/uts)
check_eq "uts namespace as netns: EINVAL" "22" "$rc"

# ---- delete ----
check "veth nd3 into c1" "$P" veth nd3 eth3 /run/netns/c1 netd0 1450
check "del nd3" "$P" del nd3
check_fails "del nd3: gone from the host" ip link show nd3
check_fails "del nd3: peer gone from c1" ip -n c1 link show eth3
check "del nd3 again: missing counts as done" "$P" del nd3
rc=$(probe_rc get nd3)
check_eq "get a missing link: ENODEV" "19" "$rc"

# ---- aliases (gc) ----
check "veth nd6 into c2 (netd alias)" "$P" veth nd6 eth0 /run/netns/c2 netd0 1450 - netd:net/c2/eth0
check "veth nd7 into c2 (other alias)" "$P" veth nd7 eth1 /run/netns/c2 netd0 1450 - other:x
out=$("$P" aliases netd:)
check_eq "aliases netd: finds nd1 and nd6" "nd1 nd6 count=2" \
	"$(awk '/^count=/{c=$0; next} {print $1}' <<<"$out" | sort | tr '\n' ' ')$(grep '^count=' <<<"$out")"
check "aliases netd: reports each alias" grep -q "^nd6 .*alias=netd:net/c2/eth0$" <<<"$out"
check_eq "aliases other:" "count=1" "$("$P" aliases other: | tail -1)"
check_eq "aliases nomatch:" "count=0" "$("$P" aliases nomatch: | tail -1)"

# ---- overlap ----
check_eq "overlap: inside the bridge subnet" "yes" "$("$P" overlap 10.88.5.0/24)"
check_eq "overlap: a supernet of it" "yes" "$("$P" overlap 10.0.0.0/8)"
check_eq "overlap: next to it" "no" "$("$P" overlap 10.89.0.0/16)"
ip link set vx0 up
ip link set vx1 up
ip addr add 192.168.77.1/32 dev vx0
check_eq "overlap: a /32 local address without a prefix route" "yes" "$("$P" overlap 192.168.77.0/24)"
ip addr add 198.51.100.2/24 dev vx0
ip route add default via 198.51.100.1
check_eq "overlap: the default route does not count" "no" "$("$P" overlap 10.200.0.0/16)"
ip route add 172.31.0.0/16 via 198.51.100.1
check_eq "overlap: a plain route" "yes" "$("$P" overlap 172.31.4.0/24)"

# ---- default mtu ----
ip route del default
check_eq "mtu: no default route -> 1500" "1500" "$("$P" mtu)"
ip link set vx0 mtu 1380
ip route add default via 198.51.100.1
check_eq "mtu: from the link of the default route" "1380" "$("$P" mtu)"
ip route replace default via 198.51.100.1 mtu 1300
check_eq "mtu: a route mtu below the link's wins" "1300" "$("$P" mtu)"

# ---- a dying namespace takes its veth along ----
ip netns del c1
gone=no
for _ in $(seq 1 40); do
	ip link show nd1 >/dev/null 2>&1 || { gone=yes; break; }
	sleep 0.05
done
check_eq "deleting the netns removes the host end" "yes" "$gone"
check "bridge survives" ip link show netd0

finish
