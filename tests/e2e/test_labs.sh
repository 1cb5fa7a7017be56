#!/bin/bash
# The labs of docs/labs/ (scripts/lab.sh), each from fresh: its checker fails before anything is
# done, the page's own solution (every ```sh block) runs, the checker then passes, and reset
# leaves nothing: no holder, no mounts, no network namespace, no cgroup of the lab.
# lab.sh makes its own lab hosts (unshare --net --mount --pid ...); this test keeps their pid
# and env files in a directory of its own, so a learner's labs are not disturbed.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
export BUILD
LAB=$TOP/scripts/lab.sh
NETD_LABS_RUN=$(mktemp -d /tmp/netd-labs-test.XXXXXX)
export NETD_LABS_RUN
cleanup() {
	local n
	for n in $("$LAB" list | awk '{print $1}'); do "$LAB" "$n" reset >/dev/null 2>&1; done
	rm -rf --one-file-system "$NETD_LABS_RUN"
}
trap cleanup EXIT

[ -x "$BUILD/netd" ] && [ -x "$BUILD/nsbox" ] && [ -x "$BUILD/netd-cni" ] ||
	{ not_ok "no $BUILD/{netd,nsbox,netd-cni} (make BUILD=... all)"; finish; exit 1; }
LABS=$("$LAB" list | awk '{print $1}')
check_eq "at least six labs" yes "$([ "$(echo "$LABS" | wc -w)" -ge 6 ] && echo yes || echo no)"

for n in $LABS; do
	t0=$(date +%s)
	if ! out=$(timeout 120 "$LAB" "$n" start 2>&1); then
		not_ok "lab $n: start"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -10
		continue
	fi
	ok "lab $n: start"
	check_fails "lab $n: check fails on a fresh lab" timeout 120 "$LAB" "$n" check
	check "lab $n: solve (the page's own commands)" timeout 300 "$LAB" "$n" solve
	check "lab $n: check passes after solve" timeout 120 "$LAB" "$n" check
	# lab 6's last step needs cnirun, built from tests/clients: nothing of it may be skipped
	[ "$n" = 6 ] && check_fails "lab 6: check skipped nothing" \
		grep -q skip <<<"$(timeout 120 "$LAB" 6 check 2>&1)"
	if [ "$n" = 4 ]; then
		# a port left down: the checker names it instead of only failing the ping
		"$LAB" 4 run ip link set veth1 down
		out=$(timeout 120 "$LAB" 4 check 2>&1)
		check "lab 4: a host end left down is named, with the fix" \
			grep -qF "the host end of c1's eth0, veth1, is down (ip link set veth1 up)" <<<"$out"
		"$LAB" 4 run ip link set veth1 up
	fi
	"$LAB" "$n" __remember
	check "lab $n: reset" timeout 120 "$LAB" "$n" reset
	check_eq "lab $n: reset leaves nothing" "" "$("$LAB" "$n" __leftovers)"
	check_fails "lab $n: no holder after reset" "$LAB" "$n" status
	echo "# lab $n: $(($(date +%s) - t0)) s"
done
finish
