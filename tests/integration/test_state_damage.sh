#!/bin/bash
# State you can trust (issue 12), in a lab host: the state dir damaged by hand the way a full
# disk, a crash, an editor or a stray script does, and what the kernel shows alive is never torn
# down because a file about it is damaged. One section per item:
#   1. a damaged port claim (empty, another owner, garbage): gc repairs it, the endpoint lives
#   2. a damaged lease (empty, another owner's key, gone): doctor reports it, gc rewrites it from
#      the record, the next attach gets no duplicate address
#   3. a damaged endpoint record (garbage, truncated, symlinked): ps shows it and fails, doctor
#      names the file, gc keeps it while its namespace lives and tears it down once it is gone,
#      detach tears it down from what the kernel and the other files say
#   4. special files (FIFO, directory, device) in endpoints/, a FIFO *.conf, CNI_NETNS a FIFO:
#      refused at once, no command hangs
#   5. parse errors of a file that is not ours (symlinked /etc/shadow-like file, CNI subnetFile)
#      echo nothing of it; symlinks in our dirs are not followed
#   6. a failed CNI ADD leaves `last` and the container's lo as they were
#   7. a full state file system is reported as such (exit 1, which file system), not exit 5
#   8. without root (nobody, or root without CAP_NET_ADMIN): ps, gc and doctor say what it takes
#      and change nothing; doctor does not call the table missing
#   9. after `nft flush ruleset`, gc puts table ip netd back; doctor never advises unloading
#      br_netfilter
#  10. attach racing network rm: a whole network or none, never an endpoint without a lease
#  11. gc and network rm go on past errors and report them all
#  12. a detach killed half-way leaves a "removing" record: never shown ready, its port never
#      republished, finished by gc
#  13. temp files of atomic writes never write through a planted symlink
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

CNI=$BUILD/netd-cni
S=$NETD_STATE_DIR
# Every netd below is bounded: an old build hangs on a FIFO, and the suite must still end.
REAL_NETD=$NETD
NETD=$LAB_DIR/netd
printf '#!/bin/sh\nexec timeout -k 2 60 %s "$@"\n' "$REAL_NETD" >"$NETD"
chmod 755 "$NETD"
OUT=$LAB_DIR/out
ERR=$LAB_DIR/err
OUTSIDE=$LAB_DIR/outside
mkdir -p "$OUTSIDE"
MOUNTS=()
cleanup_mounts() { for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done; }
trap 'cleanup_mounts; lab_exit' EXIT

# key ID: the owner key on network lab; veth KEY: the host veth name netd gives it (nd + FNV-1a)
veth_of() {
	python3 -c 'import sys
h=2166136261
for c in sys.argv[1].encode(): h=((h^c)*16777619)&0xffffffff
print("nd%08x" % h)' "$1"
}
has_veth() { ip link show "$(veth_of "$1")" >/dev/null 2>&1 && echo yes || echo no; }
content() { [ -f "$1" ] && tr -d '\n' <"$1" || echo "(none)"; }
addr_of() { # NET ID -> the address in the record
	sed -n 's/^ip=\([0-9.]*\)\/.*/\1/p' "$S/networks/$1/endpoints/$2@eth0" 2>/dev/null
}
# whole NET ID PORT: veth, lease, record, claim (PORT/tcp on 0.0.0.0), map element of one endpoint
whole() {
	local net=$1 id=$2 port=$3 ip
	ip=$(addr_of "$net" "$id")
	echo "veth=$(has_veth "$net/$id@eth0") lease=$(content "$S/networks/$net/ips/${ip:-none}")" \
		"record=$([ -f "$S/networks/$net/endpoints/$id@eth0" ] && echo yes || echo no)" \
		"claim=$(content "$S/ports/tcp-$port/0.0.0.0")" \
		"element=$(nft list map ip netd pub_any 2>/dev/null | grep -c "tcp . $port :")"
}
# gone NET ID PORT ADDR: nothing of the endpoint is left
gone() {
	echo "veth=$(has_veth "$1/$2@eth0") lease=$(content "$S/networks/$1/ips/$4")" \
		"record=$([ -e "$S/networks/$1/endpoints/$2@eth0" ] && echo yes || echo no)" \
		"claim=$(content "$S/ports/tcp-$3/0.0.0.0")" \
		"element=$(nft list map ip netd pub_any 2>/dev/null | grep -c "tcp . $3 :")"
}
GONE="veth=no lease=(none) record=no claim=(none) element=0"
count_veths_of() { ip -o link show type veth 2>/dev/null | grep -c "alias netd:$1/"; }
# runs CMD bounded: "hang" when it had to be killed after 10 s, else its exit status
bounded() {
	local rc=0
	timeout -k 2 10 "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo hang || echo "$rc"
}
cni() { # CMD ID NETNS IFNAME CONFIG [env...]
	local cmd=$1 id=$2 ns=$3 ifn=$4 cfg=$5
	shift 5
	printf '%s' "$cfg" | env "$@" CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" CNI_NETNS="$ns" \
		CNI_IFNAME="$ifn" CNI_PATH=/usr/lib/cni timeout -k 2 20 "$CNI" >"$OUT" 2>"$ERR"
}

check "network create lab" "$NETD" network create lab --subnet 10.77.0.0/24

# ---- 1. damaged port claims ----
mkns c1
check "attach c1 -p 8080:80" "$NETD" attach lab --netns /run/netns/c1 --id c1 -p 8080:80
W1=$(whole lab c1 8080)
check_eq "c1 is whole" "veth=yes lease=lab/c1@eth0 record=yes claim=lab/c1@eth0 element=1" "$W1"
CL=$S/ports/tcp-8080/0.0.0.0
: >"$CL"
"$NETD" doctor >"$OUT" 2>&1
check "doctor reports the empty claim file" grep -q "damaged-claim.*8080" "$OUT"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc with c1's claim file empty: c1 keeps everything, the claim is repaired" "$W1" \
	"$(whole lab c1 8080)"
echo "lab/zz@eth0" >"$CL"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc with c1's claim naming another owner: repaired, c1 keeps everything" "$W1" \
	"$(whole lab c1 8080)"
printf 'garbage \001\002 not a key' >"$CL"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc with garbage in c1's claim: repaired, c1 keeps everything" "$W1" "$(whole lab c1 8080)"
rm -f "$CL"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc with c1's claim file gone: claimed again, c1 keeps everything" "$W1" \
	"$(whole lab c1 8080)"
check "c1 still passes netd check" "$NETD" check lab --id c1

# ---- 2. damaged leases: no duplicate address, ever ----
check "network create tiny (two addresses)" "$NETD" network create tiny --subnet 10.78.0.0/29 \
	--range 10.78.0.2-10.78.0.3
mkns t1
mkns t2
mkns t3
check "attach t1" "$NETD" attach tiny --netns /run/netns/t1 --id t1
check "attach t2" "$NETD" attach tiny --netns /run/netns/t2 --id t2
check_eq "t1 has 10.78.0.2" "10.78.0.2" "$(addr_of tiny t1)"
L2=$S/networks/tiny/ips/10.78.0.2
no_dup() { # the third attach fails as exhausted (exit 5), and no address is in two records
	local rc=0
	"$NETD" attach tiny --netns /run/netns/t3 --id t3 >"$OUT" 2>"$ERR" || rc=$?
	echo "rc=$rc dup=$("$NETD" ps --json 2>/dev/null | jq -r '.[].address' | sort | uniq -d | wc -l)"
}
: >"$L2"
rc=0
"$NETD" doctor >"$OUT" 2>&1 || rc=$?
check "doctor fails on an empty lease, naming its file" sh -c "[ $rc -ne 0 ] && grep -q 'damaged-lease.*ips/10.78.0.2' $OUT"
rc=0
"$NETD" attach tiny --netns /run/netns/t3 --id t3 --ip 10.78.0.2 >"$OUT" 2>"$ERR" || rc=$?
check_eq "attach --ip of the damaged lease's address is refused as in use (exit 3)" 3 "$rc"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc rewrites the empty lease from t1's record" "tiny/t1@eth0" "$(content "$L2")"
check_eq "the next attach finds the range exhausted: no duplicate address" "rc=5 dup=0" "$(no_dup)"
echo "tiny/t2@eth0" >"$L2"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc rewrites a lease naming another owner from the record that holds it" "tiny/t1@eth0" \
	"$(content "$L2")"
check_eq "  ... and still no duplicate address" "rc=5 dup=0" "$(no_dup)"
rm -f "$L2"
"$NETD" doctor >"$OUT" 2>&1
check "doctor reports a ready endpoint without its lease" grep -q "lease-missing.*t1" "$OUT"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc leases a vanished lease again from t1's record" "tiny/t1@eth0" "$(content "$L2")"
check_eq "  ... and still no duplicate address" "rc=5 dup=0" "$(no_dup)"
check "t1 still passes netd check" "$NETD" check tiny --id t1

# ---- 3. damaged endpoint records ----
mkns d1
mkns d2
check "attach d1 -p 8181:80" "$NETD" attach lab --netns /run/netns/d1 --id d1 -p 8181:80
attach_d2() { "$NETD" attach lab --netns /run/netns/d2 --id d2 -p 8282:80 >/dev/null 2>&1; }
check "attach d2 -p 8282:80" attach_d2
W_D1=$(whole lab d1 8181)
W_D2=$(whole lab d2 8282)
D2IP=$(addr_of lab d2)
REC=$S/networks/lab/endpoints/d2@eth0
printf 'garbage\n' >"$REC"
rc=0
"$NETD" ps >"$OUT" 2>"$ERR" || rc=$?
check "ps with a garbage record exits non-zero" test "$rc" -ne 0
check "  ... and shows d2 as damaged" grep -q "^d2 .*DAMAGED" "$OUT"
check_eq "ps --json lists d2 with state damaged" "damaged" \
	"$("$NETD" ps --json 2>/dev/null | jq -r '.[] | select(.id == "d2") | .state')"
rc=0
"$NETD" doctor >"$OUT" 2>&1 || rc=$?
check "doctor fails and names the damaged record's file" sh -c "[ $rc -ne 0 ] && grep -q 'damaged-record.*endpoints/d2@eth0' $OUT"
"$NETD" gc >"$OUT" 2>&1
ALIVE_D2="veth=yes lease=lab/d2@eth0 record=yes claim=lab/d2@eth0 element=1"
check_eq "gc keeps d2 while its namespace lives (veth, lease, record, claim, element)" \
	"$ALIVE_D2" "$(gone lab d2 8282 "$D2IP")"
rc=0
"$NETD" detach lab --id d2 >"$OUT" 2>&1 || rc=$?
check_eq "detach of a garbage record succeeds" 0 "$rc"
check_eq "  ... and removes d2's veth, lease, record, claim and map element" "$GONE" \
	"$(gone lab d2 8282 "$D2IP")"
check_eq "  ... and leaves d1 alone" "$W_D1" "$(whole lab d1 8181)"

check "attach d2 again" attach_d2
D2IP=$(addr_of lab d2)
truncate -s 40 "$REC"
"$NETD" gc >"$OUT" 2>&1
check_eq "a truncated record: gc keeps d2 while its namespace lives" "$ALIVE_D2" \
	"$(gone lab d2 8282 "$D2IP")"
ip netns del d2
sleep 0.2
"$NETD" gc >"$OUT" 2>&1
check_eq "a truncated record: gc tears d2 down once its namespace is gone" "$GONE" \
	"$(gone lab d2 8282 "$D2IP")"

mkns d2
check "attach d2 a third time" attach_d2
D2IP=$(addr_of lab d2)
cp "$REC" "$OUTSIDE/d2-record"
ln -sf "$OUTSIDE/d2-record" "$REC"
rc=0
"$NETD" ps >"$OUT" 2>"$ERR" || rc=$?
check "a symlinked record is not followed: ps shows d2 damaged and fails" sh -c "[ $rc -ne 0 ] && grep -q '^d2 .*DAMAGED.*symbolic link' $OUT"
check "detach of a symlinked record" "$NETD" detach lab --id d2
check_eq "  ... removes all of d2" "$GONE" "$(gone lab d2 8282 "$D2IP")"
check "  ... and leaves the file the symlink pointed at alone" test -f "$OUTSIDE/d2-record"

# ---- 4. special files never hang a command ----
EP=$S/networks/lab/endpoints
mkfifo "$EP/f1@eth0"
check_eq "a FIFO in endpoints/: ps is refused at once (exit 1)" 1 "$(bounded "$NETD" ps)"
check "  ... and shows it as damaged (a FIFO)" grep -q "^f1 .*DAMAGED.*FIFO" "$OUT"
check_eq "  ... doctor does not hang (exit 1)" 1 "$(bounded "$NETD" doctor)"
check_eq "  ... detach does not hang and removes it" "0 no" \
	"$(bounded "$NETD" detach lab --id f1) $([ -e "$EP/f1@eth0" ] && echo yes || echo no)"
mkfifo "$EP/f2@eth0"
check_eq "  ... gc does not hang and removes it (no veth: nothing lives)" "0 no" \
	"$(bounded "$NETD" gc) $([ -e "$EP/f2@eth0" ] && echo yes || echo no)"
mkdir "$EP/f3@eth0"
check_eq "a directory in endpoints/: ps refuses it at once (exit 1)" 1 "$(bounded "$NETD" ps)"
check "  ... naming it a directory" grep -q "^f3 .*DAMAGED.*directory" "$OUT"
check_eq "  ... detach removes it" "0 no" \
	"$(bounded "$NETD" detach lab --id f3) $([ -e "$EP/f3@eth0" ] && echo yes || echo no)"
mknod "$EP/f4@eth0" c 1 5 # /dev/zero
check_eq "a character device in endpoints/: ps refuses it at once (exit 1)" 1 "$(bounded "$NETD" ps)"
check "  ... naming it a device" grep -q "^f4 .*DAMAGED.*character device" "$OUT"
check_eq "  ... detach removes it" "0 no" \
	"$(bounded "$NETD" detach lab --id f4) $([ -e "$EP/f4@eth0" ] && echo yes || echo no)"
mkfifo "$NETD_CONFIG_DIR/ff.conf"
check "a FIFO ff.conf: network ls does not hang" sh -c "[ $(bounded "$NETD" network ls) != hang ]"
check_eq "  ... network inspect ff fails at once" 1 "$(bounded "$NETD" network inspect ff)"
check "  ... saying it is a FIFO" grep -q "ff.conf: is a FIFO" "$ERR"
mkns f5
check "  ... attach ff fails at once" sh -c "r=$(bounded "$NETD" attach ff --netns /run/netns/f5 --id f5); [ \$r != hang ] && [ \$r != 0 ]"
rm -rf "$NETD_CONFIG_DIR/ff.conf" "$EP"/f[1-4]@eth0 # what an old build could not remove
mkfifo "$LAB_DIR/nsfifo"
CCONF='{"cniVersion":"1.0.0","name":"cf","type":"netd-cni","bridge":"br-cf","ipam":{"type":"netd","subnet":"10.79.0.0/24"}}'
rc=0
cni ADD x1 "$LAB_DIR/nsfifo" eth0 "$CCONF" || rc=$?
check_eq "CNI ADD with CNI_NETNS a FIFO fails at once (not killed by the timeout)" 1 "$rc"
check "  ... saying it is no network namespace" grep -q "not a network namespace" "$OUT"

# ---- 5. parse errors echo nothing of a file that is not ours; symlinks are not followed ----
SECRET='root:$y$j9T$SECRETHASH0123456789:19000:0:99999:7:::'
printf '%s\nbin:*:19000:0:99999:7:::\n' "$SECRET" >"$OUTSIDE/shadow"
chmod 600 "$OUTSIDE/shadow"
no_secret() { ! grep -q "SECRETHASH" "$OUT" "$ERR"; }
ln -s "$OUTSIDE/shadow" "$NETD_CONFIG_DIR/s.conf"
rc=$(bounded "$NETD" network inspect s)
check "a symlinked s.conf is refused (not followed)" sh -c "[ $rc != 0 ] && grep -q 's.conf: is a symbolic link' $ERR"
check "  ... and nothing of its target is echoed" no_secret
bounded "$NETD" network ls >/dev/null
check "  ... network ls echoes nothing of it either" no_secret
rm -f "$NETD_CONFIG_DIR/s.conf"
cp "$OUTSIDE/shadow" "$NETD_CONFIG_DIR/h.conf"
rc=$(bounded "$NETD" network inspect h)
check "a shadow-like h.conf: the error names file and line and what was expected" sh -c "[ $rc != 0 ] && grep -q 'h.conf:1: missing .=. (lines are key=value)' $ERR"
check "  ... and echoes nothing of it" no_secret
rm -f "$NETD_CONFIG_DIR/h.conf"
SF=$(python3 -c 'import json,sys; print(json.dumps({"cniVersion":"1.0.0","name":"sf","type":"netd-cni","subnetFile":sys.argv[1]}))' "$OUTSIDE/shadow")
rc=0
cni ADD x2 /run/netns/f5 eth0 "$SF" || rc=$?
check "CNI subnetFile at a shadow-like file: error code 7 naming file and line" sh -c "[ $rc = 1 ] && jq -e '.code == 7 and (.msg | test(\"shadow:1: missing\"))' $OUT >/dev/null"
check "  ... and nothing of it in the error object or on stderr" no_secret
if [ -r /etc/shadow ] && [ -s /etc/shadow ]; then
	FIRST=$(head -1 /etc/shadow | cut -d: -f1-2)
	SF=$(python3 -c 'import json; print(json.dumps({"cniVersion":"1.0.0","name":"sf","type":"netd-cni","subnetFile":"/etc/shadow"}))')
	cni ADD x2 /run/netns/f5 eth0 "$SF"
	check "CNI subnetFile /etc/shadow: no line of it in the msg or on stderr" sh -c "! grep -qF -- '$FIRST' $OUT $ERR"
fi

# ---- 6. a failed CNI ADD leaves nothing changed ----
check "a first CNI ADD on network cf" cni ADD x3 /run/netns/f5 eth0 "$CCONF"
LAST=$(content "$S/networks/cf/last")
ip netns add f6 # lo stays down
ip -n f6 link add eth1 type veth peer name eth1p
leases_before=$(count_leases)
rc=0
cni ADD x4 /run/netns/f6 eth1 "$CCONF" || rc=$?
check_eq "CNI ADD into a namespace where the ifname exists fails" 1 "$rc"
rc=0
cni ADD x5 /run/netns/f6 eth0 "$CCONF" NETD_FAIL_AT=commit || rc=$?
check_eq "CNI ADD failing at its last step fails" 1 "$rc"
check_eq "  ... and both leave networks/cf/last as it was" "$LAST" "$(content "$S/networks/cf/last")"
check_eq "  ... and lo down in the namespace, as it was" "DOWN" \
	"$(ip -n f6 -br link show lo | awk '{print $2}')"
check_eq "  ... and no lease" "$leases_before" "$(count_leases)"

# ---- 7. a full state file system is what it is ----
mkdir -p "$LAB_DIR/small"
mount -t tmpfs -o size=64k small "$LAB_DIR/small" && MOUNTS+=("$LAB_DIR/small")
dd if=/dev/zero of="$LAB_DIR/small/fill" bs=4k 2>/dev/null
mkns full
veths=$(count_veths)
rc=0
NETD_STATE_DIR=$LAB_DIR/small/state "$NETD" attach lab --netns /run/netns/full --id full >"$OUT" 2>"$ERR" || rc=$?
check_eq "attach on a full state file system exits 1 (an I/O error), not 5 (range exhausted)" 1 "$rc"
check "  ... and says which file system is full" grep -q "No space left on device: the file system mounted on $LAB_DIR/small.* is full" "$ERR"
check_eq "  ... and changed nothing" "$veths" "$(count_veths)"

# ---- 8. without root: say what it takes, change nothing ----
mkns p1
check "attach p1 -p 8383:80" "$NETD" attach lab --netns /run/netns/p1 --id p1 -p 8383:80
snap() {
	find "$S" -printf '%y %p %s\n' 2>/dev/null | sort
	nft list ruleset 2>/dev/null
	ip -o link show | sed 's/ *link\/.*//'
}
BEFORE=$(snap)
chmod 700 "$S"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
rc=0
as_nobody "$NETD" gc >"$OUT" 2>"$ERR" || rc=$?
check "gc as nobody fails, saying it needs root" sh -c "[ $rc -ne 0 ] && grep -q 'needs root' $ERR"
rc=0
as_nobody "$NETD" doctor >"$OUT" 2>"$ERR" || rc=$?
check "doctor as nobody fails, saying it needs root" sh -c "[ $rc -ne 0 ] && grep -q 'needs root' $ERR"
check "  ... and does not call table ip netd missing" sh -c "! grep -q missing $OUT $ERR"
rc=0
as_nobody "$NETD" ps >"$OUT" 2>"$ERR" || rc=$?
check "ps as nobody (state dir 0700) fails, saying it needs root, not 'no endpoints'" sh -c "[ $rc -ne 0 ] && grep -q 'needs root' $ERR"
rc=0
capsh --drop=cap_net_admin -- -c "$NETD gc" >"$OUT" 2>"$ERR" || rc=$?
check "gc as root without CAP_NET_ADMIN fails, naming the capability" sh -c "[ $rc -ne 0 ] && grep -q CAP_NET_ADMIN $ERR"
rc=0
capsh --drop=cap_net_admin -- -c "$NETD detach lab --id p1" >"$OUT" 2>"$ERR" || rc=$?
check "detach without CAP_NET_ADMIN fails, naming the capability" sh -c "[ $rc -ne 0 ] && grep -q CAP_NET_ADMIN $ERR"
chmod 755 "$S"
check_eq "none of them changed anything (state, ruleset, links)" "$BEFORE" "$(snap)"
check "p1 is whole" "$NETD" check lab --id p1

# ---- 9. nft flush ruleset: gc puts the table back; doctor's advice works ----
nft flush ruleset
"$NETD" doctor >"$OUT" 2>&1
check "doctor says table ip netd is missing and that netd gc puts it back" grep -q "missing.*netd gc puts it back" "$OUT"
"$NETD" gc >"$OUT" 2>&1
check "after gc, p1 passes netd check (its port is published again)" "$NETD" check lab --id p1
check_eq "after gc, every claimed port has its map element" "$(count_claims)" "$(count_map_elements)"
check "after gc, the networks' sets are back" sh -c "nft list set ip netd nets | grep -q 10.77.0.0/24"
if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
	echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
	"$NETD" doctor >"$OUT" 2>&1
	check "doctor with br_netfilter loaded never advises unloading it" sh -c "grep -q br_netfilter $OUT && ! grep -q 'modprobe -r' $OUT"
fi

# ---- 10. attach racing network rm: a whole network or none ----
# Odd rounds: a third process (as gc would) holds the network's lock while both start, so both
# meet at the lock. Even rounds: a plain race with a random head start (1 ms steps).
mkns rx
race_bad=0
race_kinds=""
for i in $(seq 1 16); do
	"$NETD" network create race --subnet 10.85.0.0/24 >/dev/null 2>&1
	force=""
	[ $((i % 4)) -ge 2 ] && force=--force
	holder=""
	if [ $((i % 2)) -eq 1 ]; then
		mkdir -p "$S/networks/race"
		flock "$S/networks/race/lock" sleep 0.4 &
		holder=$!
		sleep 0.1
	fi
	"$NETD" attach race --netns /run/netns/rx --id rx -p 8686:80 >/dev/null 2>&1 &
	a=$!
	[ -z "$holder" ] && sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	"$NETD" network rm race $force >/dev/null 2>&1 &
	r=$!
	wait $a
	wait $r
	[ -n "$holder" ] && wait "$holder"
	recs=$(find "$S/networks/race/endpoints" -type f 2>/dev/null | wc -l)
	leases=$(find "$S/networks/race/ips" -type f 2>/dev/null | wc -l)
	claim=$(find "$S/ports/tcp-8686" -type f ! -name '.*' 2>/dev/null | wc -l)
	if [ -f "$NETD_CONFIG_DIR/race.conf" ]; then
		state="defined recs=$recs leases=$leases veths=$(count_veths_of race) claims=$claim"
		want="defined recs=$recs leases=$recs veths=$recs claims=$recs"
		race_kinds="$race_kinds kept/$recs"
	else
		state="removed dir=$([ -e "$S/networks/race" ] && echo yes || echo no) recs=$recs leases=$leases veths=$(count_veths_of race) bridge=$(ip link show race >/dev/null 2>&1 && echo yes || echo no) claims=$claim"
		want="removed dir=no recs=0 leases=0 veths=0 bridge=no claims=0"
		race_kinds="$race_kinds removed"
	fi
	if [ "$state" != "$want" ]; then
		race_bad=$((race_bad + 1))
		echo "#   round $i (${holder:+lock held, }${force:-no force}): $state"
	fi
	"$NETD" detach race --id rx >/dev/null 2>&1
	"$NETD" network rm race --force >/dev/null 2>&1
	# what an old build leaves behind, so the next round starts clean
	rm -rf "$S/networks/race" "$S/ports/tcp-8686"
	ip link del race 2>/dev/null
	ip link del "$(veth_of race/rx@eth0)" 2>/dev/null
done
echo "#   outcomes:$race_kinds"
check_eq "16 rounds of attach racing network rm: each left a whole network or none" 0 "$race_bad"

# ---- 11. gc and network rm go on past errors and report them all ----
check "network create e1" "$NETD" network create e1 --subnet 10.81.0.0/24
mkns g1
mkns g2
check "attach g1 -p 8484:80" "$NETD" attach e1 --netns /run/netns/g1 --id g1 -p 8484:80
check "attach g2 -p 8585:80" "$NETD" attach e1 --netns /run/netns/g2 --id g2 -p 8585:80
G2IP=$(addr_of e1 g2)
# g1's claim dir read-only: g1's teardown fails, g2's must still happen
mount --bind "$S/ports/tcp-8484" "$S/ports/tcp-8484" && mount -o remount,ro,bind "$S/ports/tcp-8484" &&
	MOUNTS+=("$S/ports/tcp-8484")
rc=0
"$NETD" network rm e1 --force >"$OUT" 2>"$ERR" || rc=$?
check "network rm --force with one endpoint failing fails (exit 1), naming g1's claim" sh -c "[ $rc = 1 ] && grep -q 'e1/g1@eth0.*Read-only file system' $ERR"
check_eq "  ... and still tears g2 down" "$GONE" "$(gone e1 g2 8585 "$G2IP")"
check "  ... and keeps the network defined" test -f "$NETD_CONFIG_DIR/e1.conf"
umount "$S/ports/tcp-8484"
check "network rm --force once the file system is writable again" "$NETD" network rm e1 --force
check_eq "  ... leaves nothing of g1" "$GONE" "$(gone e1 g1 8484 none)"
check "network create e2" "$NETD" network create e2 --subnet 10.82.0.0/24
check "network create e3" "$NETD" network create e3 --subnet 10.83.0.0/24
mkdir -p "$S/networks/e2/ips" "$S/networks/e3/ips"
for a in 10.82.0.7 10.82.0.8; do echo "e2/ghost@eth0" >"$S/networks/e2/ips/$a"; done
echo "e3/ghost@eth0" >"$S/networks/e3/ips/10.83.0.7"
mount --bind "$S/networks/e2/ips" "$S/networks/e2/ips" && mount -o remount,ro,bind "$S/networks/e2/ips" &&
	MOUNTS+=("$S/networks/e2/ips")
rc=0
"$NETD" gc >"$OUT" 2>"$ERR" || rc=$?
check "gc failing on e2's two orphan leases fails (exit 1) and reports both" sh -c "[ $rc = 1 ] && { grep -q '10.82.0.7.*10.82.0.8.*(2 errors in all)' $ERR || grep -q '10.82.0.8.*10.82.0.7.*(2 errors in all)' $ERR; }"
check_eq "  ... and goes on to release e3's orphan lease" "(none)" \
	"$(content "$S/networks/e3/ips/10.83.0.7")"
umount "$S/networks/e2/ips"
check "gc once the file system is writable again" "$NETD" gc

# ---- 12. a detach killed half-way: "removing", never republished, finished by gc ----
mkns k1
check "attach k1 -p 8787:80" "$NETD" attach lab --netns /run/netns/k1 --id k1 -p 8787:80
K1IP=$(addr_of lab k1)
rc=0
{ NETD_FAIL_AT=detach NETD_FAIL_AT_KILL=1 "$NETD" detach lab --id k1 >/dev/null 2>&1; } 2>/dev/null || rc=$?
check_eq "detach killed (SIGKILL) after unpublishing k1's port" 137 "$rc"
check_eq "ps shows k1 as removing, not ready" "removing" \
	"$("$NETD" ps --json | jq -r '.[] | select(.id == "k1") | .state')"
"$NETD" serve --once >/dev/null 2>&1
check_eq "a table restore (serve --once) does not publish k1's port again" 0 \
	"$(nft list map ip netd pub_any 2>/dev/null | grep -c 'tcp . 8787 :')"
"$NETD" gc >"$OUT" 2>&1
check_eq "gc finishes the detach (k1's namespace still lives)" "$GONE" "$(gone lab k1 8787 "$K1IP")"

# ---- 13. temp files never write through a planted symlink ----
echo canary >"$OUTSIDE/victim"
mkns tt
plant() { # PID: a symlink to the victim at every temp name the attach of tt will use
	local d n
	mkdir -p "$S/ports/tcp-8888"
	for d in "$S/networks/lab" "$S/networks/lab/ips" "$S/networks/lab/endpoints" "$S/ports/tcp-8888"; do
		for n in $(seq 0 15); do ln -sf "$OUTSIDE/victim" "$d/.tmp-$1-$n"; done
	done
	ln -sf "$OUTSIDE/victim" "$S/networks/lab/endpoints/tt@eth0.tmp.$1"
	ln -sf "$OUTSIDE/victim" "$S/networks/lab/last.tmp.$1"
}
export -f plant
export S OUTSIDE
rc=0
timeout -k 2 60 bash -c 'plant $$; exec "$0" attach lab --netns /run/netns/tt --id tt -p 8888:80' "$REAL_NETD" >"$OUT" 2>"$ERR" || rc=$?
check_eq "attach with symlinks planted at its temp file names succeeds" 0 "$rc"
check_eq "  ... and never writes through them" "canary" "$(cat "$OUTSIDE/victim")"
check "  ... and tt is whole" "$NETD" check lab --id tt
"$NETD" gc >/dev/null 2>&1
check_eq "gc removes the planted names of the dead writer" 0 \
	"$(find "$S" -name '.tmp-*' -o -name '*.tmp.*' | wc -l)"

# ---- the end: everything detached leaves nothing ----
for id in c1 d1 p1 tt; do "$NETD" detach lab --id "$id" >/dev/null 2>&1; done
for id in t1 t2; do "$NETD" detach tiny --id "$id" >/dev/null 2>&1; done
cni DEL x3 /run/netns/f5 eth0 "$CCONF"
"$NETD" gc >/dev/null 2>&1
check_eq "zero leftovers" "veths=0 leases=0 claims=0 elements=0" \
	"veths=$(count_veths) leases=$(count_leases) claims=$(count_claims) elements=$(count_map_elements)"
finish
