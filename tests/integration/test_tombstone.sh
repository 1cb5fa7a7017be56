#!/bin/bash
# CNI DEL and netd detach without waiting for the veth's unregister (netd/lib/tombstone.c): the
# container end is renamed at once, a detached deleter removes the pair; what must hold:
# CNI_IFNAME is free when DEL returns (ADD again, same or another container id, works), a DEL
# while the namespace stays leaves no interface within a second, nothing is left once the
# namespace is deleted, the plugin's stdout closes when it exits (the deleter keeps no fd), and
# gc and `netd serve` finish a tombstone whose deleter was killed (NETD_FAIL_AT=deleter). Also
# the bridge setup cache that spares an ADD its questions about the bridge.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/netd-cni
NETD=$BUILD/netd
W=$LAB_DIR/tomb
mkdir -p "$W"
CONF='{"cniVersion":"1.0.0","name":"tb","type":"netd-cni","bridge":"br-tb","isGateway":true,"ipMasq":true,"capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"}]},"ipam":{"type":"netd","ranges":[[{"subnet":"10.93.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}'

cni() { # CMD ID NETNS [IFNAME]
	printf '%s' "$CONF" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="/run/netns/$3" \
		CNI_IFNAME="${4:-eth0}" CNI_PATH=/usr/lib/cni "$P" >"$W/out" 2>"$W/err"
}
# interfaces of NS other than lo
ns_links() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '$2 != "lo" {print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
host_veths() { ip -o link show type veth 2>/dev/null | grep -cE '^[0-9]+: n[dt][0-9a-f]{8}[@:]'; }
tombs() { find "$NETD_STATE_DIR/tombstones" -type f 2>/dev/null | wc -l; }
# wait_for N CMD...: CMD succeeds within N tenths of a second
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
no_leftovers() { [ "$(host_veths) $(tombs)" = "0 0" ]; }
ns_empty() { [ -z "$(ns_links "$1")" ]; }

mkns c1
check "ADD" cni ADD a1 c1
check "DEL" cni DEL a1 c1
check_fails "CNI_IFNAME is free when DEL returns" sh -c "ip -n c1 link show eth0 >/dev/null 2>&1"
check "ADD right after DEL, same netns, ifname and container id" cni ADD a1 c1
check "DEL" cni DEL a1 c1
check "ADD right after DEL, same netns and ifname, another container id" cni ADD a2 c1
check_eq "  its port is published" "1" "$(count_map_elements)"
check "DEL" cni DEL a2 c1
check "DEL with the namespace kept: no interface left in it within a second" wait_for 10 ns_empty c1
check "  nor on the host, nor a tombstone" wait_for 10 no_leftovers
check_eq "  and the port is unpublished" "0" "$(count_map_elements)"

# The runtime deletes the namespace right after DEL (containerd, kubelet).
mkns c2
check "ADD (c2)" cni ADD b1 c2
check "DEL, then the namespace deleted at once" sh -c "$(declare -f cni); CONF='$CONF' P=$P W=$W; cni DEL b1 c2 && ip netns del c2"
check "  nothing left within a second" wait_for 10 no_leftovers

# The deleter keeps no fd of the plugin's: a reader of its stdout sees EOF when the plugin exits,
# not when the deleter does (made slow here: NETD_FAIL_AT=deleter-slow, test builds).
mkns c3
if strings "$P" 2>/dev/null | grep -q NETD_FAIL_AT; then
	check "ADD (c3)" cni ADD c1 c3
	t0=${EPOCHREALTIME/./}
	printf '%s' "$CONF" | NETD_FAIL_AT=deleter-slow CNI_COMMAND=DEL CNI_CONTAINERID=c1 \
		CNI_NETNS=/run/netns/c3 CNI_IFNAME=eth0 "$P" | cat >/dev/null
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	check "DEL's stdout reaches EOF before its (3 s) deleter is done (${ms} ms)" test "$ms" -lt 1500
	# Meanwhile the pair carries nothing: the host end is down (one end down stops both), the
	# container end only renamed (it has no carrier).
	check_eq "  the host end is renamed and down" "DOWN" \
		"$(ip -br link show type veth | grep -E '^nt[0-9a-f]{8}(@| )' | awk '{print $2}')"
	check_eq "  the container end is renamed, without carrier" "1 0" \
		"$(ip -n c3 -o link show | grep -cE ': nt[0-9a-f]{8}@.*NO-CARRIER') $(ip -n c3 -o link show | grep -c ': eth0@')"
	check "  nothing left within 4 seconds" wait_for 40 no_leftovers
fi

# netd detach takes the same path.
check "netd attach" $NETD attach tb --netns /run/netns/c3 --id d1
check "netd detach" $NETD detach tb --id d1
check_fails "  eth0 is gone from the namespace at once" sh -c "ip -n c3 link show eth0 >/dev/null 2>&1"
check "  nothing left within a second" wait_for 10 no_leftovers

# A deleter killed at work: its tombstone stays until gc (or serve) finishes it.
if strings "$P" 2>/dev/null | grep -q NETD_FAIL_AT; then
	check "ADD (c3)" cni ADD e1 c3
	check "DEL whose deleter is killed" env NETD_FAIL_AT=deleter sh -c "$(declare -f cni); CONF='$CONF' P=$P W=$W; cni DEL e1 c3"
	sleep 0.3
	check_eq "  the pair and its tombstone stay" "1 1" "$(host_veths) $(tombs)"
	check_eq "  eth0 is free all the same" "" "$(ip -n c3 -o link show eth0 2>/dev/null)"
	check "  an ADD of the same endpoint meanwhile works" cni ADD e1 c3
	check "  and its DEL" cni DEL e1 c3
	check "  netd gc finishes the killed deleter's tombstone" sh -c "$NETD gc >/dev/null && [ \"\$(ip -o link show type veth | grep -cE ': n[dt][0-9a-f]{8}[@:]') \$(find $NETD_STATE_DIR/tombstones -type f | wc -l)\" = '0 0' ] || { sleep 1; $NETD gc >/dev/null; ip -o link show type veth; find $NETD_STATE_DIR/tombstones -type f; false; }"
	check "  nothing left" wait_for 10 no_leftovers

	check "ADD (c3) for serve" cni ADD e2 c3
	check "DEL whose deleter is killed" env NETD_FAIL_AT=deleter sh -c "$(declare -f cni); CONF='$CONF' P=$P W=$W; cni DEL e2 c3"
	sleep 0.3
	check_eq "  the pair and its tombstone stay" "1 1" "$(host_veths) $(tombs)"
	timeout 5 $NETD serve >"$W/serve.log" 2>&1 &
	srv=$!
	check "  netd serve finishes it within 2 s" wait_for 20 no_leftovers
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
else
	echo "# not a test build (no NETD_FAIL_AT): the killed-deleter checks are skipped"
fi

# The bridge as set up is cached in the state dir (netd/lib/brcache.h): an ADD then asks the
# kernel nothing about it. Deleted or changed behind netd's back, it is set up again.
BRC=$NETD_STATE_DIR/networks/tb/bridge
br_index() { ip -j link show br-tb 2>/dev/null | jq -r '.[0].ifindex'; }
br_ok() { # the bridge has its address and sysctl, and the pod's host end is its port
	ip -4 -o addr show dev br-tb | grep -q ' 10\.93\.0\.1/24 ' &&
		[ "$(cat /proc/sys/net/ipv4/conf/br-tb/route_localnet)" = 1 ] &&
		[ "$(ip -o link show master br-tb type veth | wc -l)" = 1 ]
}
check "ADD (f1)" cni ADD f1 c3
check_eq "  the bridge's setup is cached with its ifindex" "ifindex=$(br_index)" "$(cut -d' ' -f1 "$BRC" 2>/dev/null)"
check "DEL (f1)" cni DEL f1 c3
check "  nothing left" wait_for 10 no_leftovers
ip link del br-tb
check "ADD after the bridge was deleted behind netd's back" cni ADD f2 c3
check "  the bridge is back, set up, with the pod on it" br_ok
check_eq "  the cache names the new bridge" "ifindex=$(br_index)" "$(cut -d' ' -f1 "$BRC" 2>/dev/null)"
check "  the pod reaches its gateway" ip netns exec c3 ping -c1 -W2 10.93.0.1
check "DEL (f2)" cni DEL f2 c3
ip addr flush dev br-tb
check "netd gc drops the cache" sh -c "$NETD gc >/dev/null && ! [ -e '$BRC' ]"
check "ADD after the bridge's address was removed behind netd's back, and gc" cni ADD f3 c3
check "  the bridge has its address again" br_ok
check "DEL (f3)" cni DEL f3 c3
check "  nothing left" wait_for 10 no_leftovers

check_eq "no lease, claim or endpoint left" "0 0 0" \
	"$(count_leases) $(count_claims) $(find "$NETD_STATE_DIR/networks" -path '*/endpoints/*' -type f | wc -l)"
finish
