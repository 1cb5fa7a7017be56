#!/bin/bash
# make bench: every benchmark, each inside its own lab-host namespaces; figures, not pass/fail.
# Prints one table (ours, the anchor measured in the same run, ratio, target, met), writes
# bench/results.json, regenerates docs/perf.md's table from it and docs/perf.svg (ADD latency vs
# containers present, ours and bridge+host-local).
#   BENCH_PARTS="cni churn netd datapath runtime"   which parts (rows of the others are kept)
#   BENCH_PART_TIMEOUT=900                    seconds per part, then it is stopped
#   BENCH_WRITE=1                             0: print only, leave results.json and docs alone
#   knobs of the parts: RUNS BENCH_N BENCH_DS_N CNI_SETS (cni.sh), PODS SCALE_N (churn.sh),
#   PUB_SAMPLES BG_PORTS (netd.sh), REPS IPERF_T WRK_D NPROXY DP_MODES (datapath.sh),
#   RT_RUNS WARMUP (runtime.sh), QUIET_MAX (wait, s)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || {
	echo "make bench: needs root (everything runs in lab-host namespaces)" >&2
	exit 2
}
for b in netd netd-cni nsbox libnetd.a; do
	[ -e "$BUILD/$b" ] || {
		echo "make bench: no $BUILD/$b (make BUILD=$BUILD)" >&2
		exit 2
	}
done
for t in jq python3 hyperfine iperf3 wrk gnuplot crun runc; do
	command -v $t >/dev/null || {
		echo "make bench: needs $t (scripts/install-deps.sh --bench)" >&2
		exit 2
	}
done
OUT=$(mktemp -d /tmp/netd-bench.XXXXXX)
export BENCH_DATA=$OUT BENCH_ROWS=$OUT/rows.jsonl
# Measure a snapshot: others may relink $BUILD while the benchmarks run (a binary being written
# cannot be exec'd). The parts use the copy; the report names the build it came from.
SRC_BUILD=$BUILD
mkdir -p "$OUT/bin"
for try in 1 2 3 4 5 6; do
	if cp "$BUILD/netd" "$BUILD/netd-cni" "$BUILD/nsbox" "$BUILD/libnetd.a" "$OUT/bin/" &&
		CNI_COMMAND=VERSION "$OUT/bin/netd-cni" </dev/null >/dev/null 2>&1; then
		"$OUT/bin/netd" --help >/dev/null 2>&1 </dev/null
		a=$?
		"$OUT/bin/nsbox" --help >/dev/null 2>&1 </dev/null
		[ "$a" -le 2 ] && [ $? -le 2 ] && break
	fi
	echo "# $BUILD is being rebuilt, retrying the snapshot in 10 s" >&2
	sleep 10
done
export BUILD=$OUT/bin
: >"$BENCH_ROWS"
echo "# make bench: build $SRC_BUILD (snapshot $BUILD), raw data in $OUT; kernel $(uname -r), $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$SECONDS
rc=0
for p in ${BENCH_PARTS:-cni churn netd datapath runtime}; do
	echo "== $p"
	ts=$SECONDS
	if [ "$p" = runtime ]; then
		RUNS=${RT_RUNS:-50} timeout -k 10 "${BENCH_PART_TIMEOUT:-900}" bash "tests/bench/$p.sh" 2>&1 | tee "$OUT/$p.log"
	else
		timeout -k 10 "${BENCH_PART_TIMEOUT:-900}" bash "tests/bench/$p.sh" 2>&1 | tee "$OUT/$p.log"
	fi
	prc=${PIPESTATUS[0]}
	echo "== $p: exit $prc, $((SECONDS - ts)) s"
	[ "$prc" = 0 ] || rc=1
done
echo
echo "== make bench: $((SECONDS - t0)) s"
if [ "${BENCH_WRITE:-1}" = 1 ]; then
	python3 tests/bench/report.py --rows "$BENCH_ROWS" --json bench/results.json --md docs/perf.md \
		--growth "$OUT/growth.dat" --plot docs/perf.svg \
		--meta "host=$(uname -n)" "kernel=$(uname -r)" "nproc=$(nproc)" "loadavg=$load0" \
		"build=$SRC_BUILD" "seconds=$((SECONDS - t0))" || rc=1
	echo "# wrote bench/results.json, docs/perf.md (table), docs/perf.svg"
else
	python3 tests/bench/report.py --rows "$BENCH_ROWS" --json "$OUT/results.json" || rc=1
fi
exit $rc
