# shellcheck shell=bash
# Helpers shared by the benchmark parts (tests/bench/*.sh). Source it after tests/lib.sh.
#
# Each part appends its result rows, one JSON object a line, to $BENCH_ROWS (run.sh collects them
# into bench/results.json, the printed table and docs/perf.md). Raw samples go to $BENCH_DATA.
# A row: key, metric, unit, ours, anchor, anchor_name, ratio (as the target reads it),
# ratio_desc, target ("<= 1.2", ">= 15", "" for none), target_on ("ratio" or "ours"), n, note.

BENCH_ROWS=${BENCH_ROWS:-/dev/null}
BENCH_DATA=${BENCH_DATA:-/tmp}

# p50 < numbers: the median ("nan" when empty)
p50() {
	sort -g | awk '{v[NR]=$1} END{if(!NR){print "nan"; exit}
		if(NR%2) printf "%.6g\n", v[(NR+1)/2]; else printf "%.6g\n", (v[NR/2]+v[NR/2+1])/2}'
}

# div A B [FMT]: A/B, "nan" when B is 0 or not a number
div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.3g}" 'BEGIN{ if (b+0 == 0 || a == "nan" || b == "nan") print "nan"; else printf f "\n", a / b }'
}

# emit_row key=... metric=... (name=value pairs; numbers stay numbers)
emit_row() {
	python3 - "$@" >>"$BENCH_ROWS" <<'PY'
import json, sys
row = {}
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    if k in ("ours", "anchor", "ratio", "n"):
        try:
            f = float(v)
            row[k] = None if f != f else (int(f) if k == "n" else round(f, 4))
        except ValueError:
            row[k] = None
    else:
        row[k] = v
print(json.dumps(row))
PY
}

# cpu_busy: percent of the whole machine busy over 2 s
cpu_busy() {
	local a b idle tot=0 i
	read -r -a a < <(head -1 /proc/stat)
	sleep 2
	read -r -a b < <(head -1 /proc/stat)
	idle=$(((b[4] + b[5]) - (a[4] + a[5])))
	for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
	[ "$tot" -gt 0 ] && echo $((100 * (tot - idle) / tot)) || echo 0
}

# wait_quiet [MAX_S]: other work shares this machine; wait (bounded, QUIET_MAX, default 45 s)
# until it is under 15% busy, and say what was seen.
wait_quiet() {
	local max=${1:-${QUIET_MAX:-45}} t=0 b
	while b=$(cpu_busy) && [ "$b" -ge 15 ] && [ "$t" -lt "$max" ]; do t=$((t + 2)); done
	echo "# machine ${b}% busy (waited ${t}s for < 15%), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ms_since T0: milliseconds since ${EPOCHREALTIME/./} was T0, 2 decimals
ms_since() {
	local d=$((${EPOCHREALTIME/./} - $1))
	printf '%d.%02d\n' $((d / 1000)) $((d % 1000 / 10))
}
