#!/bin/bash
# nsbox hardening (issues 11, 12, 16), in a lab-host namespace:
# - no descriptor of nsbox's caller reaches the container, on every path (--init, -d, -t,
#   --explain, nsbox exec), and `nsbox run -d --init ... | cat` does not wait for the container;
# - the container's processes are killed from the whole of cgroup.procs, parsed strictly
#   (cgroup.kill, or the v1 freezer), in a private pid namespace where a host canary has the pid
#   that the old 4 KiB read cut a container pid down to; the container dies with its monitor
#   also under -u and --userns (the kernel clears the parent-death signal on a uid change);
# - a permission error is never taken for death (ps, stop, exec, rm as an unprivileged user);
# - damaged records are reported, never acted on (a cgroup line naming another cgroup);
# - empty parent nsbox cgroup dirs go with the last container; a missing ELF interpreter is
#   named; --version, --help of every verb, bash completion; stop says what it waits for.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

NSBOX=$BUILD/nsbox
nsbox() { timeout 30 "$NSBOX" "$@"; }
rec_pid() { sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
rec_monitor() { sed -n 's/^monitor=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
has_pid() { [ -n "$(rec_pid "$1")" ] && [ "$(rec_pid "$1")" != 0 ]; }
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
gone() { ! alive "$1"; }
nsbox_parents() { find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name nsbox 2>/dev/null | sort; }

# ---- the cgroup kill, in a private pid namespace (pids chosen through ns_last_pid) ----
# __pidns LAYOUT: LAYOUT v1 unmounts the hybrid layout's cgroup2 (the freezer path), hybrid
# keeps it (cgroup.kill). Prints TAP lines; the caller counts them.
if [ "${1:-}" = __pidns ]; then
	layout=$2
	if [ "$layout" = v1 ]; then
		if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
			umount /sys/fs/cgroup/unified || { not_ok "$layout: umount cgroup2"; finish; exit; }
		fi
		grep -q ' - cgroup2 ' /proc/self/mountinfo && { ok "$layout: skipped (pure cgroup2 host)"; finish; exit; }
	fi
	# the parents in use by others' containers, as this layout sees them (v1: no cgroup2)
	parents_seen=$(for p in $PARENTS_BEFORE; do [ -d "$p" ] && echo "$p"; done)
	echo 20000 >/proc/sys/kernel/ns_last_pid
	out=$(nsbox run -d --name many --network none "$ROOTFS" sh -c \
		'for i in $(seq 60); do sleep 1000 & done; echo forked; wait' 2>&1)
	check_eq "$layout: run -d many" many "$out"
	wait_until 50 grep -q forked "$NETD_STATE_DIR/nsbox/many/log"
	mapfile -t dirs < <(sed -n 's/^cgroup=v[12]://p' "$NETD_STATE_DIR/nsbox/many/record")
	# 720 host processes inside the container's cgroups, outside its pid namespace (as nsbox
	# exec's joiner is for a moment): only a kill from the cgroup reaches them
	(
		for d in "${dirs[@]}"; do echo $BASHPID >"$d/cgroup.procs"; done
		for i in $(seq 720); do "$ROOTFS/bin/busybox" sleep 1000 </dev/null >/dev/null 2>&1 & done
		echo $! >"$LAB_DIR/last-injected"
	)
	v1dir=""
	for d in "${dirs[@]}"; do [ -f "$d/tasks" ] && { v1dir=$d; break; }; done
	if [ "$layout" = v1 ]; then
		check "$layout: the container has a v1 freezer cgroup" \
			grep -q '/freezer/.*nsbox/many$' <<<"$(printf '%s\n' "${dirs[@]}")"
	fi
	procs=$(cat "$v1dir/cgroup.procs")
	n=$(grep -c . <<<"$procs")
	check "$layout: cgroup.procs holds $n pids, $(wc -c <<<"$procs") bytes (> 4 KiB)" \
		test "$(wc -c <<<"$procs")" -gt 4096
	# what a 4 KiB read cuts the list to: its last, partial line names a canary
	cut=$(head -c 4095 <<<"$procs")
	part=${cut##*$'\n'}
	canary=""
	if [ -n "$part" ] && [ "$part" -gt 1 ] && ! alive "$part"; then
		echo $((part - 1)) >/proc/sys/kernel/ns_last_pid
		"$ROOTFS/bin/busybox" sleep 1000 </dev/null >/dev/null 2>&1 &
		canary=$!
	fi
	check_eq "$layout: a canary outside the container has the cut pid" "$part" "$canary"
	check_eq "$layout: stop many" 0 "$(nsbox stop -t 0 many >/dev/null 2>&1; echo $?)"
	wait_until 30 gone "$(cat "$LAB_DIR/last-injected")"
	left=0
	for p in $procs; do alive "$p" && left=$((left + 1)); done
	check_eq "$layout: every process of the container's cgroups is gone" 0 "$left"
	check "$layout: the canary on the host survives" alive "$canary"
	check_eq "$layout: the container's cgroups are gone" "" \
		"$(find /sys/fs/cgroup -type d -path '*/nsbox/many' 2>/dev/null)"
	check_eq "$layout: the empty parent nsbox cgroups are gone" "$parents_seen" "$(nsbox_parents)"
	# (whatever is left dies with this pid namespace's PID 1, this shell)
	[ -n "$canary" ] && kill -9 "$canary" 2>/dev/null
	nsbox rm many >/dev/null 2>&1
	finish
	exit
fi

lab_enter "$@"
[ -x "$NSBOX" ] || { not_ok "no $NSBOX (make BUILD=... all)"; finish; exit 1; }
ROOTFS=$LAB_DIR/rootfs
"$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null || { not_ok "mkrootfs"; finish; exit 1; }
export ROOTFS LAB_DIR
BG=()
EVIL=""
cleanup_bg() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	# whatever a failed check left running: its monitor and PID 1 (from the record), its cgroups
	local r d
	for r in "$NETD_STATE_DIR"/nsbox/*/record; do
		[ -f "$r" ] || continue
		for p in $(sed -n 's/^\(monitor\|pid\)=//p' "$r"); do [ "$p" -gt 1 ] && kill -9 "$p" 2>/dev/null; done
		sleep 0.2
		for d in $(sed -n 's/^cgroup=v[12]://p' "$r"); do rmdir "$d" 2>/dev/null; done
	done
	if [ -n "$EVIL" ] && [ -d "$EVIL" ]; then
		for p in $(cat "$EVIL/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		sleep 0.2
		rmdir "$EVIL" 2>/dev/null
	fi
	wait 2>/dev/null
}
trap 'cleanup_bg; lab_exit' EXIT
# Empty parent dirs that older nsbox builds left on this machine's cgroup file systems: the
# checks below count parents, so start from none (a non-empty one belongs to a live container).
for d in $(nsbox_parents); do rmdir "$d" 2>/dev/null; done
PARENTS_BEFORE=$(nsbox_parents) # in use by containers of others
export PARENTS_BEFORE

# ---- issue 11: descriptors ----
exec 6>"$LAB_DIR/host-file" 7>&1
# (into a file: a leaked descriptor would keep a $(...) reading nsbox's output open)
nsbox run -d --init --name t3 --network none "$ROOTFS" sh -c \
	'echo written-from-inside >/proc/1/fd/6 2>/dev/null && echo LEAK; echo pid1: $(ls /proc/1/fd)
	 echo cmd:; exec sleep 1000' >"$LAB_DIR/t3.out" 2>&1
check_eq "run -d --init t3" t3 "$(cat "$LAB_DIR/t3.out")"
wait_until 50 grep -q '^cmd:' "$NETD_STATE_DIR/nsbox/t3/log"
log=$(cat "$NETD_STATE_DIR/nsbox/t3/log")
check_eq "--init -d: the host file behind the caller's fd 6 is not written" 0 "$(stat -c %s "$LAB_DIR/host-file")"
check_eq "--init -d: PID 1 (init) holds only 0 1 2" "pid1: 0 1 2" "$(grep '^pid1:' <<<"$log")"
p1=$(rec_pid t3)
check_eq "--init -d: the command (seen from the host) holds only 0 1 2" "0 1 2" \
	"$(ls "/proc/$(cat "/proc/$p1/task/$p1/children" | tr -d ' ')/fd" | sort -n | tr '\n' ' ' | sed 's/ $//')"
check_eq "nsbox exec: the caller's fd 6 does not arrive" "0 1 2" \
	"$(nsbox exec t3 sh -c 'ls /proc/$$/fd; true' | tr '\n' ' ' | sed 's/ $//')"
timeout 10 sh -c '"$0" run -d --init --name t4 --network none "$1" sleep 1000 | cat' "$NSBOX" "$ROOTFS" \
	>"$LAB_DIR/t4.out" 2>&1
check_eq "--init: a pipe's reader is not kept waiting (status, output)" "0 t4" "$? $(cat "$LAB_DIR/t4.out")"
fds() { tr -d '\r' | tr '\n' ' ' | sed 's/ $//'; }
check_eq "foreground --init: only 0 1 2" "0 1 2" \
	"$(nsbox run --init --network none "$ROOTFS" sh -c 'ls -1 /proc/1/fd' | fds)"
check_eq "foreground: only 0 1 2" "0 1 2" "$(nsbox run --network none "$ROOTFS" sh -c 'ls /proc/$$/fd; true' | fds)"
check_eq "-t --init: only 0 1 2" "0 1 2" "$(nsbox run -t --init --network none "$ROOTFS" sh -c 'ls -1 /proc/1/fd' | fds)"
check_eq "--explain=FILE --init: only 0 1 2" "0 1 2" \
	"$(nsbox run --init --explain="$LAB_DIR/x.sh" --network none "$ROOTFS" sh -c 'ls -1 /proc/1/fd' | fds)"
check_eq "--explain (stderr) --init: only 0 1 2" "0 1 2" \
	"$(nsbox run --init --explain --network none "$ROOTFS" sh -c 'ls /proc/1/fd' 2>/dev/null | fds)"
exec 6>&- 7>&-
nsbox stop -t 0 t3 >/dev/null 2>&1
nsbox stop -t 0 t4 >/dev/null 2>&1
nsbox rm t3 >/dev/null 2>&1
nsbox rm t4 >/dev/null 2>&1

# ---- issue 11: the cgroup kill (both layouts), in a private pid namespace each ----
for layout in hybrid v1; do
	unshare --pid --fork --mount-proc bash "$0" __pidns "$layout" >"$LAB_DIR/pidns.log" 2>&1
	cat "$LAB_DIR/pidns.log" | grep -E '^(ok|not ok) - ' | while read -r l; do echo "$l"; done
	T_PASS=$((T_PASS + $(grep -c '^ok - ' "$LAB_DIR/pidns.log")))
	T_FAIL=$((T_FAIL + $(grep -c '^not ok - ' "$LAB_DIR/pidns.log")))
	grep -q '^# .* passed' "$LAB_DIR/pidns.log" || { not_ok "$layout: pid namespace part did not finish"; tail -5 "$LAB_DIR/pidns.log" | sed 's/^/#   /'; }
done

# the container dies with its monitor also after a change of uid (-u, --userns)
for v in "pd:-u 1000:1000" "pdu:--userns"; do
	n=${v%%:*}
	# shellcheck disable=SC2086
	nsbox run -d --name "$n" --network none ${v#*:} "$ROOTFS" sleep 1000 >/dev/null 2>&1
	wait_until 50 has_pid "$n"
	cp=$(rec_pid "$n")
	kill -9 "$(rec_monitor "$n")"
	wait_until 30 gone "$cp"
	check "${v#*:}: kill -9 of nsbox ends the container" gone "$cp"
	nsbox rm "$n" >/dev/null 2>&1
done

# ---- issue 12: a permission error is never taken for death ----
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# (stderr apart: the first run says there that it turned IP forwarding on)
out=$(nsbox run -d --name web -p 8080:80 "$ROOTFS" httpd -f -p 80 2>"$LAB_DIR/run.err")
check_eq "run -d web" web "$out$(grep -v "turned on IP forwarding" "$LAB_DIR/run.err")"
wait_until 50 curl -sf -m 1 http://127.0.0.1:8080/
err=$(nobody "$NSBOX" ps 2>&1 >/dev/null)
rc=$?
check "ps without root: non-zero" test "$rc" -ne 0
check "ps without root: says it needs root" grep -q 'needs root' <<<"$err"
check_fails "ps without root: tears nothing down (no 'clean web')" grep -q 'clean' <<<"$err"
err=$(nobody "$NSBOX" stop web 2>&1)
rc=$?
check "stop without root: non-zero" test "$rc" -ne 0
check "stop without root: says it needs root" grep -q 'needs root' <<<"$err"
check_fails "stop without root: not called 'not running'" grep -q 'not running' <<<"$err"
check "exec without root: says it needs root" grep -q 'needs root' <<<"$(nobody "$NSBOX" exec web true 2>&1)"
check "rm without root: says it needs root" grep -q 'needs root' <<<"$(nobody "$NSBOX" rm web 2>&1)"
check "web still serves after all that" curl -sf -m 2 http://127.0.0.1:8080/
check "ps (root) still lists web" grep -qE '^web +[0-9]+ ' <<<"$(nsbox ps)"
check_eq "web's published port is still in the map" 1 "$(count_map_elements)"
check_eq "stop web (root)" 0 "$(nsbox stop -t 1 web >/dev/null 2>&1; echo $?)"
nsbox rm web >/dev/null 2>&1

# ---- issue 12: damaged records ----
mkstate() { # NAME FORMAT [ARG...]: a record (printf) whose nsbox is gone (its lock is free)
	local n=$1
	shift
	mkdir -p "$NETD_STATE_DIR/nsbox/$n"
	: >"$NETD_STATE_DIR/nsbox/$n/lock"
	# shellcheck disable=SC2059
	printf "$@" >"$NETD_STATE_DIR/nsbox/$n/record"
}
# a cgroup of somebody else, with a live process in it, named by a damaged record
EVIL=$(find /sys/fs/cgroup -maxdepth 1 -name pids -type d)/nsbox-test-evil-$$
mkdir -p "$EVIL"
"$ROOTFS/bin/busybox" sleep 1000 </dev/null >/dev/null 2>&1 &
victim=$!
BG+=("$victim")
echo "$victim" >"$EVIL/cgroup.procs"
mkstate evil 'name=evil\npid=0\nmonitor=0\nnet_mode=none\nnetwork=\nip=\nports=\nsince=1\ndetached=0\ncommand=x\ncgroup=v1:%s\n' "$EVIL"
mkstate garbage 'name=garbage\npid=12abc\nnet_mode=none\n'
mkstate fifo ''
rm "$NETD_STATE_DIR/nsbox/fifo/record" && mkfifo "$NETD_STATE_DIR/nsbox/fifo/record"
out=$(timeout 10 "$NSBOX" ps 2>"$LAB_DIR/ps.err")
rc=$?
check "ps with damaged records: exits 1 (not 0, and no hang)" test "$rc" = 1
check "ps: garbage shown as damaged" grep -qE '^garbage +- +damaged' <<<"$out"
check "ps: the error names the file and line, not its content" \
	bash -c "grep -q 'record $NETD_STATE_DIR/nsbox/garbage/record: line 2: pid' '$LAB_DIR/ps.err' && ! grep -q 12abc '$LAB_DIR/ps.err'"
check "ps: a FIFO as record is refused at once" grep -q 'fifo/record: not a regular file' "$LAB_DIR/ps.err"
check "ps: a cgroup line naming another cgroup is refused" grep -q 'evil/record: cgroup 1: not a cgroup dir of container evil' "$LAB_DIR/ps.err"
check "the process in that other cgroup lives" alive "$victim"
check "that other cgroup is still there" test -d "$EVIL"
check "damaged state stays until rm" test -d "$NETD_STATE_DIR/nsbox/garbage"
check "rm of a damaged record: removes its state dir" bash -c "'$NSBOX' rm garbage 2>/dev/null; [ ! -e '$NETD_STATE_DIR/nsbox/garbage' ]"
check "rm of the evil record: the other cgroup's process still lives" bash -c "'$NSBOX' rm evil 2>/dev/null; [ -d /proc/$victim ]"
timeout 10 "$NSBOX" rm fifo >/dev/null 2>&1
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
sleep 0.1
rmdir "$EVIL" 2>/dev/null && EVIL=""

# ---- issue 16 ----
cp /bin/true "$ROOTFS/dyn-true"
printf '#!/usr/bin/python3\nprint(1)\n' >"$ROOTFS/script.py"
chmod 755 "$ROOTFS/script.py"
err=$("$NSBOX" run --network none "$ROOTFS" /dyn-true 2>&1)
rc=$?
interp=$(readelf -l /bin/true 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
check_eq "a dynamic binary without its loader: 127" 127 "$rc"
check "... and the message names the missing ELF interpreter ($interp)" grep -q "ELF interpreter $interp is missing" <<<"$err"
check "--init: the same message" grep -q "ELF interpreter $interp is missing" <<<"$("$NSBOX" run --init --network none "$ROOTFS" /dyn-true 2>&1)"
check "a script whose #! interpreter is missing says so" grep -q "interpreter /usr/bin/python3 (the #! line) is missing" \
	<<<"$("$NSBOX" run --network none "$ROOTFS" /script.py 2>&1)"
nsbox run -d --name ex --network none "$ROOTFS" sleep 1000 >/dev/null
wait_until 50 has_pid ex
check "nsbox exec: the same message" grep -q "ELF interpreter $interp is missing" <<<"$("$NSBOX" exec ex /dyn-true 2>&1)"
nsbox stop -t 0 ex >/dev/null 2>&1
nsbox rm ex >/dev/null 2>&1

check "nsbox --version" grep -qE '^nsbox [0-9]+\.[0-9]+' <<<"$("$NSBOX" --version)"
for v in run ps exec stop logs rm; do
	out=$("$NSBOX" $v --help 2>&1)
	rc=$?
	check "nsbox $v --help: usage, exit 0" bash -c "[ $rc = 0 ] && grep -q '^usage: nsbox $v' <<<'${out//\'/}'"
done

COMP=$TOP/contrib/bash-completion/nsbox
complete_words() { # nsbox WORDS...: what completing the last word offers (nsbox: $NSBOX)
	NSBOX=$NSBOX bash -c 'source "$1"; shift; COMP_WORDS=("$NSBOX" "${@:2}"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; _nsbox; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
check "completion file exists" test -f "$COMP"
check_eq "completion: verbs" stop "$(complete_words nsbox s | tr '\n' ' ' | sed 's/ $//')"
check "completion: run options" grep -qx -- --network <<<"$(complete_words nsbox run --netw)"
nsbox run -d --name stopme --network none "$ROOTFS" sleep 1000 >/dev/null
wait_until 50 has_pid stopme
check "completion: names of running containers for stop" grep -qx stopme <<<"$(complete_words nsbox stop st)"

# stop: PID 1 without a SIGTERM handler is killed at once, and stop says why
t0=$(date +%s%N)
err=$("$NSBOX" stop stopme 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
check "stop of a PID 1 without SIGTERM handler takes < 3 s, not 10 ($ms ms)" test "$ms" -lt 3000
check "... and says why, and what --init does" bash -c "grep -q 'no SIGTERM handler' <<<'$err' && grep -q -- '--init' <<<'$err'"
check "ps: stopme exited(137)" grep -qE '^stopme +- +exited\(137\)' <<<"$(nsbox ps)"
nsbox rm stopme >/dev/null
nsbox run -d --init --name term --network none "$ROOTFS" sleep 1000 >/dev/null
wait_until 50 has_pid term
check_eq "stop --init: SIGTERM reaches the command, quietly" "" "$("$NSBOX" stop term 2>&1)"
check "ps: term exited(143)" grep -qE '^term +- +exited\(143\)' <<<"$(nsbox ps)"
nsbox rm term >/dev/null
nsbox run -d --name slow --network none "$ROOTFS" sh -c 'trap "sleep 5; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
wait_until 50 has_pid slow
sleep 0.3
err=$("$NSBOX" stop -t 2 slow 2>&1)
check "stop of a slow PID 1: says what it waits for" grep -q 'waiting up to 1 s more' <<<"$err"
check "... and when it escalates" grep -q 'still running after 2 s: SIGKILL' <<<"$err"
nsbox rm slow >/dev/null
check_eq "every nsbox parent cgroup is gone with the last container" "$PARENTS_BEFORE" "$(nsbox_parents)"
check_eq "no state left" "" "$(ls "$NETD_STATE_DIR/nsbox" 2>/dev/null)"

finish
