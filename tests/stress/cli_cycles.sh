#!/bin/bash
# Stress 2: the netd CLI.
# - STRESS_CLI_CYCLES (1000) attach -p / detach cycles, spread over STRESS_CLI_WORKERS (4)
#   concurrent workers, each with its own namespace and host port; every 10th cycle a worker runs
#   `netd check`, which verifies veth, address, lease and map element from the kernel.
# - STRESS_CHURN_PORTS (10000) port publish/unpublish churn: attaches of 100 ports each
#   (50 tcp on the wildcard address, 50 udp on 127.0.0.1, ranges) and their detaches; after
#   each attach the kernel's map holds exactly 100 elements.
# Afterwards: zero veths, leases, map elements, records, claims; the network removed leaves no
# set element, bridge or lock.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
source "$TOP/tests/stress/lib.sh"

CYCLES=${STRESS_CLI_CYCLES:-1000}
WORKERS=${STRESS_CLI_WORKERS:-4}
CHURN=${STRESS_CHURN_PORTS:-10000}
W=$LAB_DIR/cli
mkdir -p "$W"

check "network create st" "$NETD" network create st --subnet 10.98.0.0/22

# worker K CYCLES: attach/detach in namespace wK on host port 40000+K; prints failures to $W/wK.fail
worker() {
	local k=$1 n=$2 i fails=0 checks=0 port=$((40000 + $1)) out
	for ((i = 1; i <= n; i++)); do
		if ! out=$(timeout 60 "$NETD" attach st --netns "/run/netns/w$k" --id "w$k-$i" -p "$port:80" 2>&1 >/dev/null); then
			fails=$((fails + 1))
			echo "attach w$k-$i: $out" >>"$W/w$k.log"
			continue
		fi
		if [ $((i % 10)) -eq 0 ]; then
			checks=$((checks + 1))
			if ! out=$(timeout 60 "$NETD" check st --id "w$k-$i" 2>&1); then
				fails=$((fails + 1))
				echo "check w$k-$i: $out" >>"$W/w$k.log"
			fi
		fi
		if ! out=$(timeout 60 "$NETD" detach st --id "w$k-$i" 2>&1); then
			fails=$((fails + 1))
			echo "detach w$k-$i: $out" >>"$W/w$k.log"
		fi
	done
	echo "$fails $checks" >"$W/w$k.res"
}

say "cli_cycles: $CYCLES attach/detach cycles over $WORKERS workers, $CHURN ports of churn"
t=$SECONDS
per=$(((CYCLES + WORKERS - 1) / WORKERS))
pids=()
for ((k = 1; k <= WORKERS; k++)); do
	mkns "w$k"
	worker "$k" "$per" &
	pids+=($!)
done
wait "${pids[@]}"
fails=0 checks=0
for ((k = 1; k <= WORKERS; k++)); do
	read -r f c <"$W/w$k.res" || f=1
	fails=$((fails + f))
	checks=$((checks + ${c:-0}))
	[ -s "$W/w$k.log" ] && head -3 "$W/w$k.log" | sed 's/^/#   /'
done
say "cycles: $((per * WORKERS)) attach+detach in $((SECONDS - t))s, $checks checks, $fails failures"
check_eq "$((per * WORKERS)) attach/publish/detach cycles without a failure" 0 "$fails"
check_zero "after $((per * WORKERS)) cycles"

# ---- port churn: 100 ports per attach
t=$SECONDS
mkns churn
rounds=$(((CHURN + 99) / 100))
bad_attach=0 bad_count=0 bad_detach=0 published=0
for ((r = 1; r <= rounds; r++)); do
	a=$((20000 + (r % 10) * 100))
	b=$((a + 50))
	if ! out=$(timeout 60 "$NETD" attach st --netns /run/netns/churn --id "ch$r" \
		-p "$a-$((a + 49)):$a-$((a + 49))" -p "127.0.0.1:$b-$((b + 49)):$b-$((b + 49))/udp" 2>&1 >/dev/null); then
		bad_attach=$((bad_attach + 1))
		[ $bad_attach -le 3 ] && say "attach ch$r: $out"
		continue
	fi
	m=$(count_map_elements)
	if [ "$m" -ne 100 ]; then
		bad_count=$((bad_count + 1))
		[ $bad_count -le 3 ] && say "round $r: $m map elements after attach, expected 100"
	fi
	published=$((published + m))
	if ! out=$(timeout 60 "$NETD" detach st --id "ch$r" 2>&1); then
		bad_detach=$((bad_detach + 1))
		[ $bad_detach -le 3 ] && say "detach ch$r: $out"
	fi
	m=$(count_map_elements)
	if [ "$m" -ne 0 ]; then
		bad_count=$((bad_count + 1))
		[ $bad_count -le 3 ] && say "round $r: $m map elements after detach, expected 0"
	fi
done
say "churn: $rounds attaches x 100 ports = $published ports published and unpublished in $((SECONDS - t))s; attach failures $bad_attach, detach failures $bad_detach, wrong map counts $bad_count"
check_eq "churn: $((rounds * 100)) ports published and unpublished, map count right every time" \
	"0 0 0 $((rounds * 100))" "$bad_attach $bad_detach $bad_count $published"
check_zero "after port churn"
check_state_sane "after port churn" strict

check "network rm st" "$NETD" network rm st
l=$(network_gone_counts)
say "after network rm: $l"
check_eq "network rm leaves no set element, bridge or lock" "set_elements=0 dangling_locks=0 bridges=0" "$l"
say "cli_cycles: $(elapsed)s"
finish
