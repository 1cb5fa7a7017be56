#!/bin/bash
# Chaos for the runtime: kill -9 nsbox while its container starts or runs, STRESS_NSBOX_N (64)
# times; the starting kills are spread over the first STRESS_NSBOX_SPAN (400) ms at seeded random
# points. The container dies with nsbox (PR_SET_PDEATHSIG); then `netd gc` and `nsbox ps` leave
# no veth, lease, map element, record, claim, cgroup, mount, state dir or container process.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
source "$TOP/tests/stress/lib.sh"

N=${STRESS_NSBOX_N:-64}
SPAN=${STRESS_NSBOX_SPAN:-400}
ROOTFS=$LAB_DIR/rootfs
NAME=stress$$
BG=()
# The cgroup tree is the machine's: whatever of ours is left gets removed once counted.
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	find /sys/fs/cgroup -depth -type d -path "*/nsbox/$NAME-*" -exec rmdir {} + 2>/dev/null
	lab_exit
}
trap cleanup EXIT
[ -x "$NSBOX" ] || { not_ok "no $NSBOX"; finish; exit 1; }
"$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null || { not_ok "mkrootfs"; finish; exit 1; }
check "network create sb" "$NETD" network create sb --subnet 10.94.0.0/24

# Our containers' cgroups only (the cgroup tree is the machine's; other tests may use nsbox).
count_cgroups() { find /sys/fs/cgroup -type d -path "*/nsbox/$NAME-*" 2>/dev/null | wc -l; }
count_nsbox_state() { find "$NETD_STATE_DIR/nsbox" -mindepth 1 -maxdepth 1 -name "$NAME-*" 2>/dev/null | wc -l; }
count_mounts() { grep -cE "$ROOTFS|$NETD_STATE_DIR/nsbox" /proc/self/mountinfo; }
rec_pid() { sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

say "nsbox_kill: $N containers, nsbox killed with -9 (seed $SEED)"
up_kills=0 start_kills=0 survivors=0
DELAY=()
for ((i = 1; i <= N; i++)); do
	port=$((48000 + i))
	"$NSBOX" run --name "$NAME-$i" --network sb -p "$port:80" "$ROOTFS" httpd -f -p 80 >/dev/null 2>&1 &
	bgp=$!
	BG+=("$bgp")
	if [ $((i % 4)) -ne 1 ]; then
		# while it starts: the starting kills are spread over the first STRESS_NSBOX_SPAN ms
		# (each in its own slice, at a seeded random point of it), so every step of the start
		# is hit whatever this machine's speed
		slice=$((SPAN / (N * 3 / 4 + 1)))
		ms=$((start_kills * slice + RANDOM % (slice + 1)))
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		start_kills=$((start_kills + 1))
		DELAY[i]=${ms}ms
	else
		wait_until 20 curl -sf -m 1 "http://127.0.0.1:$port/"
		up_kills=$((up_kills + 1))
		DELAY[i]=up
	fi
	cpid=$(rec_pid "$NAME-$i")
	kill -9 "$bgp" 2>/dev/null
	{ wait "$bgp"; } 2>/dev/null
	if [ -n "$cpid" ]; then
		wait_until 10 bash -c "! { [ -d /proc/$cpid ] && [ \"\$(awk '{print \$3}' /proc/$cpid/stat 2>/dev/null)\" != Z ]; }"
		alive "$cpid" && survivors=$((survivors + 1))
	fi
done
say "killed $up_kills running and $start_kills starting; container processes still alive: $survivors"
check_eq "every container died with its nsbox" 0 "$survivors"
say "before gc: $(leftovers) cgroups=$(count_cgroups) nsbox_state=$(count_nsbox_state) mounts=$(count_mounts)"
out=$(timeout 120 "$NETD" gc --json 2>&1)
say "netd gc: $(tr -d ' \n' <<<"$out")"
timeout 60 "$NSBOX" ps >/dev/null 2>&1
check_zero "after netd gc and nsbox ps"
l="cgroups=$(count_cgroups) nsbox_state=$(count_nsbox_state) mounts=$(count_mounts)"
say "after netd gc and nsbox ps: $l"
check_eq "no cgroup, nsbox state or mount left" "cgroups=0 nsbox_state=0 mounts=0" "$l"
while read -r d; do
	c=${d##*-}
	say "  left: $d (nsbox killed ${DELAY[c]} after start)"
done < <(find /sys/fs/cgroup -type d -path "*/nsbox/$NAME-*" 2>/dev/null)
check_state_sane "after nsbox kills" strict
check "network rm sb" "$NETD" network rm sb
say "nsbox_kill: $(elapsed)s"
finish
