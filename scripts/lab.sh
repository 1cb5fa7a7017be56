#!/bin/bash
# scripts/lab.sh: the hands-on labs of docs/labs/.
#
#   scripts/lab.sh list                 the labs
#   scripts/lab.sh N shell              a shell inside lab N's "lab host" (started if needed)
#   scripts/lab.sh N check              is the lab done? prints what is there and what is missing
#   scripts/lab.sh N solve              runs the lab's own solution: every ```sh block of its page
#   scripts/lab.sh N run CMD...         one command inside the lab host
#   scripts/lab.sh N start | status     start lab N (idempotent) | is it running?
#   scripts/lab.sh N reset              tear lab N down: nothing of it is left afterwards
#   scripts/lab.sh all [N...]           each lab from fresh: check fails, solve, check passes, reset
#
# How a lab keeps its state (docs/labs/README.md): `start` runs a holder process in new network,
# mount, PID, UTS and IPC namespaces (unshare --net --mount --pid --uts --ipc --fork --mount-proc).
# The holder is PID 1 of the lab: it mounts a private /run/netns, a tmpfs for the lab's files
# ($LAB_DIR), a private /var/lib/cni, runs the lab's set-up, then waits (at most 24 h). `shell`,
# `check`, `solve` and
# `run` join the holder's namespaces with nsenter, so everything the learner makes (netns, bridges,
# nft tables, mounts, processes) is still there for `check`. `reset` stops nsbox containers
# cleanly, SIGKILLs the holder (the kernel then kills every process of the lab's PID namespace, and
# the lab's namespaces and mounts go with the last of them) and removes the cgroups the lab made.
# Nothing here touches the machine's own network namespace.
#
# Env: BUILD (dir with netd, netd-cni, nsbox; default build), NETD_LABS_RUN (where labs keep
# their pid and env files; default /run/netd-labs).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=$TOP/scripts/lab.sh
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
LABS_RUN=${NETD_LABS_RUN:-/run/netd-labs}
case $LABS_RUN in /*) ;; *) LABS_RUN=$PWD/$LABS_RUN ;; esac
LABS=(1 2 3 4 5 6 7 8)

die() {
	echo "lab.sh: $*" >&2
	exit 2
}

lab_doc() { # N -> docs/labs/0N-name.md
	local f
	for f in "$TOP"/docs/labs/0"$1"-*.md; do
		[ -f "$f" ] && echo "$f" && return 0
	done
	return 1
}

lab_title() { sed -n '1{s/^# *//;s/^Lab [0-9]*: *//;p}' "$(lab_doc "$1")"; }

# ------------------------------------------------------------------------------ host side

holder_pid() { # N -> pid of a live holder, or fails
	local d=$LABS_RUN/$1 p
	p=$(cat "$d/pid" 2>/dev/null) || return 1
	[ -n "$p" ] && [ -d "/proc/$p" ] || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "lab.sh __holder $1 " || return 1
	echo "$p"
}

# The cgroup dirs of the lab (lab 2 makes its own cgroups under them; nsbox puts containers in
# <hierarchy>/.../nsbox/NAME). Layout: v2, v1 or hybrid (v1 controllers + cgroup2 at unified).
cgroup_env() { # INST
	local inst=$1 v2mnt="" memmnt="" pidsmnt="" layout self
	while read -r _ _ _ _ mnt _ _ _ fstype _ opts; do
		case $fstype in
		cgroup2) v2mnt=$mnt ;;
		cgroup)
			case ",$opts," in *,memory,*) memmnt=$mnt ;; esac
			case ",$opts," in *,pids,*) pidsmnt=$mnt ;; esac
			;;
		esac
	done < <(awk '{ split($0, a, " - "); split(a[1], l, " "); split(a[2], r, " ");
		print 0, 0, 0, 0, l[5], 0, 0, 0, r[1], 0, r[3] }' /proc/self/mountinfo)
	if [ -n "$v2mnt" ] && [ -z "$memmnt" ] && grep -qw memory "$v2mnt/cgroup.controllers" 2>/dev/null; then
		layout=v2
		memmnt=$v2mnt
		pidsmnt=$v2mnt
	elif [ -n "$v2mnt" ]; then
		layout=hybrid
	else
		layout=v1
	fi
	echo "CG_LAYOUT=$layout"
	echo "CG_V2=${v2mnt}"
	if [ "$layout" = v2 ]; then
		# v2: under the root (no process may sit in a cgroup that hands controllers down)
		echo "CG_MEM=$v2mnt/netd-lab-$inst"
		echo "CG_PIDS=$v2mnt/netd-lab-$inst"
	else
		self=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)/\3/p' /proc/self/cgroup)
		self=${self%/}
		echo "CG_MEM=${memmnt:+$memmnt$self/netd-lab-$inst}"
		self=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}pids\(,[^:]*\)\{0,1\}:\(.*\)/\3/p' /proc/self/cgroup)
		self=${self%/}
		echo "CG_PIDS=${pidsmnt:+$pidsmnt$self/netd-lab-$inst}"
	fi
}

ensure_rootfs() {
	local r=$LABS_RUN/rootfs
	[ -x "$r/bin/busybox" ] && return 0
	mkdir -p "$LABS_RUN"
	rm -rf "$r.tmp"
	"$TOP/scripts/mkrootfs.sh" "$r.tmp" >/dev/null || return 1
	mv "$r.tmp" "$r"
}

# cnirun (tests/clients/cnirun): a small runtime on libcni, built offline once from Debian's
# golang-github-appc-cni-dev source.
ensure_cnirun() {
	local src=$TOP/tests/clients/cnirun/main.go w rc
	mkdir -p "$LABS_RUN/bin"
	[ -x "$LABS_RUN/bin/cnirun" ] && [ ! "$src" -nt "$LABS_RUN/bin/cnirun" ] && return 0
	command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/containernetworking/cni ] || return 1
	w=$(mktemp -d /tmp/netd-lab-go.XXXXXX)
	mkdir -p "$w/gopath/src/cnirun"
	cp "$src" "$w/gopath/src/cnirun/"
	(cd "$w/gopath/src/cnirun" && env GO111MODULE=off GOPROXY=off GOFLAGS= \
		GOPATH="$w/gopath:/usr/share/gocode" GOCACHE="$w/gocache" CGO_ENABLED=0 \
		go build -o "$LABS_RUN/bin/cnirun" .) >"$w/log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && tail -5 "$w/log" >&2
	rm -rf "$w"
	return $rc
}

start() { # N
	local n=$1 d=$LABS_RUN/$1 upid p i inst
	holder_pid "$n" >/dev/null && return 0
	lab_doc "$n" >/dev/null || die "no lab $n (scripts/lab.sh list)"
	[ "$(id -u)" = 0 ] || die "labs need root (namespaces, bridges, nftables, cgroups)"
	for b in netd netd-cni nsbox; do
		[ -x "$BUILD/$b" ] || die "no $BUILD/$b: run make first (or set BUILD)"
	done
	# a dead lab of this number: clean what it left
	[ -e "$d" ] && reset "$n" >/dev/null 2>&1
	ensure_rootfs || die "could not build the rootfs (scripts/mkrootfs.sh)"
	[ "$n" = 6 ] && { ensure_cnirun || echo "lab.sh: cannot build cnirun (golang-go, golang-github-appc-cni-dev): lab 6's client step will be skipped" >&2; }
	mkdir -p "$d/work"
	inst=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	{
		echo "LAB=$n"
		echo "LAB_INST=$inst"
		echo "LABS_RUN=$LABS_RUN"
		echo "LAB_DIR=$d/work"
		echo "ROOTFS=$d/work/rootfs"
		echo "NETD_STATE_DIR=$d/work/state"
		echo "NETD_CONFIG_DIR=$d/work/networks"
		echo "CNI_PATH=$BUILD"
		echo "NETCONFPATH=$d/work/net.d"
		echo "BUILD=$BUILD"
		echo "PATH=$BUILD:$LABS_RUN/bin:$PATH"
		cgroup_env "$inst"
	} | sed 's/^\([A-Z_0-9]*\)=\(.*\)/export \1="\2"/' >"$d/env"
	rm -f "$d/ready" "$d/failed" "$d/pid"
	setsid unshare --net --mount --pid --uts --ipc --fork --mount-proc --propagation private -- \
		bash "$SELF" __holder "$n" </dev/null >"$d/holder.log" 2>&1 &
	upid=$!
	for ((i = 0; i < 300; i++)); do
		[ -e "$d/ready" ] || [ -e "$d/failed" ] && break
		kill -0 "$upid" 2>/dev/null || break
		sleep 0.1
	done
	p=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | awk '{print $1}')
	[ -n "$p" ] && echo "$p" >"$d/pid"
	if [ ! -e "$d/ready" ]; then
		echo "lab.sh: lab $n did not start:" >&2
		tail -20 "$d/holder.log" >&2
		reset "$n" >/dev/null 2>&1
		exit 1
	fi
}

enter() { # N ARGS... : runs "lab.sh __in N ARGS..." inside the lab
	local n=$1 p
	shift
	p=$(holder_pid "$n") || die "lab $n is not running"
	nsenter --target "$p" --net --mount --pid --uts --ipc --wd -- bash "$SELF" __in "$n" "$@"
}

reset() { # N
	local n=$1 d=$LABS_RUN/$1 p i cg
	[ -e "$d" ] || return 0
	if p=$(holder_pid "$n"); then
		# nsbox containers: stop them the ordinary way (network detached, cgroups removed);
		# what that misses, their records name
		timeout 60 nsenter --target "$p" --net --mount --pid --uts --ipc --wd -- bash "$SELF" __in "$n" __cleanup
		kill -9 "$p" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			[ -d "/proc/$p" ] || break
			sleep 0.05
		done
	fi
	# shellcheck disable=SC1091
	CG_MEM="" CG_PIDS=""
	[ -f "$d/env" ] && . "$d/env"
	{
		cat "$d/cgroups" 2>/dev/null
		[ -n "$CG_MEM" ] && echo "$CG_MEM"
		[ -n "$CG_PIDS" ] && echo "$CG_PIDS"
	} | sort -u >"$d/cgroups.all"
	while read -r cg; do
		case $cg in /sys/fs/cgroup/*) ;; *) continue ;; esac
		[ -d "$cg" ] || continue
		for ((i = 0; i < 50; i++)); do
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$cg" ] || break
			sleep 0.1
		done
		[ -d "$cg" ] && echo "lab.sh: reset: cgroup $cg is still there" >&2
	done <"$d/cgroups.all"
	if grep -q " $d/" /proc/self/mountinfo; then
		echo "lab.sh: reset: something is still mounted under $d; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$d"
}

status() { # N
	local p
	if p=$(holder_pid "$1"); then
		echo "lab $1: running (holder pid $p, files in $LABS_RUN/$1/work inside the lab)"
	else
		echo "lab $1: not running"
		return 1
	fi
}

# The solution: every ```sh block of the page, in order, in one bash (set -e), each shown first.
solution_script() { # N
	awk '
	/^```sh[ \t]*$/ { inb = 1; nb++; printf "__show <<'"'"'__LAB_%d'"'"'\n", nb; buf = ""; next }
	inb && /^```/ { printf "%s__LAB_%d\n%s", buf, nb, buf; inb = 0; next }
	inb { buf = buf $0 "\n" }
	' "$(lab_doc "$1")"
}

# Whatever lab.sh reports as "left over" after a reset (used by `all` and the e2e test).
leftovers() { # N
	local d=$LABS_RUN/$1 cg
	[ -d "$d" ] && echo "dir $d"
	grep " $d/" /proc/self/mountinfo | awk '{print "mount", $5}'
	[ -f "$d.cgroups" ] && while read -r cg; do [ -d "$cg" ] && echo "cgroup $cg"; done <"$d.cgroups"
	if [ -s "$d.nsinodes" ]; then
		# shellcheck disable=SC2046
		stat -Lc '%i %n' /proc/[0-9]*/ns/net 2>/dev/null | sort -k1,1 |
			join - <(sort "$d.nsinodes") | awk '{sub("/ns/net", "", $2); print "netns", $1, "held by", $2}'
	fi
	return 0
}

# Before a reset: remember what the lab made, so `leftovers` can look for it afterwards.
remember() { # N
	local d=$LABS_RUN/$1 p
	p=$(holder_pid "$1") || return 0
	# shellcheck disable=SC1091
	(. "$d/env" && { echo "$CG_MEM"; echo "$CG_PIDS"; cat "$d/cgroups" 2>/dev/null; } | grep . | sort -u) >"$d.cgroups"
	nsenter --target "$p" --net --mount --pid --uts --ipc -- sh -c '
		stat -Lc %i /proc/self/ns/net
		for f in /run/netns/*; do [ -e "$f" ] && stat -Lc %i "$f"; done
		for f in /proc/[0-9]*/ns/net; do stat -Lc %i "$f"; done 2>/dev/null' | sort -u >"$d.nsinodes"
}

all() { # [N...]
	local n t0 t1 fails=0 out rc left list=("$@")
	[ ${#list[@]} -eq 0 ] && list=("${LABS[@]}")
	for n in "${list[@]}"; do
		t0=$(date +%s)
		rc=0
		out=$(reset "$n" 2>&1; start "$n" 2>&1) || rc=1
		if [ $rc -ne 0 ]; then
			echo "lab $n: FAIL (could not start)"
			printf '%s\n' "$out" | sed 's/^/    /' | tail -20
			fails=$((fails + 1))
			continue
		fi
		local why=""
		if out=$(timeout 120 "$SELF" "$n" check 2>&1); then
			why="check passed before solve (a checker that cannot fail)"
		fi
		if [ -z "$why" ] && ! out=$(timeout 300 "$SELF" "$n" solve 2>&1); then
			why="solve failed"
		fi
		if [ -z "$why" ] && ! out=$(timeout 120 "$SELF" "$n" check 2>&1); then
			why="check failed after solve"
		fi
		remember "$n"
		reset "$n" >/dev/null 2>&1
		left=$(leftovers "$n")
		rm -f "$LABS_RUN/$n.cgroups" "$LABS_RUN/$n.nsinodes"
		[ -z "$why" ] && [ -n "$left" ] && why="reset left: $(echo "$left" | tr '\n' ' ')"
		t1=$(date +%s)
		if [ -z "$why" ]; then
			echo "lab $n: pass ($((t1 - t0)) s) $(lab_title "$n")"
		else
			echo "lab $n: FAIL ($((t1 - t0)) s) $(lab_title "$n"): $why"
			printf '%s\n' "$out" | tail -30 | sed 's/^/    /'
			fails=$((fails + 1))
		fi
	done
	echo "labs: $((${#list[@]} - fails)) passed, $fails failed"
	[ $fails -eq 0 ]
}

# ------------------------------------------------------------------------------ inside the lab

# ---- check helpers: one line per thing, "ok" or "MISSING" with what to do about it
_ok() { echo "  ok       $1"; }
_miss() {
	echo "  MISSING  $1"
	CHECK_MISSING=$((CHECK_MISSING + 1))
}
need() { # "WHAT IS THERE" "WHAT IS MISSING (hint)" CMD...
	local okt=$1 mt=$2
	shift 2
	if "$@" >/dev/null 2>&1; then
		_ok "$okt"
	else
		_miss "$mt"
		return 1
	fi
}
nsx() { # NS CMD...: in netns NS, quietly
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
has_ns() { [ -e "/run/netns/$1" ]; }
has_link() { ip ${2:+-n "$2"} link show dev "$1" >/dev/null 2>&1; }
is_up() { ip ${2:+-n "$2"} -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'; }
has_addr() { ip ${3:+-n "$3"} -4 -o addr show dev "$1" 2>/dev/null | grep -q "inet $2 "; }
addr_of() { ip ${2:+-n "$2"} -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4; exit}'; }
is_bridge() { ip -d -o link show dev "$1" 2>/dev/null | grep -q ' bridge '; }
has_route_via() { ip -n "$1" -4 route show default 2>/dev/null | grep -q "via $2 "; }
peer_line() { # NS IF -> `ip -o link` line of the host end of NS's veth IF
	local idx
	idx=$(ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p')
	[ -n "$idx" ] || return 1
	ip -o link show 2>/dev/null | awk -F': ' -v i="$idx" '$1==i'
}
peer_master() { peer_line "$1" "$2" | sed -n 's/.* master \([^ ]*\) .*/\1/p'; }
peer_name() { peer_line "$1" "$2" | awk -F': ' '{ sub("@.*", "", $2); print $2 }'; }
pings() { ip netns exec "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
http_from() { # NS|- URL [TEXT]: fetches URL (from netns NS, or the lab host for -); has TEXT
	local out
	if [ "$1" = - ]; then
		out=$(curl -s --connect-timeout 1 -m 2 "$2" 2>/dev/null)
	else
		out=$(ip netns exec "$1" curl -s --connect-timeout 1 -m 2 "$2" 2>/dev/null)
	fi
	[ -n "$out" ] && { [ -z "${3:-}" ] || printf '%s' "$out" | grep -q "$3"; }
}
nsbox_pid() { nsbox ps 2>/dev/null | awk -v n="$1" '$1==n && $2 ~ /^[0-9]+$/ {print $2}'; }
netd_has_ep() { netd ps --network "$1" 2>/dev/null | awk 'NR>1{print $1}' | grep -qx "$2"; }

# ---- lab 1: a process is a container
ns_of() { readlink "/proc/$1/ns/$2" 2>/dev/null; }
find_by_hostname() { # NAME -> pids (in the lab's PID namespace) whose UTS namespace has that hostname
	local f p me
	me=$(ns_of 1 uts)
	for f in /proc/[0-9]*; do
		p=${f#/proc/}
		[ "$(ns_of "$p" uts)" = "$me" ] && continue
		[ "$(nsenter -t "$p" --uts cat /proc/sys/kernel/hostname 2>/dev/null)" = "$1" ] && echo "$p"
	done
}
check_1() {
	local p t
	echo " by hand (unshare):"
	# unshare itself is in the new UTS namespace too; box1 is the one in a new PID namespace
	for p in $(find_by_hostname box1) ""; do
		[ -n "$p" ] && [ "$(ns_of "$p" pid)" != "$(ns_of 1 pid)" ] && break
	done
	[ -z "$p" ] && p=$(find_by_hostname box1 | head -1)
	if need "a process with hostname box1 (PID $p)" "no process runs with hostname box1 (unshare --uts ... sh -c 'hostname box1; exec sleep 3600' &)" test -n "$p"; then
		for t in pid net mnt ipc; do
			need "box1 has its own $t namespace" "box1 shares the lab host's $t namespace (unshare --$t)" \
				test "$(ns_of "$p" $t)" != "$(ns_of 1 $t)"
		done
		need "box1 is PID 1 in its PID namespace" "box1 is not PID 1 of its PID namespace (unshare --pid --fork, and exec the command)" \
			test "$(awk '/^NSpid:/{print $NF}' /proc/"$p"/status)" = 1
		need "box1 sees only its own processes in /proc" "box1's /proc is the lab host's (unshare --mount-proc)" \
			test "$(nsenter -t "$p" --mount readlink /proc/1/ns/pid 2>/dev/null)" = "$(ns_of "$p" pid)"
	fi
	echo " nsbox:"
	p=$(nsbox_pid web)
	need "nsbox container web runs (PID $p)" "no running nsbox container web (nsbox run -d --name web ...)" test -n "$p" || return 0
	need "nsbox exec web hostname says web" "nsbox exec web hostname does not say web" \
		test "$(timeout 10 nsbox exec web hostname 2>/dev/null)" = web
	need "web has its own PID namespace" "web shares the lab host's PID namespace" test "$(ns_of "$p" pid)" != "$(ns_of 1 pid)"
}

# ---- lab 2: cgroups
setup_2() {
	[ -n "$CG_MEM" ] && [ -n "$CG_PIDS" ] || {
		echo "no memory or pids controller on this host"
		return 1
	}
	mkdir -p "$CG_MEM" "$CG_PIDS" || return 1
	if [ "$CG_LAYOUT" = v2 ]; then
		echo "+memory +pids" >"$CG_V2/cgroup.subtree_control" 2>/dev/null
		echo "+memory +pids" >"$CG_MEM/cgroup.subtree_control" || return 1
	fi
}
cg_val() { # FILE [KEY]: the value of FILE, or of line KEY in it
	if [ -n "${2:-}" ]; then
		awk -v k="$2" '$1==k {print $2}' "$1" 2>/dev/null
	else
		cat "$1" 2>/dev/null
	fi
}
check_2() {
	local memf oomf oomk cgdir p rec
	echo " by hand ($CG_LAYOUT layout):"
	if [ "$CG_LAYOUT" = v2 ]; then
		memf=memory.max oomf=memory.events oomk=oom_kill
	else
		memf=memory.limit_in_bytes oomf=memory.oom_control oomk=oom_kill
	fi
	if need "cgroup demo in the memory hierarchy" "no cgroup demo under \$CG_MEM ($CG_MEM) (mkdir)" test -d "$CG_MEM/demo"; then
		need "demo: $memf is 32M" "demo's $memf is $(cg_val "$CG_MEM/demo/$memf"), not 32M (33554432)" \
			test "$(cg_val "$CG_MEM/demo/$memf")" = 33554432
		need "demo: the OOM killer struck ($oomk $(cg_val "$CG_MEM/demo/$oomf" $oomk))" \
			"no OOM kill in demo yet ($oomf: $oomk 0): run something that needs more than 32M in it" \
			test "$(cg_val "$CG_MEM/demo/$oomf" $oomk)" -ge 1
	fi
	if need "cgroup demo in the pids hierarchy" "no cgroup demo under \$CG_PIDS ($CG_PIDS) (mkdir)" test -d "$CG_PIDS/demo"; then
		need "demo: pids.max is 16" "demo's pids.max is $(cg_val "$CG_PIDS/demo/pids.max"), not 16" \
			test "$(cg_val "$CG_PIDS/demo/pids.max")" = 16
		need "demo: a fork was refused (pids.events: max $(cg_val "$CG_PIDS/demo/pids.events" max))" \
			"no fork refused in demo yet (pids.events: max 0): start more than 16 processes in it" \
			test "$(cg_val "$CG_PIDS/demo/pids.events" max)" -ge 1
	fi
	echo " nsbox:"
	p=$(nsbox_pid capped)
	need "nsbox container capped runs" "no running nsbox container capped (nsbox run -d --name capped --memory 64m --pids-limit 20 ...)" \
		test -n "$p" || return 0
	rec=$NETD_STATE_DIR/nsbox/capped/record
	cgdir=$(sed -n 's/^cgroup=[^:]*://p' "$rec" | while read -r d; do [ -f "$d/$memf" ] && echo "$d" && break; done)
	need "capped: $memf is 64M" "capped's memory limit is not 64M ($cgdir/$memf: $(cg_val "$cgdir/$memf"))" \
		test "$(cg_val "$cgdir/$memf")" = 67108864
	cgdir=$(sed -n 's/^cgroup=[^:]*://p' "$rec" | while read -r d; do [ -f "$d/pids.max" ] && echo "$d" && break; done)
	need "capped: pids.max is 20" "capped's pids.max is not 20 ($cgdir/pids.max: $(cg_val "$cgdir/pids.max"))" \
		test "$(cg_val "$cgdir/pids.max")" = 20
	need "capped's processes are in that cgroup" "capped's PID $p is not in $cgdir/cgroup.procs" grep -qx "$p" "$cgdir/cgroup.procs"
}

# ---- lab 3: a root of your own
check_3() {
	local p o=$LAB_DIR/ovl
	echo " pivot_root by hand:"
	for p in $(find_by_hostname pivoted) ""; do
		[ -n "$p" ] && [ -e "/proc/$p/root/bin/busybox" ] && break
	done
	if need "a process with hostname pivoted (PID $p)" "no process runs with hostname pivoted (unshare --mount --uts ... pivot_root ...)" test -n "$p"; then
		need "its / is the rootfs" "its / is not the rootfs (/proc/$p/root/bin/busybox is missing, or the host's /etc/os-release is there)" \
			eval "[ -e /proc/$p/root/bin/busybox ] && [ ! -e /proc/$p/root/etc/os-release ]"
		need "it has its own mount namespace" "it shares the lab host's mount namespace (unshare --mount)" test "$(ns_of "$p" mnt)" != "$(ns_of 1 mnt)"
		need "the old root is gone from its mount namespace" "the old root is still mounted in its namespace (umount -l /.oldroot after pivot_root)" \
			test "$(grep -c . "/proc/$p/mountinfo")" -le 4
		need "it has its own /proc" "no /proc mounted inside it (mount -t proc proc /proc)" \
			eval "awk '\$5==\"/proc\"' /proc/$p/mountinfo | grep -q ' proc '"
	fi
	echo " overlay by hand:"
	if need "overlay mounted on \$LAB_DIR/ovl/merged" "no overlay mounted on $o/merged (mount -t overlay ...)" \
		eval "findmnt -n -t overlay '$o/merged'"; then
		need "lower layer is the rootfs" "the overlay's lowerdir is not \$ROOTFS" eval "findmnt -n -o OPTIONS '$o/merged' | grep -q 'lowerdir=$ROOTFS'"
		need "etc/motd was written (upper/etc/motd)" "no etc/motd in the upper layer (echo ... > merged/etc/motd)" test -f "$o/upper/etc/motd"
		need "www/index.html was deleted (a whiteout in upper/www)" "no whiteout for www/index.html in the upper layer (rm merged/www/index.html)" \
			eval "[ -c '$o/upper/www/index.html' ] && [ \"\$(stat -c %t:%T '$o/upper/www/index.html')\" = 0:0 ]"
	fi
	need "the rootfs itself is untouched" "the rootfs was changed: \$ROOTFS/etc/motd exists or \$ROOTFS/www/index.html is gone" \
		eval "[ ! -e '$ROOTFS/etc/motd' ] && [ -f '$ROOTFS/www/index.html' ]"
	echo " nsbox --overlay:"
	p=$(nsbox_pid layered)
	need "nsbox container layered runs" "no running nsbox container layered (nsbox run -d --name layered --overlay ...)" test -n "$p" || return 0
	need "layered's / is an overlay" "layered's / is not an overlay (nsbox run --overlay)" \
		eval "awk '\$5==\"/\"' /proc/$p/mountinfo | grep -q ' - overlay '"
	need "layered sees its change (/www/index.html says changed)" "layered's /www/index.html does not say changed" \
		grep -q changed "/proc/$p/root/www/index.html"
	need "the rootfs does not" "\$ROOTFS/www/index.html was changed too: the container wrote to the rootfs" \
		eval "! grep -q changed '$ROOTFS/www/index.html'"
}

# ---- lab 5: publishing a port (and lab 7's outside client)
# ext: a namespace playing "another machine", linked to the lab host by a veth: uplink
# 192.168.50.1/24 on the host, 192.168.50.2/24 in ext, and no route back to container subnets.
make_ext() {
	ip netns add ext
	ip -n ext link set lo up
	ip link add uplink type veth peer name eth0 netns ext
	ip addr add 192.168.50.1/24 dev uplink
	ip link set uplink up
	ip -n ext addr add 192.168.50.2/24 dev eth0
	ip -n ext link set eth0 up
}
setup_5() {
	set -e
	ip link add br0 type bridge
	ip addr add 10.0.0.1/24 dev br0
	ip link set br0 up
	for n in 1 2; do
		ip netns add c$n
		ip -n c$n link set lo up
		ip link add veth$n type veth peer name eth0 netns c$n
		ip link set veth$n master br0 up
		ip -n c$n addr add 10.0.0.$((n + 1))/24 dev eth0
		ip -n c$n link set eth0 up
		ip -n c$n route add default via 10.0.0.1
	done
	make_ext
	mkdir -p "$LAB_DIR/www"
	echo "hello from c1" >"$LAB_DIR/www/index.html"
	echo 0 >/proc/sys/net/ipv4/ip_forward
}
check_5() {
	echo " by hand (table ip lab):"
	need "c1 serves http on port 80" "nothing answers on http://10.0.0.2/ (ip netns exec c1 busybox httpd -p 80 -h \$LAB_DIR/www)" \
		http_from - http://10.0.0.2/ "hello from c1" && check_5_nat
	check_5_netd
}
check_5_nat() {
	need "IP forwarding is on" "IP forwarding is off in the lab host (echo 1 > /proc/sys/net/ipv4/ip_forward)" \
		test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1
	need "table ip lab" "no nftables table ip lab (nft add table ip lab)" nft list table ip lab || return 0
	need "from outside: http://192.168.50.1:8080/ reaches c1 (prerouting DNAT)" \
		"ext cannot reach http://192.168.50.1:8080/ (a dnat rule in a prerouting nat chain, and forwarding)" \
		http_from ext http://192.168.50.1:8080/ "hello from c1"
	need "route_localnet is on for br0" "net.ipv4.conf.br0.route_localnet is 0: packets from 127.0.0.1 may not leave through br0" \
		test "$(cat /proc/sys/net/ipv4/conf/br0/route_localnet)" = 1
	need "on the lab host: http://127.0.0.1:8080/ reaches c1 (output DNAT + route_localnet + masquerade)" \
		"http://127.0.0.1:8080/ does not reach c1 (a dnat rule in an output nat chain, route_localnet on br0, masquerade of 127.0.0.0/8 out of br0)" \
		http_from - http://127.0.0.1:8080/ "hello from c1"
	need "hairpin: c1 reaches its own published port at http://10.0.0.1:8080/" \
		"c1 cannot reach its own published port at http://10.0.0.1:8080/ (masquerade container-to-container traffic that was DNATed: ct status dnat; with br_netfilter, hairpin on veth1)" \
		http_from c1 http://10.0.0.1:8080/ "hello from c1"
	need "egress: c1 pings ext at 192.168.50.2 (masquerade)" \
		"c1 cannot ping 192.168.50.2: ext has no route back to 10.0.0.0/24 (masquerade 10.0.0.0/24 leaving through anything but br0)" \
		pings c1 192.168.50.2
}
check_5_netd() {
	echo " with netd:"
	need "network pub" "no netd network pub (netd network create pub --subnet 10.89.0.0/24)" netd network inspect pub || return 0
	need "w1 attached to pub with -p 9090:80" "w1 is not attached to pub with port 9090 published (netd attach pub --netns /run/netns/w1 --id w1 -p 9090:80)" \
		eval "netd ps --network pub | awk '\$1==\"w1\"' | grep -q ':9090->80/tcp'" || return 0
	need "port 9090 is one element of map pub_any" "tcp . 9090 is not in map pub_any of table ip netd" \
		eval "nft list map ip netd pub_any | grep -q 'tcp . 9090 :'"
	need "http://127.0.0.1:9090/ answers" "http://127.0.0.1:9090/ does not answer (is busybox httpd running in w1?)" http_from - http://127.0.0.1:9090/ "hello from c1"
	need "ext reaches http://192.168.50.1:9090/" "ext cannot reach http://192.168.50.1:9090/" http_from ext http://192.168.50.1:9090/ "hello from c1"
	need "hairpin: w1 reaches its own published port through the bridge" "w1 cannot reach http://10.89.0.1:9090/" \
		http_from w1 http://10.89.0.1:9090/ "hello from c1"
}

# ---- lab 6: CNI by hand
cni_check() { # ID NETNS PREVRESULT-FILE: the plugin's CHECK, with the conf + prevResult
	jq --slurpfile r "$3" '. + {prevResult: $r[0]}' "$NETCONFPATH/10-labnet.conf" |
		CNI_COMMAND=CHECK CNI_CONTAINERID=$1 CNI_NETNS=$2 CNI_IFNAME=eth0 netd-cni
}
check_6() {
	local conf=$NETCONFPATH/10-labnet.conf a r f
	echo " by hand (environment + JSON on stdin):"
	need "network config \$NETCONFPATH/10-labnet.conf (name labnet, type netd-cni)" \
		"no valid network config $conf with name labnet and type netd-cni" \
		eval "jq -e '.name == \"labnet\" and .type == \"netd-cni\"' '$conf'" || return 0
	if need "netns k1" "no network namespace k1 (ip netns add k1)" has_ns k1; then
		a=$(addr_of eth0 k1)
		need "k1 has eth0 ${a:-}" "k1 has no eth0 with an address in 10.22.0.0/24 (CNI_COMMAND=ADD ... netd-cni < $conf)" \
			eval "case '$a' in 10.22.0.*/24) true ;; *) false ;; esac"
		r=$LAB_DIR/k1-result.json
		need "ADD's result saved in \$LAB_DIR/k1-result.json" "no ADD result in $r (... netd-cni < conf | tee $r)" \
			eval "jq -e '.ips[0].address' '$r'"
		need "the result's address is k1's" "k1-result.json says $(jq -r '.ips[0].address' "$r" 2>/dev/null), k1's eth0 has ${a:-nothing}" \
			test "$(jq -r '.ips[0].address' "$r" 2>/dev/null)" = "$a"
		need "CHECK passes for k1" "CHECK fails for k1: $(cni_check k1 /run/netns/k1 "$r" 2>&1 | jq -r .msg 2>/dev/null)" \
			cni_check k1 /run/netns/k1 "$r"
	fi
	if need "netns k2" "no network namespace k2 (ip netns add k2)" has_ns k2; then
		need "k2 was added, then deleted: no eth0 left in it" "k2 still has an eth0 (CNI_COMMAND=DEL ...)" eval "! has_link eth0 k2"
		need "netd has no endpoint k2" "netd still has an endpoint k2 (CNI_COMMAND=DEL ...)" eval "! netd_has_ep labnet k2"
		need "a CHECK of k2 after tampering was tried (\$LAB_DIR/k2-check.err)" "no CHECK error saved in \$LAB_DIR/k2-check.err (step 4)" \
			eval "jq -e '.code and .msg' '$LAB_DIR/k2-check.err'"
	fi
	echo " with a real client (libcni):"
	if ! command -v cnirun >/dev/null; then
		echo "  skip     no cnirun in this lab (scripts/install-deps.sh installs what builds it)"
		return 0
	fi
	if need "netns k3" "no network namespace k3 (ip netns add k3)" has_ns k3; then
		a=$(addr_of eth0 k3)
		need "k3 has eth0 ${a:-}" "k3 has no eth0 in 10.22.0.0/24 (cnirun add labnet /run/netns/k3)" \
			eval "case '$a' in 10.22.0.*/24) true ;; *) false ;; esac"
		f=$(grep -l '/run/netns/k3' /var/lib/cni/results/labnet-* 2>/dev/null | head -1)
		need "libcni cached k3's result (${f:-})" "no libcni result cache for k3 in /var/lib/cni/results: was k3 added with cnirun?" test -n "$f"
	fi
}

# ---- lab 7: break it and fix it
setup_7() {
	set -e
	make_ext
	mkdir -p "$LAB_DIR/www"
	echo "hello from a" >"$LAB_DIR/www/index.html"
	netd network create web --subnet 10.90.0.0/24 >/dev/null
	for n in a b c; do
		ip netns add $n
		ip -n $n link set lo up
	done
	netd attach web --netns /run/netns/a --id a -p 8080:80 >/dev/null
	netd attach web --netns /run/netns/b --id b >/dev/null
	netd attach web --netns /run/netns/c --id c >/dev/null
	ip netns exec a busybox httpd -p 80 -h "$LAB_DIR/www"
	# the breakage: forwarding off, the ruleset flushed, a namespace deleted behind netd's back,
	# and an endpoint record lost (as if a crash or a careless rm took it): its veth leaks
	echo 0 >/proc/sys/net/ipv4/ip_forward
	nft flush ruleset
	ip netns del b
	rm -f "$NETD_STATE_DIR/networks/web/endpoints/c@eth0"
}
check_7() {
	local out
	out=$(netd doctor 2>&1)
	need "netd doctor finds nothing that fails" "netd doctor still says FAIL: $(printf '%s\n' "$out" | awk '/^\[FAIL\]/{print $2}' | paste -sd' ' -)" \
		eval "! printf '%s\n' \"\$out\" | grep -q '^\[FAIL\]'"
	need "IP forwarding is on" "IP forwarding is off (/proc/sys/net/ipv4/ip_forward)" test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1
	need "table ip netd is back" "table ip netd is missing (netd serve --once, or netd gc)" nft list table ip netd
	need "port 8080 is in map pub_any again" "tcp . 8080 is not in map pub_any" eval "nft list map ip netd pub_any | grep -q 'tcp . 8080 :'"
	need "ext reaches a's published port: http://192.168.50.1:8080/" "ext cannot reach http://192.168.50.1:8080/" \
		http_from ext http://192.168.50.1:8080/ "hello from a"
	need "http://127.0.0.1:8080/ answers" "http://127.0.0.1:8080/ does not answer" http_from - http://127.0.0.1:8080/ "hello from a"
	need "no endpoint left for the deleted namespace b" "netd still has endpoint b, whose namespace is gone (netd gc)" eval "! netd_has_ep web b"
	need "no leaked veth (c's, whose record was lost)" "the host end of c's veth is still there without a record (netd gc)" \
		eval "! ip -d -o link show | grep -q 'alias netd:web/c@eth0'"
	need "no leases without an endpoint" "leases without an endpoint remain: $(ls "$NETD_STATE_DIR/networks/web/ips" | paste -sd' ' -) (netd gc)" \
		test "$(ls "$NETD_STATE_DIR/networks/web/ips" 2>/dev/null | wc -l)" = 1
	need "a still works (endpoint a, 10.90.0.2)" "endpoint a is gone: gc must keep what is alive" netd_has_ep web a
}

# ---- lab 4: build docker0 by hand
check_4() {
	local n host_end
	echo " by hand:"
	if need "bridge br0" "no bridge br0 (ip link add br0 type bridge)" is_bridge br0; then
		need "br0 has 10.0.0.1/24" "bridge br0 has no address 10.0.0.1/24 (ip addr add)" has_addr br0 10.0.0.1/24
		need "br0 is up" "bridge br0 is down (ip link set br0 up)" is_up br0
	fi
	for n in 1 2; do
		need "netns c$n" "no network namespace c$n (ip netns add c$n)" has_ns c$n || continue
		need "c$n has eth0" "c$n has no eth0 (ip link add veth$n type veth peer name eth0 netns c$n)" has_link eth0 c$n || continue
		need "c$n's veth is on br0" "the host end of c$n's eth0 is not a port of br0 (ip link set veth$n master br0)" \
			test "$(peer_master c$n eth0)" = br0
		need "c$n eth0 has 10.0.0.$((n + 1))/24" "c$n eth0 has no address 10.0.0.$((n + 1))/24" has_addr eth0 10.0.0.$((n + 1))/24 c$n
		need "c$n eth0 and lo are up" "c$n: eth0 or lo is down (ip -n c$n link set eth0 up)" eval "is_up eth0 c$n && is_up lo c$n"
		# a port left down passes every check above, and only the ping would fail, unexplained
		host_end=$(peer_name c$n eth0)
		need "c$n's host end ${host_end:-?} is up" "the host end of c$n's eth0, ${host_end:-?}, is down (ip link set ${host_end:-veth$n} up)" \
			is_up "$host_end"
		need "c$n default route via 10.0.0.1" "c$n has no default route via 10.0.0.1" has_route_via c$n 10.0.0.1
	done
	need "c1 pings c2 (10.0.0.3)" "c1 cannot ping c2 at 10.0.0.3" pings c1 10.0.0.3
	need "c2 pings the bridge (10.0.0.1)" "c2 cannot ping the bridge at 10.0.0.1" pings c2 10.0.0.1
	echo " with netd:"
	need "network lab" "no netd network lab (netd network create lab --subnet 10.88.0.0/24)" netd network inspect lab || return 0
	for n in d1 d2; do
		need "netns $n attached to lab" "$n is not attached to network lab (ip netns add $n; netd attach lab --netns /run/netns/$n --id $n)" \
			eval "has_ns $n && netd_has_ep lab $n" || return 0
	done
	local ip2
	ip2=$(addr_of eth0 d2)
	need "d1 pings d2 (${ip2%/*})" "d1 cannot ping d2 (${ip2%/*})" pings d1 "${ip2%/*}"
}

# ---- lab 8: names
ns_resolves() { # NS FILE NAME: NAME as the C library of NS sees it with FILE as /etc/hosts
	ip netns exec "$1" unshare -m sh -c "mount --bind '$2' /etc/hosts && getent hosts '$3'" 2>/dev/null | awk '{print $1; exit}'
}
dns_answer() { # NS SERVER NAME: the A answer for NAME from SERVER, asked from netns NS
	ip netns exec "$1" busybox nslookup -type=A "$3" "$2" 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}'
}
ctr_answer() { # CTR NAME: the A answer for NAME inside nsbox container CTR (its resolv.conf)
	timeout 10 nsbox exec "$1" nslookup -type=A "$2" 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}'
}
check_8() {
	local web n3
	echo " by hand:"
	need "br0 has 10.0.0.1/24" "no bridge br0 with 10.0.0.1/24 (step 1)" has_addr br0 10.0.0.1/24 || return 0
	for n in 1 2; do
		need "n$n has 10.0.0.$((n + 1))" "n$n has no eth0 with 10.0.0.$((n + 1))/24 on br0 (step 1)" has_addr eth0 10.0.0.$((n + 1))/24 n$n
	done
	need "n1 finds n2 through \$LAB_DIR/hosts-n1" "n1 does not find n2 as 10.0.0.3 through \$LAB_DIR/hosts-n1 (step 2)" \
		test "$(ns_resolves n1 "$LAB_DIR/hosts-n1" n2)" = 10.0.0.3
	need "the server on 10.0.0.1 answers one (10.0.0.2)" "nothing on 10.0.0.1:53 answers one as 10.0.0.2 (step 3)" \
		test "$(dns_answer n2 10.0.0.1 one)" = 10.0.0.2
	need "...and two (10.0.0.3)" "the server on 10.0.0.1 does not answer two as 10.0.0.3 (add its line, kill -HUP)" \
		test "$(dns_answer n1 10.0.0.1 two)" = 10.0.0.3
	echo " with netd:"
	need "network names" "no netd network names (netd network create names --subnet 10.88.8.0/24)" netd network inspect names || return 0
	need "nsbox container web runs" "no running nsbox container web on network names (step 4)" test -n "$(nsbox_pid web)" || return 0
	web=$(sed -n 's/^ip=//p' "$NETD_STATE_DIR/nsbox/web/record" 2>/dev/null)
	need "web's alias www is its address ($web)" "www does not resolve to web's address inside web (--network-alias www)" \
		test "$(ctr_answer web www)" = "$web"
	need "web is reached by name: http://web/" "wget http://web/ from a container gets no page" \
		eval "timeout 10 nsbox exec web wget -qO- http://web/ 2>/dev/null | grep -q ."
	n3=$(addr_of eth0 n3)
	need "web finds probe (n3, ${n3%/*})" "web does not find probe as n3's address (netd attach names --netns /run/netns/n3 --id n3 --name probe)" \
		test -n "$n3" -a "$(ctr_answer web probe)" = "${n3%/*}"
}

holder() { # N (PID 1 of the lab)
	local n=$1 d=$LABS_RUN/$1
	# shellcheck disable=SC1091
	. "$d/env"
	mkdir -p /run/netns /var/lib/cni
	mount -t tmpfs lab /run/netns && mount -t tmpfs lab "$LAB_DIR" && mount -t tmpfs lab /var/lib/cni || {
		echo "mounts failed" >"$d/failed"
		exit 1
	}
	mkdir -p "$NETD_STATE_DIR" "$NETD_CONFIG_DIR" "$NETCONFPATH"
	cp -a "$LABS_RUN/rootfs" "$ROOTFS"
	ip link set lo up
	hostname "lab$n"
	cd "$LAB_DIR" || exit 1
	if declare -F "setup_$n" >/dev/null && ! ("setup_$n") >"$d/setup.log" 2>&1; then
		echo "setup of lab $n failed" >"$d/failed"
		cat "$d/setup.log"
		exit 1
	fi
	mkfifo "$d/hold"
	exec 3<>"$d/hold"
	rm -f "$d/hold"
	touch "$d/ready"
	# Wait, and reap the orphans of the lab (bash waits for any child on SIGCHLD); a lab lives
	# at most 24 h.
	for ((i = 0; i < 24; i++)); do
		read -r -t 3600 -u 3 _ || true
	done
}

inside() { # N ACTION ARGS...
	local n=$1 act=$2 d=$LABS_RUN/$1
	shift 2
	# shellcheck disable=SC1091
	. "$d/env"
	cd "$LAB_DIR" || exit 1
	case $act in
	shell)
		cat >"$d/bashrc" <<EOF
[ -f ~/.bashrc ] && . ~/.bashrc
. "$d/env"
cd "$LAB_DIR"
PS1='[lab $n] \w# '
echo "lab $n: $(lab_title "$n")"
echo "  a throwaway lab host: its own network, mount and PID namespaces; the machine's own network is untouched"
echo "  LAB_DIR=$LAB_DIR  ROOTFS=\$LAB_DIR/rootfs  netd, nsbox, netd-cni are on PATH"
echo "  the page: $(lab_doc "$n")    exit, then: scripts/lab.sh $n check"
EOF
		exec bash --rcfile "$d/bashrc" -i
		;;
	run) exec "$@" ;;
	check)
		echo "lab $n: $(lab_title "$n")"
		CHECK_MISSING=0
		"check_$n"
		if [ "$CHECK_MISSING" -eq 0 ]; then
			echo "lab $n: done"
		else
			echo "lab $n: $CHECK_MISSING thing(s) missing (see $(lab_doc "$n" | sed "s|^$TOP/||"))"
			exit 1
		fi
		;;
	solve)
		solution_script "$n" >"$d/solve.sh"
		bash -c '__show() { echo; sed "s/^/  \$ /"; }; set -eE; trap '\''echo "lab.sh: solve: this failed: $BASH_COMMAND" >&2'\'' ERR; . "$1"' \
			solve "$d/solve.sh" </dev/null
		;;
	__cleanup)
		local r
		for r in "$NETD_STATE_DIR"/nsbox/*/record; do
			[ -f "$r" ] && sed -n 's/^cgroup=[^:]*://p' "$r" >>"$d/cgroups"
		done
		if [ -d "$NETD_STATE_DIR/nsbox" ]; then
			for r in $(nsbox ps 2>/dev/null | awk 'NR>1{print $1}'); do
				timeout 15 nsbox stop -t 1 "$r" >/dev/null 2>&1
				timeout 15 nsbox rm "$r" >/dev/null 2>&1
			done
		fi
		declare -F "cleanup_$n" >/dev/null && "cleanup_$n"
		return 0
		;;
	*) die "unknown action $act" ;;
	esac
}

# ------------------------------------------------------------------------------ main

case ${1:-} in
__holder) holder "$2" ;;
__in)
	shift
	inside "$@"
	;;
list)
	for n in "${LABS[@]}"; do
		printf '%s  %s\n' "$n" "$(lab_title "$n")"
	done
	;;
all)
	shift
	all "$@"
	;;
[1-9])
	n=$1
	act=${2:-shell}
	shift 2 2>/dev/null || shift
	case $act in
	start) start "$n" ;;
	status) status "$n" ;;
	reset) reset "$n" ;;
	__remember) remember "$n" ;; # for tests: note the lab's netns and cgroups before a reset
	__leftovers)                 # ... and list what is still there after it
		leftovers "$n"
		rm -f "$LABS_RUN/$n.cgroups" "$LABS_RUN/$n.nsinodes"
		;;
	shell | check | solve | run)
		start "$n"
		enter "$n" "$act" "$@"
		;;
	*) die "unknown action $act (shell, check, solve, run, start, status, reset)" ;;
	esac
	;;
*)
	# the whole comment block at the top of this file, however long it grows
	awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$SELF"
	exit 2
	;;
esac
