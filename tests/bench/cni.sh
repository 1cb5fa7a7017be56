#!/bin/bash
# CNI latency: netd-cni against the reference trio it replaces (bridge + host-local [+ portmap],
# Debian's containernetworking-plugins), same workload, same run, each set in its own lab host.
#   - ADD and DEL with 0 other containers, without ports and with one tcp port mapping
#     (the trio chains portmap after bridge: its ADD/DEL is the sum of both execs);
#   - ADD/DEL without ports with 1 and with BENCH_N (500) other containers present, and every ADD
#     of the fill from 1 to BENCH_N (the growth curve of docs/perf.svg);
#   - dual stack (sets netd-ds and ref-ds: one IPv4 and one IPv6 range set, the trio's host-local
#     with two range sets): ADD/DEL with one port mapping, and ADD/DEL without ports with 1 and
#     with BENCH_DS_N (BENCH_N) other containers present; our dual-stack ADD against our IPv4 one.
# Plugins are exec'd as a runtime does (CNI_* env, config on stdin, prevResult for the chained
# portmap and for DEL), each exec timed by tests/bench/spawn.c (posix_spawn .. waitpid, files opened
# beforehand: only the plugin's exec is timed, not the shell's fork). Writes rows to $BENCH_ROWS.
# Root. Env: BUILD (default build), RUNS=30, BENCH_N=500, BENCH_DS_N=BENCH_N, REF_DIR=/usr/lib/cni,
# CNI_SETS="netd ref netd-ds ref-ds" (the dual-stack vs IPv4 row needs netd and netd-ds).
BUILD=${BUILD:-build}
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/bench/common.sh"
RUNS=${RUNS:-30}
N=${BENCH_N:-500}
DS_N=${BENCH_DS_N:-$N}
SETS=${CNI_SETS:-netd ref netd-ds ref-ds}
REF=${REF_DIR:-${ANC_CNI_PATH:-/usr/lib/cni}}
P=$BUILD/netd-cni
OUT=$BENCH_DATA/cni
mkdir -p "$OUT"

# exec_plugin CMD ID NETNS PLUGIN CONF OUT -> LAST_MS (ms, 2 decimals), LAST_RC
exec_plugin() {
	local us
	read -r us LAST_RC < <(CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$3 CNI_IFNAME=eth0 \
		CNI_PATH=$REF "$SPAWN" -i "$5" -o "$6" -e "$6.err" "$4")
	[ -n "$LAST_RC" ] || LAST_RC=2 us=0
	LAST_MS=$(printf '%d.%02d' $((us / 1000)) $((us % 1000 / 10)))
	if [ "$LAST_RC" != 0 ]; then
		echo "  ! $1 ${4##*/} $2 rc=$LAST_RC: $(head -c 300 "$6") $(head -c 300 "$6.err")" >&2
	fi
}

# Dual stack ($DS=1): one more range set and the IPv6 default route, nothing else changes.
ref_bridge_conf() { # [PREV]
	jq -c -n --arg d "$W/hl" --slurpfile p "${1:-/dev/null}" --argjson ds "$DS" \
		'{cniVersion:"1.0.0",name:"bench-ref",type:"bridge",bridge:"bref0",isGateway:true,ipMasq:true,
		  ipam:{type:"host-local",ranges:[[{subnet:"10.200.0.0/16"}]],routes:[{dst:"0.0.0.0/0"}],dataDir:$d}}
		 | if $ds == 1 then .ipam.ranges += [[{subnet:"fd00:200::/64"}]] | .ipam.routes += [{dst:"::/0"}] else . end
		 | . + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}
ref_portmap_conf() { # HOSTPORT PREV
	jq -c -n --argjson hp "$1" --slurpfile p "$2" \
		'{cniVersion:"1.0.0",name:"bench-ref",type:"portmap",capabilities:{portMappings:true},snat:true,
		  runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]},prevResult:$p[0]}'
}
netd_conf() { # HOSTPORT (0: none) [PREV]
	jq -c -n --argjson hp "$1" --slurpfile p "${2:-/dev/null}" --argjson ds "$DS" \
		'{cniVersion:"1.0.0",name:"bench-netd",type:"netd-cni",bridge:"bnd0",isGateway:true,ipMasq:true,
		  capabilities:{portMappings:true},
		  ipam:{type:"netd",ranges:[[{subnet:"10.201.0.0/16"}]],routes:[{dst:"0.0.0.0/0"}]}}
		 | if $ds == 1 then .ipam.ranges += [[{subnet:"fd00:201::/64"}]] | .ipam.routes += [{dst:"::/0"}] else . end
		 | . + (if $hp > 0 then {runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]}} else {} end)
		 + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}

# add ID NETNS HOSTPORT(0: none) -> ADD_MS (the whole chain), ADD_RC
add() {
	local id=$1 ns=$2 hp=$3 r=$W/res/$1
	if [ "$KIND" = ref ]; then
		ref_bridge_conf >"$r.bc"
		exec_plugin ADD "$id" "$ns" "$REF/bridge" "$r.bc" "$r.json"
		ADD_MS=$LAST_MS ADD_RC=$LAST_RC
		[ "$hp" = 0 ] && return
		ref_portmap_conf "$hp" "$r.json" >"$r.pc"
		exec_plugin ADD "$id" "$ns" "$REF/portmap" "$r.pc" "$r.pm.json"
		ADD_MS=$(awk -v a="$ADD_MS" -v b="$LAST_MS" 'BEGIN{printf "%.2f", a + b}')
		ADD_RC=$((ADD_RC + LAST_RC))
	else
		netd_conf "$hp" >"$r.nc"
		exec_plugin ADD "$id" "$ns" "$P" "$r.nc" "$r.json"
		ADD_MS=$LAST_MS ADD_RC=$LAST_RC
	fi
}

# del ID NETNS HOSTPORT(0: none) -> DEL_MS, DEL_RC (configs carry the ADD's result, as libcni sends)
del() {
	local id=$1 ns=$2 hp=$3 r=$W/res/$1 a=0 rc=0
	if [ "$KIND" = ref ]; then
		if [ "$hp" != 0 ]; then
			exec_plugin DEL "$id" "$ns" "$REF/portmap" "$r.pc" "$r.out"
			a=$LAST_MS rc=$LAST_RC
		fi
		ref_bridge_conf "$r.json" >"$r.bd"
		exec_plugin DEL "$id" "$ns" "$REF/bridge" "$r.bd" "$r.out"
		DEL_MS=$(awk -v a="$a" -v b="$LAST_MS" 'BEGIN{printf "%.2f", a + b}')
		DEL_RC=$((rc + LAST_RC))
	else
		netd_conf "$hp" "$r.json" >"$r.nd"
		exec_plugin DEL "$id" "$ns" "$P" "$r.nd" "$r.out"
		DEL_MS=$LAST_MS DEL_RC=$LAST_RC
	fi
}

# record PHASE KIND IDX MS RC
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$TSV"; }

# latency PHASE PORT: RUNS containers, one at a time, ADD then DEL; the others stay as they are
latency() {
	local ph=$1 port=$2 i hp=0
	for ((i = 1; i <= RUNS; i++)); do
		[ "$port" = 1 ] && hp=$((30000 + i))
		add "lat$i" "lat$i" "$hp"
		record "$ph" ADD "$i" "$ADD_MS" "$ADD_RC"
		del "lat$i" "lat$i" "$hp"
		record "$ph" DEL "$i" "$DEL_MS" "$DEL_RC"
	done
}

# fill FROM TO: sequential ADDs without ports; IDX = containers present before this ADD
fill() {
	local i
	for ((i = $1; i <= $2; i++)); do
		add "s$i" "s$i" 0
		record fill ADD $((i - 1)) "$ADD_MS" "$ADD_RC"
	done
}

# exec_floor: netd-cni VERSION (its own exec: no config, no kernel) and a static `int main(){}`,
# interleaved with the same timing as the plugin calls (rows: exec cost, ADD/DEL vs VERSION)
exec_floor() {
	local i e=$W/empty us rc
	printf 'int main(void) { return 0; }\n' >"$W/empty.c"
	cc -O2 -static -o "$e" "$W/empty.c" 2>/dev/null || cc -O2 -o "$e" "$W/empty.c"
	for ((i = 1; i <= RUNS; i++)); do
		exec_plugin VERSION x lat1 "$P" /dev/null "$W/v.out"
		record floor VERSION "$i" "$LAST_MS" "$LAST_RC"
		exec_plugin VERSION x lat1 "$e" /dev/null "$W/e.out"
		record floor EMPTY "$i" "$LAST_MS" "$LAST_RC"
	done
}

if [ "${1:-}" = __set ]; then
	lab_enter "$@"
	SET=$2
	KIND=${SET%-ds} # netd or ref
	DS=0
	[ "$KIND" = "$SET" ] || DS=1
	[ "$DS" = 1 ] && N=$DS_N
	W=$LAB_DIR/bench
	TSV=$OUT/$SET.tsv
	mkdir -p "$W/res" "$W/hl"
	: >"$TSV"
	for ((i = 1; i <= RUNS; i++)); do ip netns add "lat$i"; done
	for ((i = 1; i <= N; i++)); do ip netns add "s$i"; done
	wait_quiet
	t0=${EPOCHREALTIME/./}
	add warm lat1 0 # the first ADD creates the bridge, chains, table: not measured
	del warm lat1 0
	[ "$DS" = 1 ] || latency lat0 0
	latency port 1
	[ "$SET" = netd ] && exec_floor
	fill 1 1
	latency lat1 0
	fill 2 "$N"
	latency "lat$N" 0
	echo "# $SET: $(awk -F'\t' '$5 != 0' "$TSV" | wc -l) failed calls, $(($(ms_since "$t0" | cut -d. -f1) / 1000)) s"
	exit 0
fi

for s in $SETS; do
	case $s in netd | ref | netd-ds | ref-ds) ;; *)
		echo "CNI_SETS: no set \"$s\" (netd ref netd-ds ref-ds)" >&2
		exit 2
		;;
	esac
done
for b in "$P" "$REF/bridge" "$REF/host-local" "$REF/portmap"; do
	[ -x "$b" ] || {
		echo "missing $b (make; scripts/install-deps.sh installs containernetworking-plugins)" >&2
		exit 2
	}
done
export SPAWN=$BENCH_DATA/spawn
cc -O2 -o "$SPAWN" "$TOP/tests/bench/spawn.c" || exit 2
echo "# cni: netd-cni vs $REF bridge+host-local+portmap ($(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null)); RUNS=$RUNS, N=$N, DS_N=$DS_N, sets: $SETS"
rc=0
for s in $SETS; do
	bash "$0" __set "$s" || rc=1
done

col() { # SET PHASE KIND -> median of the successful calls
	awk -F'\t' -v p="$2" -v k="$3" '$1==p && $2==k && $5==0 {print $4}' "$OUT/$1.tsv" 2>/dev/null | p50
}
fails() { cat "$OUT"/*.tsv 2>/dev/null | awk -F'\t' '$5!=0' | wc -l; }
trio=bridge+host-local
for k in ADD DEL; do
	o=$(col netd lat0 $k) a=$(col ref lat0 $k)
	emit_row key="cni_${k,,}" metric="CNI $k, no ports" unit=ms ours="$o" anchor="$a" \
		anchor_name="$trio" ratio="$(div "$a" "$o")" ratio_desc="anchor/ours (x faster)" \
		target="$([ $k = ADD ] && echo '>= 15')" target_on=ratio n="$RUNS"
	o=$(col netd port $k) a=$(col ref port $k)
	emit_row key="cni_${k,,}_port" metric="CNI $k, one port" unit=ms ours="$o" anchor="$a" \
		anchor_name="$trio+portmap" ratio="$(div "$a" "$o")" ratio_desc="anchor/ours (x faster)" \
		target="$([ $k = ADD ] && echo '>= 25' || echo '>= 15')" target_on=ratio n="$RUNS"
done
# The floor: the plugin's own exec (VERSION) and a static empty program's, in the same run.
v=$(col netd floor VERSION) e=$(col netd floor EMPTY)
emit_row key=cni_exec metric="exec cost, netd-cni VERSION vs a static int main(){}" unit=ms \
	ours="$v" anchor="$e" anchor_name="static int main(){}" ratio="$(div "$v" "$e")" \
	ratio_desc="ours/empty" target= n="$RUNS"
for k in DEL ADD; do
	ph=lat0 lim=1 name="no ports"
	[ $k = ADD ] && ph=port lim=1.5 name="one port"
	o=$(col netd $ph $k)
	d=$(awk -v a="$o" -v b="$v" 'BEGIN{ if (a == "nan" || b == "nan") print "nan"; else printf "%.3f\n", a - b }')
	emit_row key="cni_${k,,}_over_version" metric="CNI $k ($name) above netd-cni VERSION, same run" \
		unit=ms ours="$d" anchor="$v" anchor_name="netd-cni VERSION" ratio="$d" \
		ratio_desc="ms above VERSION" target="<= $lim" target_on=ratio n="$RUNS" \
		note="$k median $o ms$([ $k = DEL ] && echo '; target: <= 3 ms, or within 1 ms of VERSION')"
done
for ph in lat1 "lat$N"; do
	o=$(col netd "$ph" ADD) a=$(col ref "$ph" ADD)
	emit_row key="cni_add_at${ph#lat}" metric="CNI ADD, ${ph#lat} other container(s) present" unit=ms \
		ours="$o" anchor="$a" anchor_name="$trio" ratio="$(div "$a" "$o")" \
		ratio_desc="anchor/ours (x faster)" target= n="$RUNS"
done
go=$(div "$(col netd "lat$N" ADD)" "$(col netd lat1 ADD)")
ga=$(div "$(col ref "lat$N" ADD)" "$(col ref lat1 ADD)")
emit_row key=cni_growth metric="CNI ADD growth, 1 -> $N containers" unit=x ours="$go" anchor="$ga" \
	anchor_name="$trio" ratio="$go" ratio_desc="ours at $N / ours at 1" target="<= 1.2" \
	target_on=ratio n="$RUNS"

# Dual stack: one IPv4 and one IPv6 range set, one port mapping (published on both families).
if [[ " $SETS " == *" netd-ds "* ]]; then
	trio_ds="$trio (two range sets)"
	for k in ADD DEL; do
		o=$(col netd-ds port $k) a=$(col ref-ds port $k)
		emit_row key="cni_ds_${k,,}_port" metric="CNI $k, dual stack, one port" unit=ms ours="$o" \
			anchor="$a" anchor_name="$trio_ds+portmap" ratio="$(div "$a" "$o")" \
			ratio_desc="anchor/ours (x faster)" target= n="$RUNS"
	done
	o=$(col netd-ds port ADD) a=$(col netd port ADD)
	emit_row key=cni_ds_add_vs_v4 metric="CNI ADD (one port), dual stack vs IPv4 only, ours" unit=ms \
		ours="$o" anchor="$a" anchor_name="ours, IPv4 only" ratio="$(div "$o" "$a")" \
		ratio_desc="dual stack/IPv4" target="<= 1.3" target_on=ratio n="$RUNS"
	for ph in lat1 "lat$DS_N"; do
		o=$(col netd-ds "$ph" ADD) a=$(col ref-ds "$ph" ADD)
		emit_row key="cni_ds_add_at${ph#lat}" metric="CNI ADD, dual stack, ${ph#lat} other container(s) present" \
			unit=ms ours="$o" anchor="$a" anchor_name="$trio_ds" ratio="$(div "$a" "$o")" \
			ratio_desc="anchor/ours (x faster)" target= n="$RUNS"
	done
	go=$(div "$(col netd-ds "lat$DS_N" ADD)" "$(col netd-ds lat1 ADD)")
	ga=$(div "$(col ref-ds "lat$DS_N" ADD)" "$(col ref-ds lat1 ADD)")
	emit_row key=cni_ds_growth metric="CNI ADD growth, dual stack, 1 -> $DS_N containers" unit=x \
		ours="$go" anchor="$ga" anchor_name="$trio_ds" ratio="$go" \
		ratio_desc="ours at $DS_N / ours at 1" target="<= 1.2" target_on=ratio n="$RUNS"
fi

# the curve: median ADD latency per bin of 25 containers present, ours and the trio's
BIN=${BENCH_BIN:-25}
for s in netd ref; do
	awk -F'\t' -v b="$BIN" '$1=="fill" && $5==0 {print int($3 / b), $4}' "$OUT/$s.tsv" 2>/dev/null |
		sort -k1,1n -k2,2g | awk -v b="$BIN" '
		function flush() { if (n) { m = (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2; printf "%d %.3f\n", k * b + b / 2, m } }
		$1 != k && NR > 1 { flush(); n = 0 }
		{ k = $1; v[++n] = $2 } END { flush() }' >"$OUT/curve-$s.dat"
done
awk 'FNR == NR { r[$1] = $2; next } { print $1, $2, ($1 in r) ? r[$1] : "nan" }' \
	"$OUT/curve-ref.dat" "$OUT/curve-netd.dat" >"$BENCH_DATA/growth.dat"
nf=$(fails)
echo "# cni: $nf failed plugin calls"
[ "$rc" = 0 ] && [ "$nf" = 0 ]
