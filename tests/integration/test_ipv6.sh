#!/bin/bash
# Dual-stack networks (docs/ipv6.md) inside a throwaway lab host: IPv6 subnets, leases,
# addresses without DAD, default routes, traffic between containers and with the host, bad input,
# teardown, and the cost of an IPv6 allocation against the size of the prefix.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
leases6() { find "$NETD_STATE_DIR/networks" -path '*/ips/*:*' -type f 2>/dev/null | wc -l; }
conf_snapshot() { ls -l "$NETD_CONFIG_DIR" 2>/dev/null | md5sum; }

# ---- networks ----
check "network create lab: --subnet per family" \
	"$NETD" network create lab --subnet 10.77.0.0/24 --subnet fd77::/64
out=$("$NETD" network inspect lab --json)
check_eq "subnet6 recorded" "fd77::/64" "$(echo "$out" | jget '["subnet6"]')"
check_eq "gateway6 defaults to the first address" "fd77::1" "$(echo "$out" | jget '["gateway6"]')"
check_eq "range6 defaults to the subnet minus the network address" \
	"fd77::1-fd77::ffff:ffff:ffff:ffff" "$(echo "$out" | jget '["range6"]')"
check_eq "masquerade6 on for a ULA subnet" "True" "$(echo "$out" | jget '["masquerade6"]')"
check "network ls shows both subnets" sh -c "'$NETD' network ls | grep -q '10.77.0.0/24,fd77::/64'"
check "network inspect shows subnet6" sh -c "'$NETD' network inspect lab | grep -q 'subnet6  fd77::/64'"

# ---- bad input: a clear error, nothing changed ----
before=$(conf_snapshot)
bad() { # NAME EXPECTED-TEXT CMD...
	local name=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -qF -- "$want"; then
		ok "$name"
	else
		not_ok "$name (rc=$rc)"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -5
	fi
}
bad "overlapping v6 subnet refused" "overlaps network lab" \
	"$NETD" network create lab2 --subnet 10.78.0.0/24 --subnet fd77:0:0:0:1::/80
bad "bad v6 prefix refused" "bad subnet6" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::/129
bad "v6 host bits refused" "did you mean fd78::/64" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::5/64
bad "v6 prefix longer than /120 refused" "use /16 to /120" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::/124
bad "v6 gateway outside the subnet refused" "is outside subnet6" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::/64 --gateway fd79::1
bad "v6 range outside the subnet refused" "is not inside subnet6" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::/64 --ip-range fd78::10-fd79::1
bad "two v6 subnets refused" "given twice for IPv6" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd78::/64 --subnet fd79::/64
bad "an IPv4 gateway on an IPv6-only network refused" "gateway without subnet" \
	"$NETD" network create bad --subnet fd78::/64 --gateway 10.78.0.1
ip link add hostlan type veth peer name hostlan1
ip -6 addr add fd90::1/64 dev hostlan nodad
bad "v6 subnet overlapping a host route refused" "overlaps an IPv6 route or address of this host" \
	"$NETD" network create bad --subnet 10.78.0.0/24 --subnet fd90::/64
ip link del hostlan
check_eq "no subnet file written for bad input" "$before" "$(conf_snapshot)"

# ---- attach ----
mkns c1
mkns c2
out=$("$NETD" attach lab --netns /run/netns/c1 --id c1 2>"$LAB_DIR/attach.err")
check_eq "attach c1 succeeds" 0 $?
sed 's/^/# stderr: /' "$LAB_DIR/attach.err"
C1=$(echo "$out" | jget '["address6"]' | cut -d/ -f1)
check_eq "c1 gets the first v6 address after the gateway" "fd77::2" "$C1"
check "ipv6 forwarding notice printed" grep -q "IPv6 forwarding" "$LAB_DIR/attach.err"
check_eq "ipv6 forwarding on" 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
check "bridge has gateway6" sh -c "ip -6 -br addr show dev lab | grep -q 'fd77::1/64'"
check "c1 has its v6 address" sh -c "ip -n c1 -6 -br addr show dev eth0 | grep -q 'fd77::2/64'"
check_eq "c1 v6 address not tentative right after attach" "" \
	"$(ip -n c1 -6 addr show dev eth0 | grep -E 'tentative|dadfailed')"
check_eq "c1 accept_dad=0" 0 "$(ip netns exec c1 cat /proc/sys/net/ipv6/conf/eth0/accept_dad)"
check "c1 v6 default route via gateway6" sh -c "ip -n c1 -6 route show default | grep -q 'via fd77::1 dev eth0'"
check "c1 v4 default route still there" sh -c "ip -n c1 route show default | grep -q 'via 10.77.0.1'"
check "c1 lease file fd77::2" test -f "$NETD_STATE_DIR/networks/lab/ips/fd77::2"
check "record has ip6" grep -qx "ip6=fd77::2/64" "$NETD_STATE_DIR/networks/lab/endpoints/c1@eth0"
check "ps shows the v6 address" sh -c "'$NETD' ps | grep c1 | grep -q 'fd77::2/64'"

out=$("$NETD" attach lab --netns /run/netns/c2 --id c2 --ip fd77::beef --ip 10.77.0.50 2>/dev/null)
check_eq "attach c2 with --ip of both families" "fd77::beef/64 10.77.0.50/24" \
	"$(echo "$out" | jget '["address6"]') $(echo "$out" | jget '["address"]')"
check_fails "--ip outside subnet6 refused" \
	"$NETD" attach lab --netns /run/netns/c2 --id c3 --ip fd99::5
check_fails "--ip of the v6 gateway refused" \
	"$NETD" attach lab --netns /run/netns/c2 --id c3 --ip fd77::1
check_eq "refused attaches leave no lease" 2 "$(leases6)"
mkns c6
x=$("$NETD" attach lab --netns /run/netns/c6 --id c6 --dry-run --explain 2>&1 >/dev/null)
check "explain: the container's v6 address, nodad" \
	grep -qE 'ip -n c6 -6 addr add fd77::[0-9a-f]+/64 dev eth0 nodad' <<<"$x"
check "explain: the v6 default route" grep -q 'ip -n c6 -6 route add default via fd77::1 dev eth0' <<<"$x"
check_eq "a dry run leaves no v6 lease" 2 "$(leases6)"

# ---- traffic ----
check "container -> container over v6" ip netns exec c1 ping -6 -c1 -W2 fd77::beef
check "container -> container over v6 (reverse)" ip netns exec c2 ping -6 -c1 -W2 fd77::2
check "host -> container over v6" ping -6 -c1 -W2 fd77::2
check "container -> host (gateway6) over v6" ip netns exec c1 ping -6 -c1 -W2 fd77::1
check "netd check verifies the v6 part" "$NETD" check lab --id c1
ip -n c1 -6 route del default
check_fails "netd check notices a missing v6 default route" "$NETD" check lab --id c1
ip -n c1 -6 route add default via fd77::1 dev eth0

# A network without subnet6 refuses a v6 --ip.
"$NETD" network create v4only --subnet 10.79.0.0/24 >/dev/null
mkns c4
bad "v6 --ip on an IPv4 network refused" "has no IPv6 subnet" \
	"$NETD" attach v4only --netns /run/netns/c4 --id c4 --ip fd77::9
check_eq "v4 network endpoint has no v6 address" "" \
	"$("$NETD" attach v4only --netns /run/netns/c4 --id c4 | jget '.get("address6","")')"

# ---- rollback ----
mkns c5
# (make SAN=1 builds have the fault points; NETD_FAIL_AT=commit fails once everything is made.)
check_fails "attach failing at its last step" env NETD_FAIL_AT=commit \
	"$NETD" attach lab --netns /run/netns/c5 --id c5
check_eq "rollback leaves no v6 lease" 2 "$(leases6)"
check_eq "rollback leaves no interface in the namespace" "" \
	"$(ip -n c5 -br link show 2>/dev/null | grep -v '^lo')"

# ---- gc: v6 leases are checked against the records like v4 ones ----
printf 'lab/ghost@eth0\n' >"$NETD_STATE_DIR/networks/lab/ips/fd77::99"
printf 'garbage' >"$NETD_STATE_DIR/networks/lab/ips/fd77::beef"
rm -f "$NETD_STATE_DIR/networks/lab/ips/fd77::2"
"$NETD" doctor >"$LAB_DIR/doctor.out" 2>&1
check "doctor reports the orphan v6 lease" grep -q "orphan-lease.*fd77::99" "$LAB_DIR/doctor.out"
check "doctor reports the damaged v6 lease" grep -q "damaged-lease.*ips/fd77::beef" "$LAB_DIR/doctor.out"
check "doctor reports c1's missing v6 lease" grep -q "lease-missing.*c1.*fd77::2" "$LAB_DIR/doctor.out"
check "gc with an orphan, a damaged and a missing v6 lease" "$NETD" gc
check_fails "gc releases an orphan v6 lease" test -e "$NETD_STATE_DIR/networks/lab/ips/fd77::99"
check_eq "gc repairs a damaged v6 lease from its record" "lab/c2@eth0" \
	"$(cat "$NETD_STATE_DIR/networks/lab/ips/fd77::beef")"
check_eq "gc leases a ready record's v6 address again" "lab/c1@eth0" \
	"$(cat "$NETD_STATE_DIR/networks/lab/ips/fd77::2" 2>/dev/null)"
check "doctor reports ipv6 forwarding" sh -c "'$NETD' doctor 2>&1 | grep -q 'IPv6 forwarding is on'"

# ---- detach, kill + gc ----
check "detach c2" "$NETD" detach lab --id c2
check_eq "detach releases the v6 lease" 1 "$(leases6)"
check_eq "detach removes c2's v6 address" "" "$(ip -n c2 -6 -br addr show 2>/dev/null | grep fd77)"
ip netns del c1
check "gc after c1's namespace died" "$NETD" gc
check_eq "kill + gc leave no v6 lease" 0 "$(leases6)"
check_eq "no v6 route to a container left on the host" "" \
	"$(ip -6 route show | grep -E 'fd77::(2|beef)')"

# ---- the cost of an allocation does not grow with the prefix ----
# strace counts the allocator's lease claims (link()): one per address, /64 or /120 alike.
if command -v strace >/dev/null; then
	"$NETD" network create p120 --subnet 10.81.0.0/24 --subnet fd81::/120 >/dev/null
	"$NETD" network create p64 --subnet 10.82.0.0/16 --subnet fd82::/64 >/dev/null
	for net in p120 p64; do
		mkns "n$net"
		total=0
		for i in $(seq 1 200); do
			[ "$net" = p120 ] && [ "$i" -gt 250 ] && break
			n=$(strace -f -e trace=link -o /dev/stdout "$NETD" attach "$net" \
				--netns "/run/netns/n$net" --id "x$i" --ifname "e$i" 2>/dev/null |
				grep -c '^[0-9]* *link(.*ips/fd')
			total=$((total + n))
		done
		eval "probes_$net=$total"
	done
	check_eq "200 v6 addresses of a /120: one lease probe each" 200 "$probes_p120"
	check_eq "200 v6 addresses of a /64: one lease probe each" 200 "$probes_p64"
else
	ok "# SKIP strace not installed: allocation cost not counted"
fi

finish
