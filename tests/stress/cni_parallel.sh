#!/bin/bash
# Stress 1: STRESS_CNI_N (64) parallel CNI ADDs, then as many parallel DELs, on one network,
# STRESS_CNI_ROUNDS (10) rounds. netd-cni is exec'd as a runtime does (CNI_* env, config on
# stdin), each container with one port mapping. Per round: every ADD succeeds, no address is
# handed out twice, every container answers ping from the lab host, the kernel holds exactly N
# veths and N map elements; after the DELs nothing is left (veths, leases, map elements,
# endpoint records, port claims, temp files).
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
source "$TOP/tests/stress/lib.sh"

N=${STRESS_CNI_N:-64}
ROUNDS=${STRESS_CNI_ROUNDS:-10}
PORT0=${STRESS_CNI_PORT0:-31000}
W=$LAB_DIR/cni
mkdir -p "$W"

conf() { # one port mapping: hostPort $1 -> 80
	printf '{"cniVersion":"1.0.0","name":"sc","type":"netd-cni","bridge":"br-sc","isGateway":true,"ipMasq":true,"ipam":{"type":"netd","ranges":[[{"subnet":"10.97.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]},"runtimeConfig":{"portMappings":[{"hostPort":%d,"containerPort":80,"protocol":"tcp"}]}}' "$1"
}

cni() { # CMD I: container c$I in netns c$I
	conf $((PORT0 + $2)) | timeout 60 env CNI_COMMAND="$1" CNI_CONTAINERID="c$2" \
		CNI_NETNS="/run/netns/c$2" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$CNI" \
		>"$W/$1.$2.json" 2>"$W/$1.$2.err"
}

ping_all() { # -> number of addresses in $W/addrs that answer one ping, pinged 16 at a time
	local a pids=() n=0 i=0
	while read -r a; do
		(ping -c1 -W2 "$a" >/dev/null 2>&1 && echo ok) >"$W/ping.$i" &
		pids+=($!)
		i=$((i + 1))
		if [ ${#pids[@]} -ge 16 ]; then
			wait "${pids[@]}"
			pids=()
		fi
	done <"$W/addrs"
	wait "${pids[@]}" 2>/dev/null
	n=$(cat "$W"/ping.* 2>/dev/null | grep -c ok)
	rm -f "$W"/ping.*
	echo "$n"
}

say "cni_parallel: $N parallel ADDs then DELs, $ROUNDS rounds, seed $SEED"
add_fail_total=0 del_fail_total=0 dup_total=0 ping_miss_total=0
for ((r = 1; r <= ROUNDS; r++)); do
	for ((i = 1; i <= N; i++)); do mkns "c$i"; done
	rm -f "$W"/*.json "$W"/*.err
	t=$SECONDS
	pids=()
	for ((i = 1; i <= N; i++)); do
		cni ADD "$i" &
		pids+=($!)
	done
	add_fail=0
	for p in "${pids[@]}"; do wait "$p" || add_fail=$((add_fail + 1)); done
	tadd=$((SECONDS - t))
	for ((i = 1; i <= N; i++)); do
		jq -r '.ips[0].address | split("/")[0]' "$W/ADD.$i.json" 2>/dev/null
	done >"$W/addrs"
	got=$(wc -l <"$W/addrs")
	distinct=$(sort -u "$W/addrs" | wc -l)
	dup=$((got - distinct))
	pinged=$(ping_all)
	veths=$(count_veths)
	maps=$(count_map_elements)
	recs=$(count_records)
	say "round $r: ADD ${tadd}s: $add_fail failed, $got addresses, $distinct distinct, $pinged answer ping; kernel: $veths veths, $maps map elements; $recs records, $(count_leases) leases"
	if [ "$add_fail" -ne 0 ]; then
		for ((i = 1; i <= N; i++)); do
			[ -s "$W/ADD.$i.err" ] || grep -q '"code"' "$W/ADD.$i.json" 2>/dev/null || continue
			say "  ADD c$i: $(head -c 300 "$W/ADD.$i.json" "$W/ADD.$i.err" | tr '\n' ' ')"
			break
		done
	fi
	check_eq "round $r: $N ADDs succeed" 0 "$add_fail"
	check_eq "round $r: no duplicate address" "$N 0" "$got $dup"
	check_eq "round $r: every container answers ping" "$N" "$pinged"
	check_eq "round $r: $N veths, map elements, records while up" "$N $N $N" "$veths $maps $recs"
	add_fail_total=$((add_fail_total + add_fail))
	dup_total=$((dup_total + dup))
	ping_miss_total=$((ping_miss_total + N - pinged))

	t=$SECONDS
	pids=()
	for ((i = 1; i <= N; i++)); do
		cni DEL "$i" &
		pids+=($!)
	done
	del_fail=0
	for p in "${pids[@]}"; do wait "$p" || del_fail=$((del_fail + 1)); done
	say "round $r: DEL $((SECONDS - t))s: $del_fail failed"
	check_eq "round $r: $N DELs succeed" 0 "$del_fail"
	del_fail_total=$((del_fail_total + del_fail))
	check_zero "round $r after DEL"
	for ((i = 1; i <= N; i++)); do ip netns del "c$i"; done
done
say "cni_parallel totals: rounds=$ROUNDS containers=$((ROUNDS * N)) add_failed=$add_fail_total del_failed=$del_fail_total duplicates=$dup_total ping_missed=$ping_miss_total"
check_zero "cni_parallel end"
say "cni_parallel: $(elapsed)s"
finish
