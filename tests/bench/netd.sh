#!/bin/bash
# netd attach+detach latency at 1, 250 and 500 existing endpoints, and publish cost at 1 and 5,000
# published ports. Runs in a lab-host namespace; prints medians (ms). Not a timed test: figures.
#   BENCH_N=30  samples per point
source "$(dirname "$0")/../lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
NETD=$BUILD/netd
lab_enter "$@"
set -u
N=${BENCH_N:-30}

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin.read().split()]; print("%.2f" % statistics.median(v))'; }
now_ns() { date +%s%N; }

"$NETD" network create bench --subnet 10.60.0.0/16 >/dev/null
mkns probe

# sample LABEL PORTSPEC...: N attach and N detach timings of endpoint "probe"
sample() {
	local label=$1 a d t0 t1 t2
	shift
	a=()
	d=()
	for _ in $(seq 1 "$N"); do
		t0=$(now_ns)
		"$NETD" attach bench --netns /run/netns/probe --id probe "$@" >/dev/null || exit 1
		t1=$(now_ns)
		"$NETD" detach bench --id probe || exit 1
		t2=$(now_ns)
		a+=($(((t1 - t0) / 1000)))
		d+=($(((t2 - t1) / 1000)))
	done
	printf '%-44s attach %7s ms   detach %7s ms\n' "$label" \
		"$(printf '%s\n' "${a[@]}" | awk '{print $1/1000}' | median)" \
		"$(printf '%s\n' "${d[@]}" | awk '{print $1/1000}' | median)"
}

grow_to() { # existing endpoints
	local i
	for i in $(seq "$EXIST" $(($1 - 1))); do
		ip netns add "e$i"
		"$NETD" attach bench --netns "/run/netns/e$i" --id "e$i" >/dev/null || exit 1
	done
	EXIST=$1
}

echo "# netd benchmark: medians of $N samples (ms), lab-host namespace, build $BUILD"
EXIST=0
sample "attach+detach, 0 other endpoints"
grow_to 1
sample "attach+detach, 1 other endpoint"
grow_to 250
sample "attach+detach, 250 other endpoints"
grow_to 500
sample "attach+detach, 500 other endpoints"
sample "attach+detach with 1 port, 500 endpoints" -p 18080:80
ip netns add big
"$NETD" attach bench --netns /run/netns/big --id big -p 20000-24999:20000-24999 >/dev/null || exit 1
echo "# published ports now: $(count_map_elements)"
sample "attach+detach with 1 port, 5000 ports" -p 18080:80
