#!/bin/bash
# Pod churn at node scale (issue 15), each set in its own lab host:
#   - PODS (100) pods started at once: PODS parallel ADDs with one port mapping each on a /16, every
#     pod answering on its published port (one nslisten process listens in all of them), then
#     deleted at once; wall time, netd-cni vs bridge+host-local+portmap (the trio serializes on
#     host-local's lock and the xtables lock);
#   - netd-cni only: ADD at 1 vs SCALE_N (5000) containers present (100 per namespace, ifnames
#     e0..e99; PER_NET (1000) per network, each a /16 with its own bridge: a Linux bridge takes
#     at most 1024 ports), the state dir's bytes per endpoint, and the time of `netd gc` and
#     `netd ps` at SCALE_N endpoints.
# Root. Env: BUILD (default build), PODS=100, SCALE_N=5000, PER_NET=1000, RUNS=30, REF_DIR=/usr/lib/cni,
# CHURN_SETS="netd ref".
BUILD=${BUILD:-build}
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/bench/common.sh"
PODS=${PODS:-100}
SCALE_N=${SCALE_N:-5000}
RUNS=${RUNS:-30}
REF=${REF_DIR:-${ANC_CNI_PATH:-/usr/lib/cni}}
P=$BUILD/netd-cni
OUT=$BENCH_DATA/churn
mkdir -p "$OUT"
HOST_IP=192.0.2.1

run() { # CMD ID NETNS IFNAME PLUGIN CONF OUT: one plugin exec as a runtime makes it
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=$4 CNI_PATH=$REF "$5" <"$6" >"$7" 2>"$7.err"
}
ref_conf() { # HOSTPORT TYPE [PREV]
	jq -c -n --arg d "$W/hl" --argjson hp "$1" --arg t "$2" --slurpfile p "${3:-/dev/null}" '
	  (if $t == "bridge" then {cniVersion:"1.0.0",name:"churn-ref",type:"bridge",bridge:"cref0",isGateway:true,ipMasq:true,
	     ipam:{type:"host-local",ranges:[[{subnet:"10.210.0.0/16"}]],routes:[{dst:"0.0.0.0/0"}],dataDir:$d}}
	   else {cniVersion:"1.0.0",name:"churn-ref",type:"portmap",capabilities:{portMappings:true},snat:true,
	     runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]}} end)
	  + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}
netd_conf() { # HOSTPORT SUBNET [PREV]
	jq -c -n --argjson hp "$1" --arg s "$2" --slurpfile p "${3:-/dev/null}" '
	  {cniVersion:"1.0.0",name:"churn-netd",type:"netd-cni",bridge:"cnd0",isGateway:true,ipMasq:true,
	   capabilities:{portMappings:true},ipam:{type:"netd",ranges:[[{subnet:$s}]],routes:[{dst:"0.0.0.0/0"}]}}
	  + (if $hp > 0 then {runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]}} else {} end)
	  + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}

# with_prev CONF-FILE RESULT-FILE: the config with prevResult, built in the shell (no exec, as a
# runtime builds it in-process), so that only plugin execs are timed.
with_prev() {
	local c r
	c=$(<"$1") r=$(<"$2")
	printf '%s,"prevResult":%s}' "${c%\}}" "$r"
}

pod_prep() { # I: the configs every pod's ADD starts from (not timed)
	local r=$W/res/p$1 hp=$((20000 + $1))
	if [ "$SET" = ref ]; then
		ref_conf "$hp" bridge >"$r.bc"
		ref_conf "$hp" portmap >"$r.pc0"
	else
		netd_conf "$hp" 10.211.0.0/16 >"$r.nc"
	fi
}
pod_add() { # I: the pod's whole chain; exit status 0 when every exec succeeded
	local i=$1 r=$W/res/p$1 ns=/run/netns/p$1
	if [ "$SET" = ref ]; then
		run ADD "p$i" "$ns" eth0 "$REF/bridge" "$r.bc" "$r.json" || return 1
		with_prev "$r.pc0" "$r.json" >"$r.pc"
		run ADD "p$i" "$ns" eth0 "$REF/portmap" "$r.pc" "$r.pm.json"
	else
		run ADD "p$i" "$ns" eth0 "$P" "$r.nc" "$r.json"
	fi
}
pod_prep_del() { # I: DEL's configs carry the ADD's result, as libcni sends them (not timed)
	local r=$W/res/p$1
	if [ "$SET" = ref ]; then
		with_prev "$r.bc" "$r.json" >"$r.bd"
	else
		with_prev "$r.nc" "$r.json" >"$r.nd"
	fi
}
pod_del() {
	local i=$1 r=$W/res/p$1 ns=/run/netns/p$1 rc=0
	if [ "$SET" = ref ]; then
		run DEL "p$i" "$ns" eth0 "$REF/portmap" "$r.pc" "$r.out" || rc=1
		run DEL "p$i" "$ns" eth0 "$REF/bridge" "$r.bd" "$r.out2" || rc=1
	else
		run DEL "p$i" "$ns" eth0 "$P" "$r.nd" "$r.out" || rc=1
	fi
	return $rc
}

# all_at_once FN: FN 1..PODS in parallel -> WALL_MS, FAILED
all_at_once() {
	local i t0 pids=() f=0
	t0=${EPOCHREALTIME/./}
	for ((i = 1; i <= PODS; i++)); do
		"$1" "$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || f=$((f + 1)); done
	WALL_MS=$(ms_since "$t0")
	FAILED=$f
}

answering() { # pods whose published port at the host address answers "ok"
	local i n=0 line
	for ((i = 1; i <= PODS; i++)); do
		line=$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST_IP/$((20000 + i)) && head -c 3 <&3" 2>/dev/null)
		[ "$line" = ok ] && n=$((n + 1))
	done
	echo "$n"
}

# scale: netd-cni only, ADDs at 1 and at SCALE_N endpoints present. A Linux bridge takes at most
# 1024 ports (BR_MAX_PORTS; the 1025th veth is refused with EXFULL), so the endpoints are spread
# over networks of PER_NET (1000) each, every one a /16 with its own bridge; the ADDs timed are
# on the first, which holds PER_NET of them at the end.
PER_NET=${PER_NET:-1000}
scale_conf() { # K: network K's config file
	[ -e "$W/s$1.conf" ] || jq -c -n --arg n "churn-s$1" --arg b "cns$1" --arg s "10.$((211 + $1)).0.0/16" '
	  {cniVersion:"1.0.0",name:$n,type:"netd-cni",bridge:$b,isGateway:true,ipMasq:true,
	   ipam:{type:"netd",ranges:[[{subnet:$s}]],routes:[{dst:"0.0.0.0/0"}]}}' >"$W/s$1.conf"
	echo "$W/s$1.conf"
}
scale() {
	local i k n=0 t0 us rc fails=0 c
	for ((k = 1; k <= (SCALE_N + 99) / 100; k++)); do ip netns add "s$k"; done
	ip netns add lat
	latency_at() { # PHASE
		for ((i = 1; i <= RUNS; i++)); do
			# timed like cni.sh's calls: the exec alone (tests/bench/spawn.c)
			read -r us rc < <(CNI_COMMAND=ADD CNI_CONTAINERID="lat$i" CNI_NETNS=/run/netns/lat \
				CNI_IFNAME=eth0 "$SPAWN" -i "$(scale_conf 1)" -o "$W/l.json" -e "$W/l.err" "$P")
			[ "$rc" = 0 ] || echo "  ! ADD lat$i: $(head -c 300 "$W/l.json")" >&2
			printf '%s\tADD\t%d.%03d\n' "$1" $((us / 1000)) $((us % 1000)) >>"$TSV"
			run DEL "lat$i" /run/netns/lat eth0 "$P" "$(scale_conf 1)" "$W/l.out"
		done
	}
	run ADD first /run/netns/s1 e0 "$P" "$(scale_conf 1)" "$W/s.json"
	n=1
	latency_at at1
	t0=${EPOCHREALTIME/./}
	# endpoint j (0-based): namespace s(j/100+1), ifname e(j%100), network j/PER_NET+1
	for ((i = 1; i < SCALE_N; i++)); do
		c=$(scale_conf $((i / PER_NET + 1)))
		if run ADD "f$i" "/run/netns/s$((i / 100 + 1))" "e$((i % 100))" "$P" "$c" "$W/s.json"; then
			n=$((n + 1)) fails=0
			continue
		fi
		echo "  ! fill ADD f$i: $(head -c 300 "$W/s.json")" >&2
		fails=$((fails + 1))
		[ "$fails" -lt 10 ] || {
			echo "  ! fill: 10 failures in a row, stopped" >&2
			break
		}
	done
	echo "# churn: $n endpoints present after $(($(ms_since "$t0" | cut -d. -f1) / 1000)) s of filling"
	printf 'present\t-\t%s\n' "$n" >>"$TSV"
	latency_at "at$SCALE_N"
	printf 'state_bytes\t-\t%s\n' "$(find "$NETD_STATE_DIR" -type f -printf '%s\n' | awk '{s+=$1} END{print s}')" >>"$TSV"
	printf 'state_du\t-\t%s\n' "$(du -s --block-size=1 "$NETD_STATE_DIR" | cut -f1)" >>"$TSV"
	for ((i = 1; i <= 3; i++)); do
		t0=${EPOCHREALTIME/./}
		"$BUILD/netd" gc >/dev/null 2>&1
		printf 'gc\t-\t%s\n' "$(ms_since "$t0")" >>"$TSV"
		t0=${EPOCHREALTIME/./}
		"$BUILD/netd" ps >/dev/null 2>&1
		printf 'ps\t-\t%s\n' "$(ms_since "$t0")" >>"$TSV"
	done
	printf 'after_gc\t-\t%s\n' "$(find "$NETD_STATE_DIR/networks" -path '*/endpoints/*' -type f | wc -l)" >>"$TSV"
}

if [ "${1:-}" = __set ]; then
	lab_enter "$@"
	SET=$2
	W=$LAB_DIR/churn
	TSV=$OUT/$SET.tsv
	mkdir -p "$W/res" "$W/hl"
	: >"$TSV"
	# A host address to reach the published ports at (the lab host has only lo).
	ip link add host0 type veth peer name host1 && ip addr add "$HOST_IP/24" dev host0 &&
		ip link set host1 up && ip link set host0 up
	for ((i = 0; i <= PODS; i++)); do ip netns add "p$i"; done
	nss=()
	for ((i = 1; i <= PODS; i++)); do nss+=("/run/netns/p$i"); done
	"$NSLISTEN" 80 "${nss[@]}" >"$W/listen.out" &
	lpid=$!
	for ((i = 0; i < 50; i++)); do grep -q ready "$W/listen.out" 2>/dev/null && break; sleep 0.1; done
	wait_quiet
	# The first ADD creates the bridge, chains and table: not measured.
	for ((i = 0; i <= PODS; i++)); do pod_prep "$i"; done
	pod_add 0 && pod_prep_del 0 && pod_del 0
	all_at_once pod_add
	printf 'add\t%s\t%s\n' "$FAILED" "$WALL_MS" >>"$TSV"
	printf 'answer\t-\t%s\n' "$(answering)" >>"$TSV"
	for ((i = 1; i <= PODS; i++)); do pod_prep_del "$i"; done
	all_at_once pod_del
	printf 'del\t%s\t%s\n' "$FAILED" "$WALL_MS" >>"$TSV"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	[ "$SET" = netd ] && [ "$SCALE_N" -gt 0 ] && scale
	echo "# churn $SET: $(cat "$TSV" | tr '\t\n' ' ;')"
	exit 0
fi

for b in "$P" "$REF/bridge" "$REF/host-local" "$REF/portmap"; do
	[ -x "$b" ] || {
		echo "missing $b (make; scripts/install-deps.sh installs containernetworking-plugins)" >&2
		exit 2
	}
done
export NSLISTEN=$OUT/nslisten SPAWN=$OUT/spawn
cc -O2 -o "$NSLISTEN" "$TOP/tests/bench/nslisten.c" || exit 2
cc -O2 -o "$SPAWN" "$TOP/tests/bench/spawn.c" || exit 2
echo "# churn: $PODS pods at once, netd-cni vs $REF bridge+host-local+portmap; scale $SCALE_N (netd-cni)"
rc=0
for s in ${CHURN_SETS:-netd ref}; do
	bash "$0" __set "$s" || rc=1
done

val() { awk -F'\t' -v p="$2" '$1==p {print $3}' "$OUT/$1.tsv" 2>/dev/null | p50; }
failed() { awk -F'\t' -v p="$2" '$1==p {print $2}' "$OUT/$1.tsv" 2>/dev/null | head -1; }
trio="bridge+host-local+portmap"
an=$(val netd answer) ar=$(val ref answer)
for ph in add del; do
	o=$(val netd $ph) a=$(val ref $ph)
	emit_row key="churn_$ph" metric="$PODS pods $([ $ph = add ] && echo ADDed || echo DELeted) at once (one port each), wall" \
		unit=ms ours="$o" anchor="$a" anchor_name="$trio" ratio="$(div "$a" "$o")" \
		ratio_desc="anchor/ours (x faster)" target= n=1 \
		note="failed calls: ours $(failed netd $ph), trio $(failed ref $ph); answering on their ports: ours $an/$PODS, trio $ar/$PODS"
done
o=$(awk -v a="$(val netd add)" -v b="$(val netd del)" 'BEGIN{print a + b}')
a=$(awk -v a="$(val ref add)" -v b="$(val ref del)" 'BEGIN{print a + b}')
emit_row key=churn_total metric="$PODS pods started and deleted at once, wall (all answer: ours $an, trio $ar)" \
	unit=ms ours="$o" anchor="$a" anchor_name="$trio" ratio="$(div "$a" "$o")" \
	ratio_desc="anchor/ours (x faster)" target=">= 20" target_on=ratio n=1
if [ "$SCALE_N" -gt 0 ]; then
	o1=$(awk -F'\t' '$1=="at1" {print $3}' "$OUT/netd.tsv" | p50)
	on=$(awk -F'\t' -v p="at$SCALE_N" '$1==p {print $3}' "$OUT/netd.tsv" | p50)
	np=$(val netd present)
	emit_row key=scale_growth metric="CNI ADD growth, 1 -> $np containers ($PER_NET per /16 network)" unit=x \
		ours="$(div "$on" "$o1")" anchor="$o1" anchor_name="ours at 1 (ms); at $np: $on ms" \
		ratio="$(div "$on" "$o1")" ratio_desc="ours at $np / ours at 1" target="<= 1.2" \
		target_on=ratio n="$RUNS"
	emit_row key=scale_state metric="state dir per endpoint at $np endpoints [bytes of files; on disk]" \
		unit=B ours="$(div "$(val netd state_bytes)" "$np" %.0f)" \
		anchor="$(div "$(val netd state_du)" "$np" %.0f)" anchor_name="allocated (du)" ratio= \
		ratio_desc= target= n=1
	emit_row key=scale_gc metric="netd gc at $np endpoints (nothing to collect)" unit=ms \
		ours="$(val netd gc)" anchor= anchor_name= ratio= ratio_desc= target= n=3 \
		note="endpoints left after gc: $(val netd after_gc)"
	emit_row key=scale_ps metric="netd ps at $np endpoints" unit=ms ours="$(val netd ps)" \
		anchor= anchor_name= ratio= ratio_desc= target= n=3
fi
[ "$rc" = 0 ]
