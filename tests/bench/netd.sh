#!/bin/bash
# Publish cost at the first published port and with 10,000 published ports, two ways:
#   - lib level: tests/bench/publat.c times netd_nat_publish/unpublish of one tcp port (one map
#     element in one nf_tables batch), in a fresh netns, with 0 and then BG_PORTS other elements;
#   - CLI level: `netd attach -p 18080:80` + `netd detach` of one namespace, with no other port
#     and then with BG_PORTS ports published by other endpoints (BG_CHUNK ports each).
# Runs in a lab host. Writes rows to $BENCH_ROWS. Env: BUILD (default build), RUNS=30 (CLI),
# PUB_SAMPLES=200 (lib), BG_PORTS=10000, BG_CHUNK=200.
BUILD=${BUILD:-build}
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/bench/common.sh"
RUNS=${RUNS:-30}
PUB_SAMPLES=${PUB_SAMPLES:-200}
BG=${BG_PORTS:-10000}
CHUNK=${BG_CHUNK:-200}
OUT=$BENCH_DATA/netd
PUBLAT=$OUT/publat
mkdir -p "$OUT"

if [ -z "${NETD_LAB:-}" ]; then # outside the lab: build the lib-level probe against libnetd.a
	PK="libnl-route-3.0 libnl-3.0 libmnl libnftnl jansson"
	# shellcheck disable=SC2046
	cc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$TOP/include" -I"$TOP/netd/lib" \
		$(pkg-config --cflags $PK) -o "$PUBLAT" "$TOP/tests/bench/publat.c" "$BUILD/libnetd.a" \
		$(pkg-config --libs $PK) || exit 1
fi
lab_enter "$@"
T=$OUT/cli.tsv
: >"$T"

# sample PHASE: RUNS attach -p 18080:80 / detach pairs of endpoint "probe"
sample() {
	local i t0 ta
	for ((i = 1; i <= RUNS; i++)); do
		t0=${EPOCHREALTIME/./}
		"$NETD" attach bench --netns /run/netns/probe --id probe -p 18080:80 >/dev/null || return 1
		ta=$(ms_since "$t0")
		t0=${EPOCHREALTIME/./}
		"$NETD" detach bench --id probe || return 1
		printf '%s\tattach\t%s\n%s\tdetach\t%s\n' "$1" "$ta" "$1" "$(ms_since "$t0")" >>"$T"
	done
}

"$NETD" network create bench --subnet 10.60.0.0/16 >/dev/null || exit 1
mkns probe
wait_quiet
"$NETD" attach bench --netns /run/netns/probe --id probe >/dev/null && "$NETD" detach bench --id probe
sample first || exit 1
t0=${EPOCHREALTIME/./}
for ((b = 0; b < BG; b += CHUNK)); do
	lo=$((20000 + b)) hi=$((20000 + b + CHUNK - 1))
	[ $((b + CHUNK)) -gt "$BG" ] && hi=$((20000 + BG - 1))
	ip netns add "bg$b"
	"$NETD" attach bench --netns "/run/netns/bg$b" --id "bg$b" -p "$lo-$hi:$lo-$hi" >/dev/null || exit 1
done
have=$(count_map_elements)
echo "# $have ports published by $(((BG + CHUNK - 1) / CHUNK)) endpoints in $(ms_since "$t0") ms"
[ "$have" -ge "$BG" ] || {
	echo "netd.sh: only $have of $BG ports published" >&2
	exit 1
}
sample "at$BG" || exit 1

# lib level, in a fresh netns of its own (no CLI ports there)
L=$OUT/lib.tsv
unshare --net "$PUBLAT" "$BG" "$PUB_SAMPLES" >"$L" || exit 1

med() { awk -F'\t' -v p="$2" -v k="$3" '$1==p && $2==k {print $3}' "$1" | p50; }
for k in publish unpublish; do
	a=$(med "$L" first $k) o=$(med "$L" "at$BG" $k)
	emit_row key="lib_$k" metric="lib $k of one port, $BG published vs first" unit=us \
		ours="$o" anchor="$a" anchor_name="ours, first port" ratio="$(div "$o" "$a")" \
		ratio_desc="at $BG / first" target="$([ $k = publish ] && echo '<= 1.2')" target_on=ratio \
		n="$PUB_SAMPLES"
done
a=$(med "$T" first attach) o=$(med "$T" "at$BG" attach)
emit_row key=cli_attach_port metric="netd attach -p (one port), $BG published vs first" unit=ms \
	ours="$o" anchor="$a" anchor_name="ours, first port" ratio="$(div "$o" "$a")" \
	ratio_desc="at $BG / first" target="<= 1.2" target_on=ratio n="$RUNS"
a=$(med "$T" first detach) o=$(med "$T" "at$BG" detach)
emit_row key=cli_detach_port metric="netd detach (one port), $BG published vs first" unit=ms \
	ours="$o" anchor="$a" anchor_name="ours, first port" ratio="$(div "$o" "$a")" \
	ratio_desc="at $BG / first" target= target_on=ratio n="$RUNS"
