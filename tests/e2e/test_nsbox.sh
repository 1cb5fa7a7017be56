#!/bin/bash
# End-to-end tests of the nsbox runtime, in a lab-host namespace: the README's command serving a
# page through a published port (from the lab host and from an outside namespace), namespaces,
# PID 1, hostname, /proc, cgroup limits, privileges, exit codes, signals, --overlay, --read-only,
# --userns, --init, -d/ps/exec/stop/logs, bad input, and teardown leaving nothing behind.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
BG=()
cleanup_bg() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap 'cleanup_bg; lab_exit' EXIT

# run_rc CMD...: prints the exit code of CMD
run_rc() {
	"$@" >/dev/null 2>&1
	echo $?
}
# wait_until N CMD...: up to N tries, 100 ms apart
# the cgroup tree is the machine's: count only what appeared since this test began
CG_BEFORE=$(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort)
count_cgroups() {
	comm -13 <(printf '%s\n' "$CG_BEFORE") <(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort) |
		grep -c .
}
count_state() {
	find "$NETD_STATE_DIR/nsbox" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l
}
count_mounts() { # mounts of the lab that mention the rootfs or the state dir
	grep -cE "$ROOTFS|$NETD_STATE_DIR/nsbox" /proc/self/mountinfo
}
veths_settle() { # the kernel destroys the veth pair with the dying netns, in its own worker
	for _ in $(seq 40); do
		[ "$(count_veths)" = 0 ] && break
		sleep 0.05
	done
	count_veths
}
nothing_left() { # NAME: everything a container makes is gone
	check_eq "$1: no veths left (within 2 s)" 0 "$(veths_settle)"
	check_eq "$1: no leases left" 0 "$(count_leases)"
	check_eq "$1: no port claims left" 0 "$(count_claims)"
	check_eq "$1: no published-port map elements left" 0 "$(count_map_elements)"
	check_eq "$1: no cgroups left" 0 "$(count_cgroups)"
	check_eq "$1: no state left" 0 "$(count_state)"
	check_eq "$1: no mounts left" 0 "$(count_mounts)"
}
rec_pid() { # NAME -> the container's PID 1 as the host sees it
	sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null
}
has_pid() { [ -n "$(rec_pid "$1")" ]; }

# ---- bad input: one line, non-zero, nothing created ----
bad() { # NAME CMD...: fails with exactly one line on stderr
	local name=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ]; then
		ok "bad input: $name ($err)"
	else
		not_ok "bad input: $name: rc=$rc, stderr: $err"
	fi
}
bad "missing rootfs" "$NSBOX" run /nonexistent/rootfs true
bad "command not in rootfs" "$NSBOX" run "$ROOTFS" /bin/no-such-command
check_eq "command not in rootfs -> 127" 127 "$(run_rc "$NSBOX" run "$ROOTFS" no-such-command)"
bad "bad --memory" "$NSBOX" run --memory lots "$ROOTFS" true
bad "bad --cpus" "$NSBOX" run --cpus -1 "$ROOTFS" true
bad "bad --pids-limit" "$NSBOX" run --pids-limit 0 "$ROOTFS" true
bad "bad -p" "$NSBOX" run -p 99999:80 "$ROOTFS" true
bad "bad --name" "$NSBOX" run --name ../x "$ROOTFS" true
check "-w to a missing dir: made, as Docker does" "$NSBOX" run --network none --overlay -w /nonexistent "$ROOTFS" true
busybox nc -l -p 8085 >/dev/null 2>&1 &
BG+=("$!")
wait_until 20 sh -c 'ss -ltn | grep -q ":8085 "'
bad "busy port (a host listener)" "$NSBOX" run -p 8085:80 "$ROOTFS" true
nothing_left "after bad input"
check_eq "bad input created no bridge" 0 "$(ip -o link show type bridge | grep -c .)"
check_eq "bad input created no nft table" "" "$(nft list tables 2>/dev/null)"


# ---- the README's command: a web server on a published port ----
out=$(nsbox run -d --name web -p 8080:80 "$ROOTFS" httpd -f -p 80 2>"$LAB_DIR/web.err")
sed 's/^/# stderr: /' "$LAB_DIR/web.err" # (the first attach turned IP forwarding on, and says so)
check_eq "run -d prints the name" web "$out"
wait_until 30 curl -sf -m 1 http://127.0.0.1:8080/
page=$(curl -sS -m 2 http://127.0.0.1:8080/ 2>&1)
case $page in *"Hello from nsbox"*) ok "page served on 127.0.0.1:8080 from the lab host" ;;
*) not_ok "page on 127.0.0.1:8080: $page" ;; esac

# from an outside namespace: a client netns wired to the lab host
mkns ext
ip link add ext0 type veth peer name ext1 netns ext
ip addr add 10.99.0.1/24 dev ext0 && ip link set ext0 up
ip -n ext addr add 10.99.0.2/24 dev ext1 && ip -n ext link set ext1 up
ip -n ext route add default via 10.99.0.1
page=$(ip netns exec ext curl -sS -m 2 http://10.99.0.1:8080/ 2>&1)
case $page in *"Hello from nsbox"*) ok "page served to an outside namespace via 10.99.0.1:8080" ;;
*) not_ok "page from outside: $page" ;; esac
ip link del ext0

ps_out=$(nsbox ps)
check "ps lists web with its IP and port" grep -qE '^web +[0-9]+ +172\.[0-9.]+ +0\.0\.0\.0:8080->80/tcp' <<<"$ps_out"
check_eq "exec: hostname is the name" web "$(nsbox exec web hostname)"
check "exec: PID 1 is httpd" grep -q httpd <<<"$(nsbox exec web cat /proc/1/cmdline | tr "\\0" " ")"
check "exec: eth0 has the address ps shows" grep -q "$(awk '$1=="web"{print $3}' <<<"$ps_out")/" \
	<<<"$(nsbox exec web ip -4 addr show eth0)"
check_eq "exec: exit status passes through" 4 "$(run_rc nsbox exec web sh -c 'exit 4')"
pid=$(rec_pid web)
same=0
for ns in net pid mnt uts ipc cgroup; do
	[ "$(readlink /proc/"$pid"/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && same=$((same + 1))
done
check_eq "container has its own net, pid, mnt, uts, ipc and cgroup namespaces" 0 "$same"
check_eq "no user namespace without --userns" "$(readlink /proc/self/ns/user)" "$(readlink /proc/"$pid"/ns/user)"
check_eq "container root is the rootfs" "$(stat -c '%d %i' "$ROOTFS")" "$(stat -L -c '%d %i' /proc/"$pid"/root)"
check_fails "a second container cannot take the published port" nsbox run --network none -p 8080:80 "$ROOTFS" true
check_fails "a second container cannot take the name" nsbox run --name web --network none "$ROOTFS" true
check_eq "stop web" 0 "$(run_rc nsbox stop -t 1 web)"
check_fails "page gone after stop" curl -sf -m 1 http://127.0.0.1:8080/
# httpd as PID 1 has no SIGTERM handler: stop escalates to SIGKILL
check "ps: web exited (137), kept until rm" grep -qE '^web +- +exited\(137\)' <<<"$(nsbox ps)"
check_fails "exec into an exited container" nsbox exec web true
check_eq "rm web" 0 "$(run_rc nsbox rm web)"
nothing_left "after stop and rm"

# ---- what the inside looks like ----
check_eq "PID 1 inside" 1 "$(nsbox run --network none "$ROOTFS" sh -c 'echo $$')"
check_eq "--hostname" box1 "$(nsbox run --network none --hostname box1 "$ROOTFS" hostname)"
check_eq "/etc/hostname" box1 "$(nsbox run --network none --hostname box1 "$ROOTFS" cat /etc/hostname)"
nprocs=$(nsbox run --network none "$ROOTFS" sh -c 'c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo $c')
check_eq "isolated /proc: only the container's process" 1 "$nprocs"
check_eq "--network none: only lo" "lo" "$(nsbox run --network none "$ROOTFS" ls /sys/class/net)"
check_eq "-e and -w" "bar /www" "$(nsbox run --network none -e FOO=bar -w /www "$ROOTFS" sh -c 'echo $FOO $(pwd)')"
check_eq "-u 1000:1001" "1000 1001" "$(nsbox run --network none -u 1000:1001 "$ROOTFS" sh -c 'echo $(id -u) $(id -g)')"
status=$(nsbox run --network none "$ROOTFS" cat /proc/self/status)
check_eq "capability bounding set is Docker's default" 00000000a80425fb "$(awk '/^CapBnd/{print $2}' <<<"$status")"
check_eq "no_new_privs" 1 "$(awk '/^NoNewPrivs/{print $2}' <<<"$status")"
check_fails "/proc/sys is read-only" nsbox run --network none "$ROOTFS" sh -c 'echo 1 >/proc/sys/kernel/domainname'
check_fails "/sys is read-only" nsbox run --network none "$ROOTFS" touch /sys/x
# masked /proc files: those this kernel has read empty (timer_list is never empty on the host)
masked=""
for f in kcore keys timer_list sched_debug sysrq-trigger; do [ -e /proc/$f ] && masked="$masked /proc/$f"; done
check "/proc/timer_list has content on the host" test "$(wc -c </proc/timer_list)" -gt 0
check_eq "masked /proc files read empty:$masked" "" \
	"$(nsbox run --network none "$ROOTFS" sh -c "for f in $masked; do [ \$(wc -c <\$f) = 0 ] || echo \$f; done")"
devs=$(nsbox run --network none "$ROOTFS" sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c && ls /dev/pts/ptmx /dev/shm -d')
check_eq "/dev nodes, devpts, shm" "4 /dev/pts/ptmx /dev/shm" "$(tr "\n" " " <<<"$devs" | sed "s/ $//")"
check_eq "pivot_root: one mount on / (the old root is unmounted)" 1 "$(nsbox run --network none "$ROOTFS" awk '$5=="/"' /proc/self/mountinfo | grep -c .)"
check_eq "-t gives a terminal" "tty" "$(nsbox run --network none -t "$ROOTFS" sh -c '[ -t 1 ] && echo tty' | tr -d '\r')"
check_eq "-it: a pty of the container's own devpts, also /dev/console" "/dev/pts/0 /dev/console" \
	"$(nsbox run --network none -it "$ROOTFS" sh -c 'echo $(tty) $([ /dev/console -ef /dev/pts/0 ] && echo /dev/console)' </dev/null | tr -d '\r')"
check_eq "-t: exit status passes through" 6 "$(run_rc nsbox run --network none -t "$ROOTFS" sh -c 'exit 6')"

# ---- cgroups ----
check_eq "memory hog under --memory 32m is killed" "rc=137" \
	"$(nsbox run --network none --memory 32m "$ROOTFS" sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo rc=$?')"
check_eq "same allocation under --memory 256m survives" "rc=0" \
	"$(nsbox run --network none --memory 256m "$ROOTFS" sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo rc=$?')"
# a bounded fork bomb: 40 forks against --pids-limit 10; counting uses no forks
# (a subshell forks; ash gives up at the first failed fork; its sleeps stay, PID 1 counts them)
n=$(nsbox run --network none --pids-limit 10 "$ROOTFS" sh -c \
	'(for i in $(seq 40); do sleep 2 & done) 2>/dev/null; c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo $c')
if [ -n "$n" ] && [ "$n" -le 10 ] && [ "$n" -ge 5 ]; then ok "fork bomb stops at --pids-limit 10 ($n processes)"; else not_ok "fork bomb under --pids-limit 10: '$n' processes"; fi
n=$(nsbox run --network none --pids-limit 100 "$ROOTFS" sh -c \
	'(for i in $(seq 40); do sleep 2 & done) 2>/dev/null; c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo $c')
check_eq "the same 40 forks under --pids-limit 100 all run" 41 "$n"
nsbox run -d --name lim --network none --memory 48m --cpus 0.5 --pids-limit 77 "$ROOTFS" sleep 30 >/dev/null
limits=""
while read -r d; do
	for f in memory.limit_in_bytes memory.max cpu.cfs_quota_us cpu.max pids.max; do
		[ -f "$d/$f" ] && limits="$limits $f=$(cat "$d/$f")"
	done
done < <(sed -n 's/^cgroup=v[12]://p' "$NETD_STATE_DIR/nsbox/lim/record")
case $limits in *"=50331648"*) ok "memory limit in the container's cgroup" ;; *) not_ok "memory limit: $limits" ;; esac
case $limits in *"cpu.cfs_quota_us=50000"* | *"cpu.max=50000 100000"*) ok "cpu limit in the container's cgroup" ;; *) not_ok "cpu limit: $limits" ;; esac
case $limits in *"pids.max=77"*) ok "pids limit in the container's cgroup" ;; *) not_ok "pids limit: $limits" ;; esac
check "cgroup namespace: the container sees its cgroup as /" grep -qE '^[0-9]+:[^:]*memory[^:]*:/$' <<<"$(nsbox exec lim cat /proc/self/cgroup)"
nsbox stop -t 0 lim >/dev/null
nsbox rm lim >/dev/null

# ---- exit codes and signals ----
check_eq "exit 3 -> 3" 3 "$(run_rc nsbox run --network none "$ROOTFS" sh -c 'exit 3')"
check_eq "--init: kill -9 of the command -> 137" 137 "$(run_rc nsbox run --network none --init "$ROOTFS" sh -c 'kill -9 $$')"
check_eq "--init: the command is PID 2 under a PID 1" "2" "$(nsbox run --network none --init "$ROOTFS" sh -c 'echo $$')"
"$NSBOX" run --name k9 --network none "$ROOTFS" sleep 30 >/dev/null 2>&1 &
bgp=$!
BG+=("$bgp")
wait_until 50 has_pid k9
kill -9 "$(rec_pid k9)" 2>/dev/null
wait "$bgp"
check_eq "PID 1 killed by SIGKILL -> 137" 137 "$?"
"$NSBOX" run --name sig --network none "$ROOTFS" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null 2>&1 &
bgp=$!
BG+=("$bgp")
wait_until 50 nsbox exec sig true
kill -TERM "$bgp"
wait "$bgp"
check_eq "SIGTERM to nsbox reaches PID 1 (its trap exits 42)" 42 "$?"
"$NSBOX" run --name sig2 --init --network none "$ROOTFS" sleep 30 >/dev/null 2>&1 &
bgp=$!
BG+=("$bgp")
wait_until 50 nsbox exec sig2 true
kill -INT "$bgp"
wait "$bgp"
check_eq "SIGINT to nsbox --init reaches the command -> 130" 130 "$?"

# ---- filesystems ----
before=$(cd "$ROOTFS" && find . -printf '%p %s %m %T@\n' | sort | md5sum)
out=$(nsbox run --network none --overlay "$ROOTFS" sh -c 'echo changed >/www/index.html && rm /bin/ls && touch /newfile && cat /www/index.html')
check_eq "--overlay: the container sees its writes" changed "$out"
check_eq "--overlay: the rootfs is unchanged" "$before" "$(cd "$ROOTFS" && find . -printf '%p %s %m %T@\n' | sort | md5sum)"
check_fails "--read-only: / is not writable" nsbox run --network none --read-only "$ROOTFS" touch /newfile
check "--read-only: /dev/shm still is" nsbox run --network none --read-only "$ROOTFS" touch /dev/shm/x
check_eq "--userns: container root is host uid 100000" "0 0 100000 65536" \
	"$(nsbox run --network none --userns "$ROOTFS" sh -c 'echo $(id -u) $(cat /proc/self/uid_map)')"
check "--userns --overlay: root can write" nsbox run --network none --userns --overlay "$ROOTFS" touch /x

# ---- -d, logs, exec into a user namespace ----
nsbox run -d --name bg --userns --network none "$ROOTFS" sh -c 'echo started; exec sleep 30' >/dev/null
wait_until 30 grep -q started "$NETD_STATE_DIR/nsbox/bg/log"
check_eq "logs of a detached container" started "$(nsbox logs bg)"
check_eq "exec joins the user namespace" "0" "$(nsbox exec bg id -u)"
check_eq "stop bg" 0 "$(run_rc nsbox stop -t 0 bg)"
check_eq "logs after the container ended" started "$(nsbox logs bg)"
nsbox run -d --name bg --network none "$ROOTFS" sh -c 'echo second' >/dev/null
wait_until 30 grep -q '^exit=' "$NETD_STATE_DIR/nsbox/bg/record"
check_eq "an exited -d container's name can be reused (fresh log)" second "$(nsbox logs bg)"
check "ps: exit status of a -d container" grep -qE '^bg +- +exited\(0\)' <<<"$(nsbox ps)"
nsbox rm bg >/dev/null

# ---- network: the default network, /etc/hosts ----
hosts=$(nsbox run --name h1 "$ROOTFS" cat /etc/hosts)
check "/etc/hosts has the container's address and name" grep -qE '^172\.[0-9.]+\s+h1$' <<<"$hosts"
check "/etc/hosts has the gateway" grep -qE '^172\.[0-9.]+\.1\s+host.nsbox.internal' <<<"$hosts"
# (no --name: no name server of the network; test_dns.sh has the rest of the rule)
check_eq "/etc/resolv.conf: the host's IPv4 name servers, without loopback ones" \
	"$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./' /etc/resolv.conf | head -3)" \
	"$(nsbox run "$ROOTFS" cat /etc/resolv.conf | grep '^nameserver')"
check_eq "-e KEY passes nsbox's own value" "v1" "$(NSBOX_T_VAR=v1 nsbox run --network none -e NSBOX_T_VAR "$ROOTFS" sh -c 'echo $NSBOX_T_VAR')"
check_eq "no host environment leaks in" "" "$(NSBOX_T_VAR=v1 nsbox run --network none "$ROOTFS" sh -c 'echo $NSBOX_T_VAR')"
check "container reaches the gateway" nsbox run "$ROOTFS" sh -c 'ping -c1 -W2 $(ip route | awk "/default/{print \$3}")'
check "--network host: the lab's interfaces" grep -q netd0 <<<"$(nsbox run --network host "$ROOTFS" ls /sys/class/net)"

# ---- kill -9 of nsbox itself: the container dies with it; gc and ps clean the rest ----
"$NSBOX" run --name orphan -p 8090:80 "$ROOTFS" httpd -f -p 80 >/dev/null 2>&1 &
bgp=$!
BG+=("$bgp")
wait_until 50 curl -sf -m 1 http://127.0.0.1:8090/
cpid=$(rec_pid orphan)
kill -9 "$bgp"
wait "$bgp" 2>/dev/null
gone() { # PID: no such process, or a zombie nobody reaps
	[ ! -d "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
wait_until 50 gone "$cpid"
check "kill -9 of nsbox: the container dies too" gone "$cpid"
if [ -f "$BUILD/netd" ] && [ -x "$BUILD/netd" ]; then
	"$BUILD/netd" gc >/dev/null 2>&1
	check_eq "after netd gc: no veths" 0 "$(count_veths)"
	check_eq "after netd gc: no leases" 0 "$(count_leases)"
	check_eq "after netd gc: no port claims" 0 "$(count_claims)"
	check_eq "after netd gc: no map elements" 0 "$(count_map_elements)"
fi
nsbox ps >/dev/null
nothing_left "after kill -9 of nsbox and nsbox ps"

finish
