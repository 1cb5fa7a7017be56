#!/bin/bash
# tests/fuzz/run.sh SECONDS NAME...: runs each libFuzzer target build-fuzz/NAME for SECONDS on a
# scratch copy of its seeds (tests/fuzz/corpus/NAME/, plus tests/fuzz/NAME.dict when there is
# one), prints its executions, and fails when any target crashes, leaks, times out or runs out
# of memory. SECONDS 0: nothing to run (make fuzz then only builds). Called by `make fuzz`.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
SECONDS_EACH=${1:-0}
shift
case $SECONDS_EACH in '' | *[!0-9]*)
	echo "fuzz: FUZZ_SECONDS=$SECONDS_EACH is not a number of seconds" >&2
	exit 2
	;;
esac
if [ "$SECONDS_EACH" -eq 0 ]; then
	echo "fuzz: built $# targets in build-fuzz/ (FUZZ_SECONDS=N runs each N seconds)"
	exit 0
fi
WORK=$(mktemp -d /tmp/netd-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
TOTAL=0
CRASHED=()
printf '%-22s %12s %8s %s\n' target executions corpus result
for n in "$@"; do
	bin=build-fuzz/$n
	seeds=tests/fuzz/corpus/$n
	corpus=$WORK/$n
	art=build-fuzz/crashes/$n/
	log=$WORK/$n.log
	mkdir -p "$corpus" "$art"
	[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
	args=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=8192
		-print_final_stats=1 -artifact_prefix="$art")
	[ -f "tests/fuzz/$n.dict" ] && args+=(-dict="tests/fuzz/$n.dict")
	# the bound: libFuzzer stops itself after SECONDS; timeout only catches a hang of its own
	if timeout $((SECONDS_EACH + 120)) "$bin" "${args[@]}" "$corpus" >"$log" 2>&1; then
		result=ok
	else
		result="CRASH (rc $?)"
		CRASHED+=("$n")
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	TOTAL=$((TOTAL + execs))
	printf '%-22s %12s %8s %s\n' "$n" "$execs" "$(find "$corpus" -type f | wc -l)" "$result"
	if [ "$result" != ok ]; then
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^ *#[0-5] ' "$log" | head -20 |
			sed 's/^/    /'
	fi
done
printf '%-22s %12s\n' total "$TOTAL"
if [ ${#CRASHED[@]} -gt 0 ]; then
	echo "fuzz: ${#CRASHED[@]} target(s) crashed: ${CRASHED[*]} (reproducers in build-fuzz/crashes/)"
	exit 1
fi
echo "fuzz: $# targets, $TOTAL executions, 0 crashes"
