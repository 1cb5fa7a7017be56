# shellcheck shell=bash
# Shared helpers for integration and e2e tests (TAP-like: "ok - ..." / "not ok - ...").
#
# lab_enter: re-executes the calling script inside a throwaway "lab host": new network and mount
# namespaces, a private /run/netns, its own state and config dirs. Nothing here touches the
# machine's own network namespace; everything vanishes when the script exits.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build-san}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
NETD=$BUILD/netd
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
T_PASS=0
T_FAIL=0

# LAB_PIDNS=1 lab_enter: a PID namespace too, with the script as its PID 1, so that daemons and
# servers it starts (containerd, httpd in a pod) cannot outlive it; lab_exit ends them.
lab_enter() {
	if [ -z "${NETD_LAB:-}" ]; then
		if [ "${LAB_PIDNS:-}" = 1 ]; then
			NETD_LAB=1 NETD_LAB_PIDNS=1 exec unshare --net --mount --pid --fork --mount-proc \
				--propagation private -- bash "$0" "$@"
		fi
		NETD_LAB=1 exec unshare --net --mount --propagation private -- bash "$0" "$@"
	fi
	mount -t tmpfs lab /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs lab /run/netns; }
	LAB_DIR=$(mktemp -d /tmp/netd-lab.XXXXXX)
	mount -t tmpfs lab "$LAB_DIR"
	export NETD_STATE_DIR=$LAB_DIR/state NETD_CONFIG_DIR=$LAB_DIR/etc
	ip link set lo up
	trap lab_exit EXIT
}

# lab_reap: in a LAB_PIDNS lab, kills every process left in it but the script itself.
lab_reap() {
	# kill -1 from PID 1 of the lab's own PID namespace reaches that namespace only; anywhere
	# else it would reach the whole machine.
	if [ "${NETD_LAB_PIDNS:-}" = 1 ] && [ $$ = 1 ]; then
		kill -KILL -1 2>/dev/null
	fi
	return 0
}

lab_exit() {
	local rc=$?
	# Scripts chain their own cleanup before lab_exit in the trap, which changes $?: once finish
	# ran, its verdict is the script's status.
	[ -n "${T_RC:-}" ] && rc=$T_RC
	lab_reap
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$ns" 2>/dev/null; done
	# A name server netd started for this lab (dns.c) holds the lab's network namespace.
	local dp
	dp=$(cat "$NETD_STATE_DIR/dns/aardvark.pid" 2>/dev/null)
	[ -n "$dp" ] && grep -qs aardvark "/proc/$dp/comm" && kill -9 "$dp" 2>/dev/null
	umount "$LAB_DIR" 2>/dev/null
	rmdir "$LAB_DIR" 2>/dev/null
	exit $rc
}

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $*"
}

# check NAME CMD...: runs CMD, ok if it exits 0; shows its output when it fails.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
	fi
}

# check_fails NAME CMD...: ok if CMD exits non-zero.
check_fails() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$name (unexpectedly succeeded)"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -10
	else
		ok "$name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# A container namespace: ip netns add NAME (inside the lab's private /run/netns).
mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
}

# Our host-side veths: "nd" + 8 hex digits (see network.c).
count_veths() {
	ip -o link show type veth 2>/dev/null | grep -cE '^[0-9]+: nd[0-9a-f]{8}[@:]'
}

count_leases() {
	find "$NETD_STATE_DIR/networks" -path '*/ips/*' -type f 2>/dev/null | wc -l
}

# Host-port claims: ports/PROTO-PORT/ADDR (temp files start with '.').
count_claims() {
	find "$NETD_STATE_DIR/ports" -mindepth 2 -type f ! -name '.*' 2>/dev/null | wc -l
}

# Elements of the publish maps of table ip netd and table ip6 netd.
count_map_elements() {
	{ nft -j list table ip netd; nft -j list table ip6 netd; } 2>/dev/null | python3 -c '
import json,sys
n=0
for line in sys.stdin:
    try: d=json.loads(line)
    except Exception: continue
    for o in d.get("nftables",[]):
        m=o.get("map") or o.get("set")
        if m and m.get("name","").startswith("pub"): n+=len(m.get("elem",[]))
print(n)'
}

finish() {
	echo "# $T_PASS passed, $T_FAIL failed"
	T_RC=0
	[ "$T_FAIL" -eq 0 ] || T_RC=1
	return $T_RC
}

# Up to N tries of CMD (output discarded), 100 ms apart; 0 as soon as one succeeds.
wait_until() { # N CMD...: up to N tries, 100 ms apart
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# For e2e scripts that run nsbox, after lab_enter: NSBOX (checked), ROOTFS (a busybox rootfs in
# the lab dir) and nsbox (NSBOX with a timeout); a failure is a "not ok" and the end.
nsbox_setup() {
	NSBOX=$BUILD/nsbox
	[ -x "$NSBOX" ] || { not_ok "no $NSBOX (make BUILD=... all)"; finish; exit 1; }
	ROOTFS=$LAB_DIR/rootfs
	"$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null || { not_ok "mkrootfs"; finish; exit 1; }
	nsbox() { timeout 30 "$NSBOX" "$@"; }
}

# Stops and removes every nsbox container of the lab's state dir (an EXIT trap's first step:
# cgroups are not namespaced, whatever a failed test leaves would stay on the host).
nsbox_rm_all() {
	local d
	for d in "$NETD_STATE_DIR"/nsbox/*/; do
		[ -d "$d" ] || continue
		timeout 15 "$NSBOX" stop -t 1 "$(basename "$d")" >/dev/null 2>&1
		timeout 15 "$NSBOX" rm "$(basename "$d")" >/dev/null 2>&1
	done
}

# Background servers of a script: start each with "CMD & PIDS+=($!)"; an EXIT trap of
# 'kill_servers; lab_exit' stops them and keeps the script's exit status.
PIDS=()
kill_servers() {
	local rc=$?
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	return $rc
}

# tag_servers: writes $LAB_DIR/srv.py, a TCP server answering "TAG PEER-IP" on both families
# ([::] without V6ONLY), and $LAB_DIR/cli.py, its client (1 s timeout, "FAIL ..." when refused).
# Then: serve NS PORT TAG starts one in NS and waits until it listens; ask NS HOST PORT (NS "-":
# the lab host) prints the answer; tag NS HOST PORT its first word.
tag_servers() {
	cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys
port, tag = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
s.listen(64)
while True:
    c, a = s.accept()
    p = a[0][7:] if a[0].startswith("::ffff:") else a[0]
    c.sendall(("%s %s\n" % (tag, p)).encode()); c.close()
EOF
	cat >"$LAB_DIR/cli.py" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(1.0)
try:
    s.connect((host, port)); print(s.recv(200).decode().strip())
except OSError as e:
    print("FAIL %s" % e); sys.exit(1)
EOF
}
serve() {
	ip netns exec "$1" python3 "$LAB_DIR/srv.py" "$2" "$3" &
	PIDS+=($!)
	wait_until 50 sh -c "ip netns exec $1 ss -ltn | grep -q ':$2 '" || echo "# server $* did not start"
}
ask() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then python3 "$LAB_DIR/cli.py" "$@"; else ip netns exec "$ns" python3 "$LAB_DIR/cli.py" "$@"; fi
}
tag() { ask "$@" | cut -d' ' -f1; }

# lab_ext HOST4 HOST6 EXT4 EXT6 [HOST6...]: an external machine, namespace "ext", behind the
# lab host's ext0 (/24 and /64 prefixes, no DAD; further IPv6 addresses of the host on ext0 too);
# returns once ext reaches HOST6.
lab_ext() {
	local h4=$1 h6=$2 e4=$3 e6=$4 a
	shift 4
	mkns ext
	ip link add ext0 type veth peer name eth0 netns ext
	ip addr add "$h4/24" dev ext0
	ip addr add "$h6/64" dev ext0 nodad
	for a in "$@"; do ip addr add "$a/64" dev ext0 nodad; done
	ip link set ext0 up
	ip -n ext addr add "$e4/24" dev eth0
	ip -n ext addr add "$e6/64" dev eth0 nodad
	ip -n ext link set eth0 up
	wait_until 30 ip netns exec ext ping -6 -c1 -W1 "$h6"
}
