#!/bin/bash
# make stress: the stress and chaos scenarios of issue 6, each in its own lab-host namespace
# (tests/lib.sh lab_enter), each bounded by STRESS_TIMEOUT seconds (900). Prints every
# scenario's counts, then "stress: N scenarios passed, N failed"; exits non-zero on any leftover,
# duplicate address or failed operation.
#   tests/stress/run.sh [SCENARIO...]   (default: all; names as below)
# Knobs (defaults sized for a 2-core machine under ASan): STRESS_SEED, STRESS_CNI_N,
# STRESS_CNI_ROUNDS, STRESS_CLI_CYCLES, STRESS_CLI_WORKERS, STRESS_CHURN_PORTS,
# STRESS_CHAOS_KILLS, STRESS_CHAOS_POOL, STRESS_NSBOX_N, STRESS_NSBOX_SPAN.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
export BUILD=${BUILD:-build-san}
export STRESS_SEED=${STRESS_SEED:-42}
SCENARIOS=${*:-cni_parallel cli_cycles chaos nsbox_kill}
LOGDIR=$(mktemp -d /tmp/netd-stress.XXXXXX)
PASS=0
FAIL=0
T0=$SECONDS

for b in netd netd-cni nsbox; do
	[ -x "$BUILD/$b" ] || { echo "stress: no $BUILD/$b (make SAN=1 BUILD=$BUILD all)" >&2; exit 2; }
done
echo "stress: build $BUILD, seed $STRESS_SEED, logs in $LOGDIR"
for s in $SCENARIOS; do
	t=$SECONDS
	log=$LOGDIR/$s.log
	if [ ! -f "tests/stress/$s.sh" ]; then
		echo "stress: unknown scenario $s" >&2
		FAIL=$((FAIL + 1))
		continue
	fi
	timeout --kill-after=10 "${STRESS_TIMEOUT:-900}" bash "tests/stress/$s.sh" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	echo "== $s"
	# The counts: every "# ..." line the scenario printed, and each failed check.
	grep -E '^# |^not ok - ' "$log" | grep -v '^# [0-9]* passed' | sed 's/^/  /'
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
		PASS=$((PASS + 1))
		echo "  => $s: passed ($p checks) in $((SECONDS - t))s"
	else
		FAIL=$((FAIL + 1))
		[ "$rc" -eq 124 ] && echo "  => $s: timed out after ${STRESS_TIMEOUT:-900}s"
		echo "  => $s: FAILED ($p checks passed, $f failed, exit $rc) in $((SECONDS - t))s"
	fi
done
echo "stress: total $((SECONDS - T0))s"
echo "stress: $PASS scenarios passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
