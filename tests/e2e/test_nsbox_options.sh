#!/bin/bash
# nsbox runs real applications with Docker's default confinement (issue 18), in a lab host:
# a web server serves a file from a -v directory and cannot write a :ro one; mounts never touch
# the rootfs under --overlay/--read-only; a syscall Docker's default filter blocks fails with
# EPERM and works with seccomp=unconfined or --privileged; a JSON profile; --cap-drop ALL takes
# CAP_NET_RAW (ping fails); -u by name with supplementary groups, never from the host's passwd;
# --restart on-failure:2 restarts exactly twice; --rm leaves nothing; wait, inspect, env-file,
# add-host, dns, workdir, --explain, and bad input refused before anything exists.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
echo 'audio:x:29:www-data,daemon' >>"$ROOTFS/etc/group"
rec_pid() { sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
has_pid() { [ -n "$(rec_pid "$1")" ] && [ "$(rec_pid "$1")" != 0 ]; }
snapshot() { (cd "$ROOTFS" && find . -printf '%p %s %m %T@\n' | sort | md5sum); }
cleanup() {
	local r p
	for r in "$NETD_STATE_DIR"/nsbox/*/record; do
		[ -f "$r" ] || continue
		for p in $(sed -n 's/^\(monitor\|pid\)=//p' "$r"); do [ "$p" -gt 1 ] && kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for r in "$NETD_STATE_DIR"/nsbox/*/record; do
		[ -f "$r" ] || continue
		for d in $(sed -n 's/^cgroup=v[12]://p' "$r"); do rmdir "$d" 2>/dev/null; done
	done
}
trap 'cleanup; lab_exit' EXIT

VOL=$LAB_DIR/vol
RW=$LAB_DIR/rw
mkdir -p "$VOL" "$RW"
echo "<h1>from a volume</h1>" >"$VOL/index.html"
echo "app-config" >"$LAB_DIR/app.conf"
before=$(snapshot)

# ---- -v: a web server serves a file from a -v directory, and cannot write a :ro one ----
out=$(nsbox run -d --name web -p 8080:80 -v "$VOL:/srv:ro" -v "$RW:/rw" \
	-v "$LAB_DIR/app.conf:/etc/app.conf:ro" "$ROOTFS" httpd -f -p 80 -h /srv 2>"$LAB_DIR/run.err")
# (the first run says on stderr that it turned IP forwarding on)
check_eq "run -d web with -v" web "$out$(grep -v "turned on IP forwarding" "$LAB_DIR/run.err")"
wait_until 50 curl -sf -m 1 http://127.0.0.1:8080/
check_eq "the page comes from the -v directory" "<h1>from a volume</h1>" "$(curl -sS -m 2 http://127.0.0.1:8080/ 2>&1)"
check "a :ro directory cannot be written" bash -c "! '$NSBOX' exec web sh -c 'echo x >/srv/new' 2>/dev/null && [ ! -e '$VOL/new' ]"
check "... the kernel says read-only" grep -q 'Read-only file system' <<<"$(nsbox exec web sh -c 'echo x >/srv/new' 2>&1)"
check "a rw -v directory is written through to the host" bash -c "'$NSBOX' exec web sh -c 'echo hi >/rw/out' && [ \"\$(cat '$RW/out')\" = hi ]"
check_eq "a file -v, read-only" "app-config" "$(nsbox exec web cat /etc/app.conf)"
check_fails "a file -v :ro cannot be written" nsbox exec web sh -c 'echo x >/etc/app.conf'
check "nsbox exec keeps Docker's filter: unshare -U fails" bash -c "! '$NSBOX' exec web unshare -U true 2>/dev/null"
nsbox stop -t 1 web >/dev/null 2>&1
nsbox rm web >/dev/null 2>&1
check_eq "-v mount points were made in the rootfs (no --overlay): /srv /rw /etc/app.conf exist" "yes" \
	"$([ -d "$ROOTFS/srv" ] && [ -d "$ROOTFS/rw" ] && [ -f "$ROOTFS/etc/app.conf" ] && echo yes)"
rmdir "$ROOTFS/srv" "$ROOTFS/rw" && rm "$ROOTFS/etc/app.conf"
before=$(snapshot)
check_eq "--overlay: a -v into a new dir" volfile-ok "$(echo volfile-ok >"$VOL/v.txt"; nsbox run --network none --overlay -v "$VOL:/new/mnt:ro" "$ROOTFS" cat /new/mnt/v.txt)"
check_eq "--read-only: a -v and a --tmpfs into new dirs" "volfile-ok tmp-ok" \
	"$(nsbox run --network none --read-only -v "$VOL:/other:ro" --tmpfs /scratch "$ROOTFS" sh -c 'cat /other/v.txt; echo x >/scratch/y && echo tmp-ok' | tr '\n' ' ' | sed 's/ $//')"
check_fails "--read-only with mounts: the root is still read-only" nsbox run --network none --read-only --tmpfs /t "$ROOTFS" touch /newfile
check_eq "--overlay/--read-only mounts left the rootfs untouched" "$before" "$(snapshot)"
check_eq "--tmpfs size and options" "1024 nosuid,nodev,noexec" \
	"$(nsbox run --network none --tmpfs /t:size=1m "$ROOTFS" sh -c 'echo $(df -k /t | awk "NR==2{print \$2}") $(awk "\$2==\"/t\"{print \$4}" /proc/mounts | tr , "\n" | grep -E "^no(suid|dev|exec)$" | tr "\n" , | sed "s/,\$//")')"
check_eq "--mount type=tmpfs,tmpfs-mode" "700" "$(nsbox run --network none --mount type=tmpfs,target=/t,tmpfs-mode=0700 "$ROOTFS" stat -c %a /t)"
check_fails "--mount type=bind,readonly cannot be written" nsbox run --network none --mount "type=bind,source=$VOL,target=/m,readonly" "$ROOTFS" touch /m/x
check_eq "--mount type=bind (rw)" "written" "$(nsbox run --network none --overlay --mount "type=bind,src=$RW,dst=/m" "$ROOTFS" sh -c 'echo written >/m/w'; cat "$RW/w")"

# ---- seccomp ----
check "default filter: unshare -U fails" grep -q 'Operation not permitted' <<<"$(nsbox run --network none "$ROOTFS" unshare -U true 2>&1)"
check "default filter: unshare -U fails with EPERM (an errno, not a kill)" test "$(nsbox run --network none "$ROOTFS" sh -c 'unshare -U true 2>/dev/null; echo $?')" = 1
check "seccomp=unconfined: unshare -U works" nsbox run --network none --security-opt seccomp=unconfined "$ROOTFS" unshare -U true
check "--privileged: unshare -U works" nsbox run --network none --privileged "$ROOTFS" unshare -U true
check "--privileged: mount works (CAP_SYS_ADMIN, no filter)" nsbox run --network none --privileged "$ROOTFS" mount -t tmpfs none /tmp
check_fails "default: mount fails" nsbox run --network none "$ROOTFS" mount -t tmpfs none /tmp
check_eq "default: Seccomp mode 2 in /proc/self/status" 2 "$(nsbox run --network none "$ROOTFS" awk '/^Seccomp:/{print $2}' /proc/self/status)"
check_eq "unconfined: Seccomp 0" 0 "$(nsbox run --network none --security-opt seccomp=unconfined "$ROOTFS" awk '/^Seccomp:/{print $2}' /proc/self/status)"
cat >"$LAB_DIR/profile.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
     "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}
  ]
}
EOF
check "seccomp=PROFILE.json: mkdir gets its errnoRet (EACCES)" grep -q 'Permission denied' \
	<<<"$(nsbox run --network none --overlay --security-opt seccomp="$LAB_DIR/profile.json" "$ROOTFS" mkdir /x 2>&1)"
check "seccomp=PROFILE.json: args: chmod 777 refused, chmod 755 allowed" \
	nsbox run --network none --overlay --security-opt seccomp="$LAB_DIR/profile.json" "$ROOTFS" sh -c '! chmod 777 /tmp 2>/dev/null && chmod 755 /tmp'
check "seccomp=PROFILE.json: unshare -U allowed by that profile" \
	nsbox run --network none --security-opt seccomp="$LAB_DIR/profile.json" "$ROOTFS" unshare -U true

# ---- capabilities ----
check "default caps: ping reaches the gateway" nsbox run "$ROOTFS" sh -c 'ping -c1 -W2 $(ip route | awk "/default/{print \$3}")'
err=$(nsbox run --cap-drop ALL "$ROOTFS" sh -c 'ping -c1 -W2 $(ip route | awk "/default/{print \$3}")' 2>&1)
rc=$?
check "--cap-drop ALL: ping fails (no CAP_NET_RAW)" test "$rc" -ne 0
check "--cap-drop ALL: the bounding set is empty" grep -q 'CapBnd:.0000000000000000' <<<"$(nsbox run --network none --cap-drop ALL "$ROOTFS" cat /proc/self/status)"
check_fails "--cap-drop NET_RAW: ping fails" nsbox run --cap-drop NET_RAW "$ROOTFS" sh -c 'ping -c1 -W2 $(ip route | awk "/default/{print \$3}")'
check_eq "--cap-drop ALL --cap-add NET_RAW: only CAP_NET_RAW" 0000000000002000 \
	"$(nsbox run --network none --cap-drop ALL --cap-add NET_RAW "$ROOTFS" awk '/^CapEff/{print $2}' /proc/self/status)"
check "--cap-add NET_ADMIN: ip link changes work" nsbox run --network none --cap-add NET_ADMIN "$ROOTFS" ip link set lo mtu 1400
check_fails "without NET_ADMIN they do not" nsbox run --network none "$ROOTFS" ip link set lo mtu 1400
check_eq "--privileged: every capability nsbox has" "$(awk '/^CapBnd/{print $2}' /proc/self/status)" \
	"$(nsbox run --network none --privileged "$ROOTFS" awk '/^CapBnd/{print $2}' /proc/self/status)"
check_eq "--privileged: no_new_privs off" 0 "$(nsbox run --network none --privileged "$ROOTFS" awk '/^NoNewPrivs/{print $2}' /proc/self/status)"
check_eq "--security-opt no-new-privileges=false" 0 "$(nsbox run --network none --security-opt no-new-privileges=false "$ROOTFS" awk '/^NoNewPrivs/{print $2}' /proc/self/status)"
check_eq "... with the default filter still on" 2 "$(nsbox run --network none --security-opt no-new-privileges=false "$ROOTFS" awk '/^Seccomp:/{print $2}' /proc/self/status)"

# ---- users ----
check_eq "-u www-data: uid, gid and supplementary groups from the rootfs" "uid=33(www-data) gid=33(www-data) groups=29(audio),33(www-data)" \
	"$(nsbox run --network none -u www-data "$ROOTFS" id)"
check_eq "-u www-data:nogroup" "33 65534" "$(nsbox run --network none -u www-data:nogroup "$ROOTFS" sh -c 'echo $(id -u) $(id -g)')"
check_eq "-u 33 finds www-data's group and home" "33 33 /var/www" "$(nsbox run --network none -u 33 "$ROOTFS" sh -c 'echo $(id -u) $(id -g) $HOME')"
check_eq "-u 1000:1001 (not in passwd)" "1000 1001" "$(nsbox run --network none -u 1000:1001 "$ROOTFS" sh -c 'echo $(id -u) $(id -g)')"
check_eq "root: none of the host's supplementary groups" "0" "$(setpriv --groups 4,27 -- "$NSBOX" run --network none "$ROOTFS" id -G)"
check "-u nosuchuser: refused" grep -q 'no user nosuchuser in' <<<"$(nsbox run --network none -u nosuchuser "$ROOTFS" true 2>&1)"
EVIL=$LAB_DIR/evil-rootfs
cp -a "$ROOTFS" "$EVIL"
ln -sf ../../../../../../../../etc/passwd "$EVIL/etc/passwd"
check_fails "a rootfs whose /etc/passwd leads out of it: the host's users are not found (_apt)" nsbox run --network none -u _apt "$EVIL" true
check_eq "-w is made when missing" "/a/b/c" "$(nsbox run --network none --overlay -w /a/b/c "$ROOTFS" pwd)"

# ---- restart, rm, wait, inspect ----
: >"$RW/count"
nsbox run -d --name rs --network none --restart on-failure:2 -v "$RW:/rw" "$ROOTFS" sh -c 'echo run >>/rw/count; exit 3' >/dev/null
check_eq "wait prints the exit status" 3 "$(nsbox wait rs)"
check_eq "--restart on-failure:2 restarts exactly twice (3 runs)" 3 "$(grep -c run "$RW/count")"
ins=$(nsbox inspect rs)
check "inspect: JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$ins"
check_eq "inspect: RestartCount 2, ExitCode 3, policy" "2 3 on-failure:2" \
	"$(python3 -c 'import json,sys; o=json.loads(sys.argv[1])[0]; print(o["State"]["RestartCount"], o["State"]["ExitCode"], o["RestartPolicy"]["Name"])' "$ins")"
check_eq "inspect: the -v mount in Config" "$RW /rw" \
	"$(python3 -c 'import json,sys; m=json.loads(sys.argv[1])[0]["Config"]["Mounts"][0]; print(m["Source"], m["Destination"])' "$ins")"
nsbox rm rs >/dev/null
: >"$RW/count"
nsbox run -d --name ok0 --network none --restart on-failure -v "$RW:/rw" "$ROOTFS" sh -c 'echo run >>/rw/count; exit 0' >/dev/null
check_eq "on-failure: no restart after exit 0" "0 1" "$(nsbox wait ok0) $(grep -c run "$RW/count")"
nsbox rm ok0 >/dev/null
nsbox run -d --name al --network none --restart always "$ROOTFS" sh -c 'sleep 0.2' >/dev/null
sleep 1.5
check "--restart always: it was restarted" test "$(sed -n 's/^restarts=//p' "$NETD_STATE_DIR/nsbox/al/record")" -ge 2
check_eq "nsbox stop ends the supervisor" 0 "$(nsbox stop -t 1 al >/dev/null 2>&1; echo $?)"
check "... and it stays stopped" bash -c "sleep 0.5; ! grep -q . <<<\"\$('$NSBOX' ps | awk '\$1==\"al\" && \$2!=\"-\"')\""
nsbox rm al >/dev/null
nsbox run -d --rm --name rmme -p 8082:80 "$ROOTFS" sh -c 'sleep 0.3' >/dev/null
wait_until 50 test ! -e "$NETD_STATE_DIR/nsbox/rmme"
check_eq "--rm -d: no state left" "" "$(ls "$NETD_STATE_DIR/nsbox" 2>/dev/null | grep rmme)"
check_eq "--rm -d: no lease, claim or map element left" "0 0" "$(count_leases) $(count_map_elements)"
check_eq "--rm -d: no cgroup left" "" "$(find /sys/fs/cgroup -type d -path '*/nsbox/rmme' 2>/dev/null)"

# ---- /etc files, environment ----
printf '# comment\nA=1\n\nB=two words\nC\n' >"$LAB_DIR/env"
check_eq "--env-file" "1|two words|from-env" "$(C=from-env nsbox run --network none --env-file "$LAB_DIR/env" "$ROOTFS" sh -c 'echo "$A|$B|$C"')"
hosts=$(nsbox run --network none --add-host db:10.1.2.3 --add-host v6:[fd00::1] "$ROOTFS" cat /etc/hosts)
check "--add-host NAME:IP in /etc/hosts" grep -qx $'10.1.2.3\tdb' <<<"$hosts"
check "--add-host NAME:[IPv6]" grep -qx $'fd00::1\tv6' <<<"$hosts"
check_eq "--dns and --dns-search replace the host's" "search corp.example lab.example|nameserver 192.0.2.53" \
	"$(nsbox run --network none --dns 192.0.2.53 --dns-search corp.example --dns-search lab.example "$ROOTFS" sh -c 'grep -E "^(nameserver|search)" /etc/resolv.conf | paste -sd "|"')"

# ---- --explain ----
nsbox run --network none --explain="$LAB_DIR/x.sh" -u www-data -v "$VOL:/v:ro" --tmpfs /t "$ROOTFS" true
check "explain: the seccomp step, naming the filter" grep -q '^# seccomp: filter "default" (' "$LAB_DIR/x.sh"
check "explain: the bind mount" grep -q "^mount -o rbind $VOL $ROOTFS/v$" "$LAB_DIR/x.sh"
check "explain: read-only" grep -q "^mount -o remount,bind,ro $ROOTFS/v$" "$LAB_DIR/x.sh"
check "explain: the tmpfs" grep -q "^mount -t tmpfs -o nosuid,nodev,noexec,mode=1777 tmpfs $ROOTFS/t$" "$LAB_DIR/x.sh"
check "explain: the user and its groups" grep -q '^# user www-data: setgroups(33,29), setresgid(33), setresuid(33)' "$LAB_DIR/x.sh"
check "explain: capabilities" grep -q "^# capabilities (bounding, permitted, effective): Docker's default list" "$LAB_DIR/x.sh"
check "explain: --privileged says what it drops" grep -q '^# seccomp: none (unconfined)' \
	<<<"$(nsbox run --network none --privileged --explain "$ROOTFS" true 2>&1)"

# ---- bad input: one line, nothing created ----
bad() { # NAME CMD...
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
rm -rf "$NETD_STATE_DIR/nsbox"
cg_before=$(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort)
bad "-v with a relative host path" "$NSBOX" run -v vol:/x "$ROOTFS" true
bad "-v with a missing source" "$NSBOX" run -v /nonexistent:/x "$ROOTFS" true
bad "-v onto /" "$NSBOX" run -v "$VOL:/" "$ROOTFS" true
bad "-v with .. in CTR" "$NSBOX" run -v "$VOL:/a/../etc" "$ROOTFS" true
bad "-v twice onto one path" "$NSBOX" run -v "$VOL:/x" -v "$RW:/x" "$ROOTFS" true
bad "--mount type=volume" "$NSBOX" run --mount type=volume,target=/x "$ROOTFS" true
bad "--mount with an unknown key" "$NSBOX" run --mount type=bind,source=$VOL,target=/x,foo=1 "$ROOTFS" true
bad "--tmpfs with a bad size" "$NSBOX" run --tmpfs /t:size=lots "$ROOTFS" true
bad "--restart bogus" "$NSBOX" run --restart sometimes "$ROOTFS" true
bad "--rm with --restart" "$NSBOX" run --rm --restart always "$ROOTFS" true
bad "--cap-add NOPE" "$NSBOX" run --cap-add NOPE "$ROOTFS" true
bad "--security-opt apparmor" "$NSBOX" run --security-opt apparmor=unconfined "$ROOTFS" true
echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$LAB_DIR/bad.json"
bad "a profile with an unknown action" "$NSBOX" run --security-opt seccomp="$LAB_DIR/bad.json" "$ROOTFS" true
echo '{"defaultAction": ' >"$LAB_DIR/bad2.json"
bad "a profile that is not JSON" "$NSBOX" run --security-opt seccomp="$LAB_DIR/bad2.json" "$ROOTFS" true
bad "--env-file missing" "$NSBOX" run --env-file /nonexistent "$ROOTFS" true
bad "--add-host without IP" "$NSBOX" run --add-host foo "$ROOTFS" true
bad "--dns not an address" "$NSBOX" run --dns resolver "$ROOTFS" true
check_eq "bad input created no container state" "" "$(ls "$NETD_STATE_DIR/nsbox" 2>/dev/null | grep -v '^\.')"
check_eq "bad input created no cgroup" "$cg_before" "$(find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | sort)"

finish
