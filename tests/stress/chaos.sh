#!/bin/bash
# Chaos: kill -9 netd and netd-cni in the middle of attach/ADD and detach/DEL, delete namespaces
# behind netd's back, flush the whole nft ruleset; then `netd gc` (phase 1-4) and, separately,
# a background `netd serve` (phase 5) must converge to exactly zero leftovers. State files are
# checked along the way: every record parses, no address is leased twice.
#   STRESS_CHAOS_KILLS (200): kill -9s in all (fault-injection points + seeded random delays)
#   STRESS_CHAOS_POOL (16):   container namespaces
#   STRESS_SEED (42):         the random delays and choices
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
source "$TOP/tests/stress/lib.sh"

KILLS=${STRESS_CHAOS_KILLS:-200}
POOL=${STRESS_CHAOS_POOL:-16}
BATCH=4
W=$LAB_DIR/chaos
mkdir -p "$W"
STEPS="record ports veth configure publish commit"
SERVE_PID=
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; wait 2>/dev/null; lab_exit' EXIT

CCONF=$W/cc.json
cat >"$CCONF" <<'EOF'
{"cniVersion":"1.0.0","name":"cc","type":"netd-cni","bridge":"br-cc","isGateway":true,"ipMasq":true,"ipam":{"type":"netd","ranges":[[{"subnet":"10.96.0.0/22"}]],"routes":[{"dst":"0.0.0.0/0"}]}}
EOF
# cni_conf PORT: the config with one port mapping
cni_conf() {
	sed "s/}}\$/},\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":$1,\"containerPort\":80,\"protocol\":\"tcp\"}]}}/" "$CCONF"
}

check "network create ch" "$NETD" network create ch --subnet 10.95.0.0/22
mkpool() { for ((j = 1; j <= POOL; j++)); do [ -e "/run/netns/x$j" ] || mkns "x$j"; done; }
mkpool

NOPS=0
# start_op KIND J [env...]: starts one operation in the background on container J and sets OP_PID.
#   KIND: add (CNI ADD cJ, ifname eth1, port 46000+J), del (CNI DEL), attach (CLI, id xJ,
#   eth0, port 45000+J and a udp range), detach (CLI).
start_op() {
	local kind=$1 j=$2 log
	shift 2
	NOPS=$((NOPS + 1))
	log=$W/op.$NOPS
	case $kind in
	add | del)
		cni_conf $((46000 + j)) >"$log.in"
		env "$@" CNI_COMMAND="${kind^^}" CNI_CONTAINERID="c$j" CNI_NETNS="/run/netns/x$j" \
			CNI_IFNAME=eth1 CNI_PATH=/usr/lib/cni "$CNI" <"$log.in" >"$log.out" 2>"$log.err" &
		;;
	attach)
		env "$@" "$NETD" attach ch --netns "/run/netns/x$j" --id "x$j" -p "$((45000 + j)):80" \
			-p "127.0.0.1:$((47000 + j * 4))-$((47003 + j * 4)):53-56/udp" >"$log.out" 2>"$log.err" &
		;;
	detach)
		env "$@" "$NETD" detach ch --id "x$j" >"$log.out" 2>"$log.err" &
		;;
	esac
	OP_PID=$!
}

# Sanitizer reports in any operation's stderr: must stay 0 (a killed process prints none).
count_san_reports() {
	cat "$W"/op.*.err "$W"/*.log 2>/dev/null | grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:'
}

# The state after a gc with every namespace alive: each record is ready and owns its veth and
# lease; the host has no veth, lease or claim without a record.
consistent_counts() {
	local recs ready ports
	recs=$(count_records)
	ready=$(cat "$NETD_STATE_DIR"/networks/*/endpoints/* 2>/dev/null | grep -c '^state=ready')
	ports=$("$NETD" ps --json 2>/dev/null | jq '[.[].ports | length] | add // 0')
	echo "records=$recs ready=$ready veths=$(count_veths) leases=$(count_leases) record_ports=$ports claims=$(count_claims)"
}
expected_consistent() { # from consistent_counts: all equal to records, claims = ports
	local l=$1 recs ports
	recs=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<<"$l")
	ports=$(sed -n 's/.*record_ports=\([0-9]*\).*/\1/p' <<<"$l")
	echo "records=$recs ready=$recs veths=$recs leases=$recs record_ports=$ports claims=$ports"
}

# ---- phase 1: kill -9 at every fault-injection point, CLI and CNI
say "phase 1: kill -9 at each of: $STEPS (NETD_FAIL_AT_KILL=1), CLI and CNI, 2 rounds"
kills=0 wrong_rc=0
for rep in 1 2; do
	j=0
	for step in $STEPS; do
		for kind in attach add; do
			j=$((j + 1))
			start_op "$kind" "$j" NETD_FAIL_AT="$step" NETD_FAIL_AT_KILL=1
			{ wait "$OP_PID"; } 2>/dev/null
			rc=$?
			if [ $rc -eq 137 ]; then kills=$((kills + 1)); else wrong_rc=$((wrong_rc + 1)); fi
		done
	done
	l=$(leftovers)
	say "round $rep: $kills kills so far; before gc: $l"
	check "round $rep: the kills left something for gc to do" test "$l" != "$ZERO"
	check_state_sane "phase 1 round $rep, before gc"
	out=$(timeout 120 "$NETD" gc --json 2>&1)
	say "gc: $(tr -d ' \n' <<<"$out")"
	check_zero "phase 1 round $rep: after gc"
done
check_eq "phase 1: every injection point killed the process (exit 137)" 0 "$wrong_rc"
P1_KILLS=$kills

# The same points without the kill: rollback alone leaves nothing, no gc needed.
rb_bad=0
for step in $STEPS; do
	start_op attach 1 NETD_FAIL_AT="$step"
	wait "$OP_PID" && rb_bad=$((rb_bad + 1))
	[ "$(leftovers)" = "$ZERO" ] || { rb_bad=$((rb_bad + 1)); say "rollback at $step left: $(leftovers)"; }
done
check_eq "phase 1: a failure at each step rolls back completely (no gc)" 0 "$rb_bad"

# ---- phase 2: kill -9 after seeded random delays, with namespaces deleted and the ruleset
# flushed behind netd's back
chaos_round() { # TARGET-KILLS LABEL -> sets KILLED
	local target=$1 label=$2 batch=0 max i j kind pids js
	KILLED=0
	max=$((target * 3 / BATCH + 10))
	while [ $KILLED -lt "$target" ] && [ $batch -lt $max ]; do
		batch=$((batch + 1))
		pids=()
		js=" "
		for ((i = 0; i < BATCH; i++)); do
			j=$((RANDOM % POOL + 1))
			case $js in *" $j "*) continue ;; esac
			js="$js$j "
			case $((RANDOM % 4)) in
			0) kind=add ;; 1) kind=del ;; 2) kind=attach ;; 3) kind=detach ;;
			esac
			# More setups than teardowns, so there is something to tear down.
			[ $((RANDOM % 3)) -eq 0 ] && [ $kind = del ] && kind=add
			[ $((RANDOM % 3)) -eq 0 ] && [ $kind = detach ] && kind=attach
			start_op "$kind" "$j"
			pids+=("$OP_PID")
		done
		sleep "$(rand_delay 450)"
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		for p in "${pids[@]}"; do
			{ wait "$p"; } 2>/dev/null
			[ $? -eq 137 ] && KILLED=$((KILLED + 1))
		done
		if [ $((batch % 7)) -eq 0 ]; then
			j=$((RANDOM % POOL + 1))
			ip netns del "x$j" 2>/dev/null && NS_DELETED=$((NS_DELETED + 1))
			mkns "x$j"
		fi
		if [ $((batch % 17)) -eq 0 ]; then
			nft flush ruleset && FLUSHES=$((FLUSHES + 1))
		fi
		if [ $((batch % 15)) -eq 0 ]; then
			check_state_sane "$label batch $batch"
		fi
	done
	say "$label: $batch batches, $NOPS operations started so far, $KILLED killed by SIGKILL"
}

NS_DELETED=0 FLUSHES=0
P2_TARGET=$((KILLS - P1_KILLS))
[ $P2_TARGET -lt 0 ] && P2_TARGET=0
t=$SECONDS
chaos_round $((P2_TARGET * 3 / 4)) "phase 2"
P2_KILLS=$KILLED
say "phase 2: $P2_KILLS kills, $NS_DELETED namespaces deleted, $FLUSHES ruleset flushes in $((SECONDS - t))s"
check_state_sane "phase 2 end"

# ---- phase 3: gc with the namespaces alive: every endpoint left is whole, nothing is orphaned
out=$(timeout 120 "$NETD" gc --json 2>&1)
say "phase 3 gc: $(tr -d ' \n' <<<"$out")"
l=$(consistent_counts)
say "phase 3 after gc: $l"
check_eq "phase 3: after gc every record is ready and owns its veth, lease, claims" "$(expected_consistent "$l")" "$l"
check_state_sane "phase 3 after gc" strict
# A flushed ruleset comes back from state (serve --once restores the table when it is missing).
timeout 60 "$NETD" serve --once >/dev/null 2>&1
claims=$(count_claims)
maps=$(count_map_elements)
say "phase 3 after serve --once: $maps map elements for $claims claims"
check_eq "phase 3: every claimed port is in table ip netd" "$claims" "$maps"

# ---- phase 4: every namespace deleted behind our back; gc converges to zero
for ((j = 1; j <= POOL; j++)); do ip netns del "x$j" 2>/dev/null; done
out=$(timeout 120 "$NETD" gc --json 2>&1)
say "phase 4 gc: $(tr -d ' \n' <<<"$out")"
check_zero "phase 4: namespaces gone, after netd gc"
check_state_sane "phase 4" strict

# ---- phase 5: the same with `netd serve` in the background instead of gc
mkpool
"$NETD" serve >"$W/serve.log" 2>&1 &
SERVE_PID=$!
sleep 0.5
t=$SECONDS
chaos_round $((P2_TARGET - P2_KILLS)) "phase 5"
P5_KILLS=$KILLED
for ((j = 1; j <= POOL; j++)); do ip netns del "x$j" 2>/dev/null; done
# (a function: every try counts again; $(...) as an argument would count once)
no_leftovers() { test "$(leftovers)" = "$ZERO"; }
wait_until 20 no_leftovers
say "phase 5: $P5_KILLS kills, serve converged in $((SECONDS - t))s (chaos included)"
check_zero "phase 5: namespaces gone, netd serve alone"
# A flush with an attach right behind it (the attach recreates the table before serve looks):
# serve must still put back the ports of the endpoints attached before the flush.
for j in $((POOL + 1)) $((POOL + 2)) $((POOL + 3)); do mkns "x$j"; done
for j in $((POOL + 1)) $((POOL + 2)); do
	check "phase 5: attach x$j before the flush" "$NETD" attach ch --netns "/run/netns/x$j" --id "x$j" -p "$((45000 + j)):80"
done
sleep 0.5
# serve is stopped meanwhile so that it looks only once the table is back.
kill -STOP "$SERVE_PID"
nft flush ruleset
j=$((POOL + 3))
"$NETD" attach ch --netns "/run/netns/x$j" --id "x$j" -p "$((45000 + j)):80" >/dev/null 2>&1
kill -CONT "$SERVE_PID"
sleep 1.5
claims=$(count_claims)
maps=$(count_map_elements)
nets=$(count_set_elements nets)
say "phase 5: flush + attach: $maps map elements for $claims claims, $nets nets elements 1.5 s later"
nnets=$(find "$NETD_CONFIG_DIR" -name '*.conf' | wc -l)
check_eq "phase 5: serve restores every published port and network after a flush (attach right after it)" "3 3 $nnets" "$claims $maps $nets"
for ((j = POOL + 1; j <= POOL + 3; j++)); do ip netns del "x$j"; done
wait_until 20 no_leftovers
check_zero "phase 5: after the flush test, netd serve alone"
kill "$SERVE_PID"
wait "$SERVE_PID"
SERVE_PID=
grep -E 'gc removed|restored' "$W/serve.log" | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   serve: /'

# ---- the end: networks removed leave nothing; no sanitizer report from any operation
check "network rm ch" "$NETD" network rm ch
[ -f "$NETD_CONFIG_DIR/cc.conf" ] && check "network rm cc (defined by the CNI config)" "$NETD" network rm cc
l=$(network_gone_counts)
say "after network rm: $l"
check_eq "no set element, bridge or dangling lock" "set_elements=0 dangling_locks=0 bridges=0" "$l"
check_zero "chaos end"
check_eq "no sanitizer report from $NOPS operations" 0 "$(count_san_reports)"
say "chaos totals: kills=$((P1_KILLS + P2_KILLS + P5_KILLS)) (injection points $P1_KILLS, random $((P2_KILLS + P5_KILLS))), operations=$NOPS, namespaces deleted=$NS_DELETED, flushes=$FLUSHES"
say "chaos: $(elapsed)s"
finish
