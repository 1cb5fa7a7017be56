#!/bin/bash
# Benchmark: netd-cni against the reference trio it replaces (bridge + host-local + portmap,
# Debian's containernetworking-plugins), same workload, same run, same lab host:
#   - ADD and DEL latency, one tcp port mapping per container, with 0 and with N (500) other
#     containers present (each of those with its own mapping);
#   - 64 ADDs in parallel: 64 distinct addresses, every one answers ping from the host.
# Plugins are exec'd as a runtime does (CNI_* env, config on stdin, prevResult for the chained
# portmap and for DEL), timed per exec with bash's $EPOCHREALTIME, as
# ../shared/anchors/cni-bridge-anchors.sh measured the trio. Prints medians and the ratios.
#
# Root. Everything happens inside a throwaway lab host (tests/lib.sh lab_enter).
# Env: BUILD (default build: a release build), RUNS=30, BENCH_N=500, PAR_N=64,
#      REF_DIR=/usr/lib/cni (ANC_CNI_PATH is honoured too), BENCH_OUT=file (keep raw TSV).
BUILD=${BUILD:-build}
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

RUNS=${RUNS:-30}
N=${BENCH_N:-500}
PAR_N=${PAR_N:-64}
REF=${REF_DIR:-${ANC_CNI_PATH:-/usr/lib/cni}}
P=$BUILD/netd-cni
W=$LAB_DIR/bench
mkdir -p "$W/res" "$W/hl"
TSV=$W/times.tsv
: >"$TSV"

for b in "$P" "$REF/bridge" "$REF/host-local" "$REF/portmap"; do
	[ -x "$b" ] || {
		echo "missing $b (make; scripts/install-deps.sh installs containernetworking-plugins)" >&2
		exit 2
	}
done
command -v jq >/dev/null || {
	echo "jq is needed" >&2
	exit 2
}

# exec_plugin CMD ID NETNS PLUGIN CONF OUT -> LAST_MS (ms, 2 decimals), LAST_RC
exec_plugin() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$3 CNI_IFNAME=eth0 CNI_PATH=$REF \
		"$4" <"$5" >"$6" 2>"$6.err"
	LAST_RC=$?
	t1=${EPOCHREALTIME/./}
	LAST_MS=$(((t1 - t0) / 10))
	LAST_MS=$(printf '%d.%02d' $((LAST_MS / 100)) $((LAST_MS % 100)))
	if [ "$LAST_RC" != 0 ]; then
		echo "  ! $1 ${4##*/} $2 rc=$LAST_RC: $(head -c 300 "$6") $(head -c 300 "$6.err")" >&2
	fi
}

ref_bridge_conf() { # [PREV]
	jq -c -n --arg d "$W/hl" --slurpfile p "${1:-/dev/null}" \
		'{cniVersion:"1.0.0",name:"bench-ref",type:"bridge",bridge:"bref0",isGateway:true,ipMasq:true,
		  ipam:{type:"host-local",ranges:[[{subnet:"10.200.0.0/16"}]],routes:[{dst:"0.0.0.0/0"}],dataDir:$d}}
		 + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}
ref_portmap_conf() { # HOSTPORT PREV
	jq -c -n --argjson hp "$1" --slurpfile p "$2" \
		'{cniVersion:"1.0.0",name:"bench-ref",type:"portmap",capabilities:{portMappings:true},snat:true,
		  runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]},prevResult:$p[0]}'
}
netd_conf() { # HOSTPORT [PREV]
	jq -c -n --argjson hp "$1" --slurpfile p "${2:-/dev/null}" \
		'{cniVersion:"1.0.0",name:"bench-netd",type:"netd-cni",bridge:"bnd0",isGateway:true,ipMasq:true,
		  capabilities:{portMappings:true},
		  ipam:{type:"netd",ranges:[[{subnet:"10.201.0.0/16"}]],routes:[{dst:"0.0.0.0/0"}]},
		  runtimeConfig:{portMappings:[{hostPort:$hp,containerPort:80,protocol:"tcp"}]}}
		 + (if ($p|length) > 0 then {prevResult:$p[0]} else {} end)'
}

# add SET ID NETNS HOSTPORT -> ADD_MS (the whole chain), ADD_RC
add() {
	local set=$1 id=$2 ns=$3 hp=$4 r=$W/res/$1-$2
	if [ "$set" = ref ]; then
		ref_bridge_conf >"$r.bc"
		exec_plugin ADD "$id" "$ns" "$REF/bridge" "$r.bc" "$r.json"
		local a=$LAST_MS rc=$LAST_RC
		ref_portmap_conf "$hp" "$r.json" >"$r.pc"
		exec_plugin ADD "$id" "$ns" "$REF/portmap" "$r.pc" "$r.pm.json"
		ADD_MS=$(awk -v a="$a" -v b="$LAST_MS" 'BEGIN{printf "%.2f", a + b}')
		ADD_RC=$((rc + LAST_RC))
	else
		netd_conf "$hp" >"$r.nc"
		exec_plugin ADD "$id" "$ns" "$P" "$r.nc" "$r.json"
		ADD_MS=$LAST_MS ADD_RC=$LAST_RC
	fi
}

# del SET ID NETNS HOSTPORT -> DEL_MS, DEL_RC (configs carry the ADD's result, as libcni sends)
del() {
	local set=$1 id=$2 ns=$3 hp=$4 r=$W/res/$1-$2
	if [ "$set" = ref ]; then
		exec_plugin DEL "$id" "$ns" "$REF/portmap" "$r.pc" "$r.out"
		local a=$LAST_MS rc=$LAST_RC
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

p50() { sort -g | awk '{v[NR]=$1} END{if(!NR){print "nan"; exit} if(NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
col() { # SET PHASE KIND -> median
	awk -F'\t' -v s="$1" -v p="$2" -v k="$3" '$1==s && $2==p && $3==k && $5==0 {print $4}' "$TSV" | p50
}
fails() { awk -F'\t' '$5!=0' "$TSV" | wc -l; }

# latency SET PHASE: RUNS containers, one at a time, ADD then DEL; the others stay as they are
latency() {
	local set=$1 phase=$2 i
	for ((i = 1; i <= RUNS; i++)); do
		add "$set" "lat$i" "lat$i" $((30000 + i))
		printf '%s\t%s\tADD\t%s\t%s\n' "$set" "$phase" "$ADD_MS" "$ADD_RC" >>"$TSV"
		del "$set" "lat$i" "lat$i" $((30000 + i))
		printf '%s\t%s\tDEL\t%s\t%s\n' "$set" "$phase" "$DEL_MS" "$DEL_RC" >>"$TSV"
	done
}

echo "# cni bench: netd-cni ($P) vs $REF bridge+host-local+portmap ($(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null)); kernel $(uname -r), nproc $(nproc), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# RUNS=$RUNS per point, N=$N containers present at the second point, one tcp port mapping per container"
for ((i = 1; i <= RUNS; i++)); do ip netns add "lat$i"; done
for ((i = 1; i <= N; i++)); do ip netns add "s$i"; done

for set in ref netd; do
	# warm up: first ADD creates bridge, table/chains; not measured
	add "$set" warm lat1 29999
	del "$set" warm lat1 29999
	latency "$set" at0
	t0=${EPOCHREALTIME/./}
	for ((i = 1; i <= N; i++)); do
		add "$set" "s$i" "s$i" $((20000 + i))
		printf '%s\tfill\tADD\t%s\t%s\n' "$set" "$ADD_MS" "$ADD_RC" >>"$TSV"
	done
	echo "# $set: $N ADDs in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
	latency "$set" "at$N"
	for ((i = 1; i <= N; i++)); do
		del "$set" "s$i" "s$i" $((20000 + i))
		printf '%s\tdrain\tDEL\t%s\t%s\n' "$set" "$DEL_MS" "$DEL_RC" >>"$TSV"
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
echo
printf '%-28s %12s %12s %9s\n' "median ms (1 port mapping)" "trio" "netd-cni" "ratio"
for ph in at0 "at$N"; do
	for k in ADD DEL; do
		r=$(col ref "$ph" "$k")
		n=$(col netd "$ph" "$k")
		printf '%-28s %12s %12s %9s\n' "$k with ${ph#at} present" "$r" "$n" "$(ratio "$r" "$n")"
	done
done
for set in ref netd; do
	a0=$(col "$set" at0 ADD)
	aN=$(col "$set" "at$N" ADD)
	d0=$(col "$set" at0 DEL)
	dN=$(col "$set" "at$N" DEL)
	printf 'growth %-6s ADD %s -> %s ms (%s), DEL %s -> %s ms (%s)\n' "$set" "$a0" "$aN" \
		"$(ratio "$aN" "$a0")" "$d0" "$dN" "$(ratio "$dN" "$d0")"
done
echo "failed calls: $(fails)"

# ---- parallel: PAR_N ADDs at once on netd-cni
for ((i = 1; i <= PAR_N; i++)); do ip netns add "par$i"; done
t0=${EPOCHREALTIME/./}
for ((i = 1; i <= PAR_N; i++)); do
	netd_conf $((40000 + i)) >"$W/res/par$i.nc"
	CNI_COMMAND=ADD CNI_CONTAINERID="par$i" CNI_NETNS="/run/netns/par$i" CNI_IFNAME=eth0 \
		"$P" <"$W/res/par$i.nc" >"$W/res/par$i.json" 2>"$W/res/par$i.err" &
done
wait
wall=$(((${EPOCHREALTIME/./} - t0) / 1000))
addrs=$(for ((i = 1; i <= PAR_N; i++)); do jq -r '.ips[0].address // empty' "$W/res/par$i.json" 2>/dev/null; done)
got=$(printf '%s\n' "$addrs" | grep -c .)
uniq=$(printf '%s\n' "$addrs" | grep . | sort -u | wc -l)
pings=0
for a in $addrs; do ping -c1 -W2 "${a%/*}" >/dev/null 2>&1 && pings=$((pings + 1)); done
echo "parallel: $PAR_N ADDs at once in $wall ms: $got with an address, $uniq distinct, $pings answer ping"
t0=${EPOCHREALTIME/./}
for ((i = 1; i <= PAR_N; i++)); do
	netd_conf $((40000 + i)) "$W/res/par$i.json" >"$W/res/par$i.nd"
	CNI_COMMAND=DEL CNI_CONTAINERID="par$i" CNI_NETNS="/run/netns/par$i" CNI_IFNAME=eth0 \
		"$P" <"$W/res/par$i.nd" >/dev/null 2>&1 &
done
wait
echo "parallel: $PAR_N DELs at once in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms; veths left: $(count_veths), leases left: $(count_leases)"
[ -n "${BENCH_OUT:-}" ] && cp "$TSV" "$BENCH_OUT"
[ "$uniq" -eq "$PAR_N" ] && [ "$pings" -eq "$PAR_N" ] && [ "$(fails)" -eq 0 ]
