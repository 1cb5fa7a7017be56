#!/bin/bash
# runtime.sh: container start latency, nsbox vs crun and runc, in the same run (hyperfine medians).
#   nsbox run --network none ROOTFS /bin/true      (namespaces, cgroups, pivot_root, no network)
#   nsbox run ROOTFS /bin/true                     (plus eth0 on the default network, torn down)
#   crun run / runc run of the same rootfs         (bundle config from `runc spec`, /bin/true)
#   unshare -pfnmui --mount-proc true              (the floor: namespaces alone)
#   nsbox run --security-opt seccomp=unconfined    (the cost of the default seccomp filter)
#   docker run --rm / podman run --rm IMG /bin/true vs nsbox run ROOTFS /bin/true (default networks)
#   ... -p 8080:80 IMG httpd -f -p 80, until the published port answers (curl), each runtime
# docker: Debian's docker.io, dockerd started inside the lab with its own data-root, exec-root,
# pidfile and socket under the work dir; podman with its own root, runroot and tmpdir; both get
# the same busybox rootfs, imported as a local image (docker import / podman import).
# Method: everything runs in a throwaway lab network
# namespace and a private mount namespace where the hybrid layout's /sys/fs/cgroup/unified is
# unmounted (crun 1.8 refuses the hybrid layout); nsbox is also timed once on the hybrid layout.
# Targets: nsbox without network (default seccomp filter on) no slower than crun; the network
# adds at most 3 ms. HTTPD_RUNS=10 (the published-port rows), DOCKER=0 / PODMAN=0 to skip.
# Writes rows to $BENCH_ROWS. Env: BUILD (default build, a release build), RUNS=50 WARMUP=5, STATE=tmpfs|disk (where
# NETD_STATE_DIR lives; libnetd does not fsync its records, docs/design.md).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SELF=$TOP/tests/bench/runtime.sh
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
NSBOX=$BUILD/nsbox
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
STATE=${STATE:-tmpfs}
HTTPD_RUNS=${HTTPD_RUNS:-10}
source "$TOP/tests/bench/common.sh"
die() {
	echo "runtime.sh: $*" >&2
	exit 1
}

# time_to_answer NAME START-CMD STOP-CMD: HTTPD_RUNS times, ms from START-CMD to the first HTTP
# answer on 127.0.0.1:8080 (bounded: 10 s), then STOP-CMD (not timed); one line per sample.
time_to_answer() {
	local name=$1 start=$2 stop=$3 i t0 k
	for ((i = 0; i < HTTPD_RUNS; i++)); do
		t0=${EPOCHREALTIME/./}
		eval "$start" >/dev/null 2>&1 || { echo "# $name: start failed" >&2; return 1; }
		for ((k = 0; k < 2000; k++)); do
			curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/ && break
			sleep 0.005
		done
		[ "$k" -lt 2000 ] || { echo "# $name: no answer in 10 s" >&2; eval "$stop" >/dev/null 2>&1; return 1; }
		ms_since "$t0" >>"$WORK/httpd-$name.dat"
		eval "$stop" >/dev/null 2>&1
		for ((k = 0; k < 200; k++)); do # the port free again before the next sample
			curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/ || break
			sleep 0.01
		done
	done
}

# docker and podman, with the same rootfs as an image, in this lab (called from __inner)
others_bench() {
	local B=$WORK/bundle R=$WORK/bundle/rootfs D=$WORK/docker P=$WORK/podman
	: >"$WORK/others.ok"
	# nsbox itself, published port (the same loop as for the others)
	time_to_answer nsbox "$NSBOX run -d --name bhttpd -p 8080:80 $R httpd -f -p 80" \
		"$NSBOX stop -t 0 bhttpd; $NSBOX rm bhttpd" || die "nsbox httpd rows failed"
	# what docker and podman write outside their own dirs lands on tmpfs (a private mount ns)
	for d in /etc/docker /etc/cni/net.d /var/lib/cni /var/lib/containers /run/containers; do
		mkdir -p "$d" && mount -t tmpfs bench "$d"
	done
	if [ "${DOCKER:-1}" = 1 ] && command -v dockerd >/dev/null; then
		mkdir -p "$D/root" "$D/exec"
		local dk="/usr/bin/docker -H unix://$D/sock"
		dockerd --data-root "$D/root" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/sock" \
			--exec-opt native.cgroupdriver=cgroupfs --storage-driver overlay2 --log-level error \
			>"$D/log" 2>&1 &
		for _ in $(seq 300); do $dk version >/dev/null 2>&1 && break; sleep 0.1; done
		if $dk version >/dev/null 2>&1 && tar -C "$R" -c . | $dk import - nsbox-bench:latest >/dev/null &&
			$dk run --rm nsbox-bench:latest /bin/true; then
			hyperfine -N -w 3 -r "${OTHER_RUNS:-20}" --style none --export-json "$WORK/hf-docker.json" \
				-n "docker run --rm (default bridge)" "$dk run --rm nsbox-bench:latest /bin/true" \
				>"$WORK/hf.log" 2>&1 </dev/null || cat "$WORK/hf.log"
			time_to_answer docker "$dk run -d --rm --name bhttpd -p 8080:80 nsbox-bench:latest httpd -f -p 80" \
				"$dk rm -f bhttpd" && echo docker >>"$WORK/others.ok"
		else
			echo "# docker: dockerd did not come up ($(tail -3 "$D/log" | tr '\n' ' '))" >&2
		fi
		[ -f "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null
		for _ in $(seq 100); do [ -f "$D/pid" ] && kill -0 "$(cat "$D/pid")" 2>/dev/null || break; sleep 0.1; done
		find /sys/fs/cgroup/*/docker -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	if [ "${PODMAN:-1}" = 1 ] && command -v podman >/dev/null; then
		mkdir -p "$P/root" "$P/run" "$P/tmp"
		# --ulimit: podman's default nofile and nproc are above this machine's hard limits, and root here
		# has no CAP_SYS_RESOURCE to raise them (crun: setrlimit: Operation not permitted)
		local pm="podman --root $P/root --runroot $P/run --tmpdir $P/tmp --cgroup-manager cgroupfs --events-backend none --storage-driver vfs"
		if tar -C "$R" -c . | $pm import - nsbox-bench:latest >/dev/null 2>"$P/log" &&
			$pm run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 nsbox-bench:latest /bin/true >>"$P/log" 2>&1; then
			hyperfine -N -w 3 -r "${OTHER_RUNS:-20}" --style none --export-json "$WORK/hf-podman.json" \
				-n "podman run --rm (default network)" "$pm run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 nsbox-bench:latest /bin/true" \
				>"$WORK/hf.log" 2>&1 </dev/null || cat "$WORK/hf.log"
			time_to_answer podman "$pm run -d --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --name bhttpd -p 8080:80 nsbox-bench:latest httpd -f -p 80" \
				"$pm rm -f -t 0 bhttpd" && echo podman >>"$WORK/others.ok"
		else
			echo "# podman: $(tail -3 "$P/log" | tr '\n' ' ')" >&2
		fi
		find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	return 0
}

if [ "${1:-}" = __inner ]; then # in the lab: new net + mount namespaces
	ip link set lo up
	mount -t tmpfs lab /run/netns 2>/dev/null
	# the cgroup tree is the machine's: only what appears during the bench is ours
	cg_before=$(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort)
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
		-n "nsbox run --network none, seccomp=unconfined" "$NSBOX run --network none --security-opt seccomp=unconfined $R /bin/true" \
		-n "nsbox run (default network)" "$NSBOX run $R /bin/true" \
		-n "crun run (new netns)" "crun --root $WORK/state-crun run --bundle $B nsbox-bench-crun-$$" \
		-n "runc run (new netns)" "runc --root $WORK/state-runc run --bundle $B nsbox-bench-runc-$$" \
		-n "unshare -pfnmui --mount-proc true" "unshare -p -f -n -m -u -i --mount-proc true" \
		>"$WORK/hf.log" 2>&1 </dev/null || { cat "$WORK/hf.log"; die "hyperfine failed"; }
	others_bench
	# nothing may be left: every run tore its container down
	left=$(find "$NETD_STATE_DIR/networks" -path '*/ips/*' -type f 2>/dev/null | wc -l)
	left=$((left + $(ip -o link show type veth | wc -l)))
	left=$((left + $(comm -13 <(printf '%s\n' "$cg_before") \
		<(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort) | grep -c .)))
	[ "$left" -eq 0 ] || die "nsbox left $left leases/veths/cgroups behind"
	[ "$STATE" = tmpfs ] && umount "$WORK/state"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root"
command -v hyperfine >/dev/null || die "needs hyperfine (scripts/install-deps.sh --bench)"
for t in crun runc jq; do command -v $t >/dev/null || die "needs $t (scripts/install-deps.sh)"; done
[ -x "$NSBOX" ] || die "no $NSBOX (make all)"
WORK=$(mktemp -d /tmp/nsbox-bench.XXXXXX)
export WORK RUNS WARMUP STATE NSBOX HTTPD_RUNS
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
unc=$(med "nsbox run --network none, seccomp=unconfined")
emit_row key=rt_seccomp metric="container start, nsbox --network none: default seccomp filter vs none" unit=ms \
	ours="$none" anchor="$unc" anchor_name="seccomp=unconfined" ratio="$(div "$none" "$unc")" \
	ratio_desc="with/without" target= target_on=ratio n="$RUNS" \
	note="the filter (cached BPF) costs $(awk -v a="$none" -v b="$unc" 'BEGIN{printf "%.2f", a - b}') ms"
httpd_med() { [ -s "$WORK/httpd-$1.dat" ] && p50 <"$WORK/httpd-$1.dat" || echo nan; }
nh=$(httpd_med nsbox)
echo "== published port answers (ms from run to the first HTTP 200 on 127.0.0.1:8080, median of $HTTPD_RUNS): nsbox $nh"
for rt in docker podman; do
	grep -qx $rt "$WORK/others.ok" 2>/dev/null || { echo "# $rt: no rows (not installed or failed)"; continue; }
	label=$([ $rt = docker ] && echo "docker run --rm (default bridge)" || echo "podman run --rm (default network)")
	t=$(jq -r --arg n "$label" '.results[] | select(.command==$n) | .median*1000' "$WORK/hf-$rt.json")
	h=$(httpd_med $rt)
	echo "== $rt: /bin/true $t ms (nsbox with network $net ms, ratio $(div "$net" "$t")); published port $h ms (nsbox $nh ms, ratio $(div "$nh" "$h"))"
	emit_row key=rt_${rt}_true metric="container start /bin/true, nsbox run vs $rt run --rm (default networks)" unit=ms \
		ours="$net" anchor="$t" anchor_name="$label" ratio="$(div "$net" "$t")" ratio_desc="ours/$rt" \
		target="<= 1.0" target_on=ratio n="${OTHER_RUNS:-20}"
	emit_row key=rt_${rt}_httpd metric="run -d -p 8080:80 httpd until the port answers, nsbox vs $rt" unit=ms \
		ours="$nh" anchor="$h" anchor_name="$rt run -d --rm -p 8080:80" ratio="$(div "$nh" "$h")" \
		ratio_desc="ours/$rt" target="<= 1.0" target_on=ratio n="$HTTPD_RUNS"
done
echo "# loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
