#!/bin/bash
# runtime.sh: container start latency, nsbox vs crun and runc, in the same run (hyperfine medians).
#   nsbox run --network none ROOTFS /bin/true      (namespaces, cgroups, pivot_root, no network)
#   nsbox run ROOTFS /bin/true                     (plus eth0 on the default network, torn down)
#   crun run / runc run of the same rootfs         (bundle config from `runc spec`, /bin/true)
#   unshare -pfnmui --mount-proc true              (the floor: namespaces alone)
# Method: everything runs in a throwaway lab network
# namespace and a private mount namespace where the hybrid layout's /sys/fs/cgroup/unified is
# unmounted (crun 1.8 refuses the hybrid layout); nsbox is also timed once on the hybrid layout.
# Targets: nsbox without network no slower than crun; the network adds at most 3 ms.
# Writes rows to $BENCH_ROWS. Env: BUILD (default build, a release build), RUNS=50 WARMUP=5, STATE=tmpfs|disk (where
# NETD_STATE_DIR lives; libnetd fsyncs its records, so disk costs more).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SELF=$TOP/tests/bench/runtime.sh
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
NSBOX=$BUILD/nsbox
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
STATE=${STATE:-tmpfs}
source "$TOP/tests/bench/common.sh"
die() {
	echo "runtime.sh: $*" >&2
	exit 1
}

if [ "${1:-}" = __inner ]; then # in the lab: new net + mount namespaces
	ip link set lo up
	mount -t tmpfs lab /run/netns 2>/dev/null
	if [ "$STATE" = tmpfs ]; then mount -t tmpfs lab "$WORK/state" || die "tmpfs"; fi
	export NETD_STATE_DIR=$WORK/state/netd NETD_CONFIG_DIR=$WORK/state/etc
	B=$WORK/bundle
	R=$B/rootfs
	"$NSBOX" run "$R" /bin/true || die "nsbox run (default network) failed"
	hyperfine -N -w "$WARMUP" -r "$RUNS" --style none --export-json "$WORK/hybrid.json" \
		-n "nsbox run --network none (hybrid cgroups)" "$NSBOX run --network none $R /bin/true" \
		>"$WORK/hf.log" 2>&1 </dev/null || { cat "$WORK/hf.log"; die "hyperfine failed"; }
	if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		umount /sys/fs/cgroup/unified && echo "# (private mount ns: unmounted hybrid /sys/fs/cgroup/unified for crun)"
	fi
	for r in crun runc; do
		"$r" --root "$WORK/state-$r" run --bundle "$B" "nsbox-bench-$r-$$" </dev/null || die "$r run failed"
	done
	"$NSBOX" run --network none "$R" /bin/true || die "nsbox run --network none failed"
	hyperfine -N -w "$WARMUP" -r "$RUNS" --style none --export-json "$WORK/hf.json" \
		-n "nsbox run --network none" "$NSBOX run --network none $R /bin/true" \
		-n "nsbox run (default network)" "$NSBOX run $R /bin/true" \
		-n "crun run (new netns)" "crun --root $WORK/state-crun run --bundle $B nsbox-bench-crun-$$" \
		-n "runc run (new netns)" "runc --root $WORK/state-runc run --bundle $B nsbox-bench-runc-$$" \
		-n "unshare -pfnmui --mount-proc true" "unshare -p -f -n -m -u -i --mount-proc true" \
		>"$WORK/hf.log" 2>&1 </dev/null || { cat "$WORK/hf.log"; die "hyperfine failed"; }
	# nothing may be left: every run tore its container down
	left=$(find "$NETD_STATE_DIR/networks" -path '*/ips/*' -type f 2>/dev/null | wc -l)
	left=$((left + $(ip -o link show type veth | wc -l)))
	left=$((left + $(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | wc -l)))
	[ "$left" -eq 0 ] || die "nsbox left $left leases/veths/cgroups behind"
	[ "$STATE" = tmpfs ] && umount "$WORK/state"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root"
command -v hyperfine >/dev/null || die "needs hyperfine (scripts/install-deps.sh --bench)"
for t in crun runc jq; do command -v $t >/dev/null || die "needs $t (scripts/install-deps.sh)"; done
[ -x "$NSBOX" ] || die "no $NSBOX (make all)"
WORK=$(mktemp -d /tmp/nsbox-bench.XXXXXX)
export WORK RUNS WARMUP STATE NSBOX
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/state" "$WORK/state-crun" "$WORK/state-runc" "$WORK/bundle"
"$TOP/scripts/mkrootfs.sh" "$WORK/bundle/rootfs" >/dev/null || die "mkrootfs"
(cd "$WORK/bundle" && runc spec) || die "runc spec"
jq '.process.terminal=false | .process.args=["/bin/true"]' "$WORK/bundle/config.json" >"$WORK/c.json" &&
	mv "$WORK/c.json" "$WORK/bundle/config.json"

wait_quiet
echo "# runtime: $("$NSBOX" --help >/dev/null 2>&1; echo nsbox), $(crun --version | head -1), $(runc --version | head -1), $(hyperfine --version)"
echo "# kernel $(uname -r), nproc $(nproc), loadavg $(cut -d' ' -f1-3 /proc/loadavg), state dir on $STATE, $RUNS runs after $WARMUP warmup"
unshare --net --mount --propagation private bash "$SELF" __inner || exit 1

echo "== start latency (ms): median (min-max) mean+-stddev"
jq -s -r '[.[].results[]] | .[] | "\(.command)\t\(.median*1000|.*100|round/100) (\(.min*1000|.*100|round/100)-\(.max*1000|.*100|round/100))\tmean \(.mean*1000|.*100|round/100)+-\(.stddev*1000|.*100|round/100)"' \
	"$WORK/hybrid.json" "$WORK/hf.json" | column -t -s $'\t'
med() { jq -r --arg n "$1" '.results[] | select(.command==$n) | .median*1000' "$WORK/hf.json"; }
none=$(med "nsbox run --network none")
net=$(med "nsbox run (default network)")
crun=$(med "crun run (new netns)")
runc=$(med "runc run (new netns)")
awk -v none="$none" -v net="$net" -v crun="$crun" -v runc="$runc" 'BEGIN {
	printf "== ratios: nsbox --network none / crun = %.2f (target <= 1.00); / runc = %.2f\n", none / crun, none / runc
	printf "== the network adds %.2f ms (target <= 3 ms); nsbox with network / crun = %.2f\n", net - none, net / crun
}'
emit_row key=rt_start metric="container start, nsbox --network none vs crun" unit=ms ours="$none" \
	anchor="$crun" anchor_name="crun run (new netns)" ratio="$(div "$none" "$crun")" \
	ratio_desc="ours/crun" target="<= 1.0" target_on=ratio n="$RUNS"
emit_row key=rt_start_runc metric="container start, nsbox --network none vs runc" unit=ms ours="$none" \
	anchor="$runc" anchor_name="runc run (new netns)" ratio="$(div "$none" "$runc")" \
	ratio_desc="ours/runc" target= target_on=ratio n="$RUNS"
emit_row key=rt_start_net metric="container start, nsbox with network vs crun (no network)" unit=ms \
	ours="$net" anchor="$crun" anchor_name="crun run (new netns)" ratio="$(div "$net" "$crun")" \
	ratio_desc="ours/crun" target= target_on=ratio n="$RUNS" note="the network adds $(awk -v a="$net" -v b="$none" 'BEGIN{printf "%.2f", a - b}') ms"
echo "# loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
