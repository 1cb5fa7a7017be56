#!/bin/bash
# Runs the test suites (unit, integration, e2e; all by default) and prints one closing line
# "N passed, N failed". Integration and e2e tests enter their own lab-host namespaces.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
export BUILD=${BUILD:-build-san}
SUITES=${*:-unit integration e2e}
PASS=0
FAIL=0
FAILED=()
LOGDIR=$(mktemp -d /tmp/netd-tests.XXXXXX)

count_tap() { # log -> "passed failed" (read in a subshell: the caller adds them up)
	echo "$(grep -c '^ok - ' "$1") $(grep -c '^not ok - ' "$1")"
}

run_unit() {
	local t n log p f
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		log=$LOGDIR/$n.log
		if "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		PASS=$((PASS + p))
		FAIL=$((FAIL + f))
		echo "unit  $n: $p passed, $f failed"
		if [ "$f" -ne 0 ]; then
			FAILED+=("$n")
			tail -40 "$log" | sed 's/^/    /'
		fi
	done
}

run_scripts() { # dir
	local t n log pf rc
	for t in "$1"/test_*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		log=$LOGDIR/$n.log
		if timeout 900 bash "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
		read -r p f < <(count_tap "$log")
		PASS=$((PASS + p))
		FAIL=$((FAIL + f))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			FAIL=$((FAIL + 1))
			f=1
			echo "not ok - $n exited with status $rc after its checks" >>"$log"
		fi
		echo "$(basename "$1") $n: $p passed, $f failed"
		if [ "$f" -ne 0 ]; then
			FAILED+=("$n")
			grep -v '^ok - ' "$log" | tail -60 | sed 's/^/    /'
		fi
	done
}

for s in $SUITES; do
	case $s in
	unit) run_unit ;;
	integration) run_scripts tests/integration ;;
	e2e) run_scripts tests/e2e ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
done
[ ${#FAILED[@]} -gt 0 ] && echo "failed: ${FAILED[*]} (logs in $LOGDIR)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
