#!/bin/bash
# nsbox run --explain: the printed commands, run as a script (sh -e) in a FRESH lab host with no
# nsbox, start an equivalent container: the chosen hostname, the command as PID 1, the rootfs
# as /, its address on the network, and after it ends the same teardown.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
echo "rootfs-marker" >"$ROOTFS/explain-marker"
W=$LAB_DIR/w
mkdir -p "$W"
CMD='hostname; echo "pid=$$"; cat /explain-marker; ip -4 -o addr show eth0 | awk "{print \$4}"'

# (stderr apart: the first attach says there that it turned IP forwarding on)
out=$(timeout 30 "$NSBOX" run --name web --hostname boxy -p 8080:80 --explain="$W/run.sh" \
	"$ROOTFS" sh -c "$CMD" 2>"$W/run.err")
sed 's/^/# stderr: /' "$W/run.err"
check_eq "nsbox run --explain runs the container" "boxy pid=1 rootfs-marker 172.17.0.2/16" "$(echo $out)"
check "the script says, as a comment, that IP forwarding was turned on" \
	grep -q '^# nsbox: turned on IP forwarding' "$W/run.sh"
check "... and so does stderr (the script went to a file)" \
	grep -q '^nsbox: turned on IP forwarding' "$W/run.err"
check "explain: unshare with new namespaces" grep -q '^unshare --pid --mount --uts --ipc --net --fork' "$W/run.sh"
check "explain: pivot_root" grep -qx 'pivot_root . .' "$W/run.sh"
check "explain: proc mounted in the rootfs" grep -qx "mount -t proc -o nosuid,nodev,noexec proc $ROOTFS/proc" "$W/run.sh"
check "explain: the cgroup gets the container's PID" grep -q '^echo "$pid" > /sys/fs/cgroup/.*/cgroup.procs$' "$W/run.sh"
check "explain: the veth peer goes to the container's netns" grep -q '^ip link add nd[0-9a-f]* .* netns /proc/$pid/ns/net' "$W/run.sh"
check "explain: the published port" grep -qF "nft add element ip netd pub_any '{ tcp . 8080 : 172.17.0.2 . 80 }'" "$W/run.sh"
check "explain: teardown after the container ends" grep -qF "nft delete element ip netd pub_any '{ tcp . 8080 }'" "$W/run.sh"
check "explain: no literal PID or state dir" bash -c "! grep -v '^#' '$W/run.sh' | grep -qE '/proc/[0-9]+/|$NETD_STATE_DIR'"

# A fresh lab host: no nsbox, no netd; the script alone.
res=$(timeout 60 unshare --net --mount --propagation private -- bash -c "
	mount -t tmpfs labb /run/netns; ip link set lo up; unset NETD_STATE_DIR NETD_CONFIG_DIR
	sh -e '$W/run.sh' && echo script-ok
	# the veth pair goes with the container's namespace, in the kernel's own worker
	for _ in \$(seq 40); do ip -o link show type veth | grep -q ': nd' || break; sleep 0.05; done
	echo veths=\$(ip -o link show type veth | grep -c ': nd')" 2>&1)
echo "$res" | sed 's/^/#   /'
check_eq "fresh lab: the script starts an equivalent container" \
	"boxy pid=1 rootfs-marker 172.17.0.2/16 script-ok veths=0" "$(echo $res)"

finish
