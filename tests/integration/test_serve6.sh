#!/bin/bash
# `netd serve` puts table ip6 netd back (issue 14): a dual-stack network, two endpoints with
# `-p` published on both families, serve running; after `nft flush ruleset`, and again after
# `nft delete table ip6 netd` alone, serve rebuilds the table within a bounded wait, each
# family's publish maps hold as many elements as the records hold ports of that family, and
# curl from an external namespace to the published ports over IPv6 (and IPv4) answers.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

PIDS=()
SERVE=
stop_all() {
	local rc=$?
	[ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	return $rc
}
trap 'stop_all; lab_exit' EXIT

# Elements of one table's publish maps: count_elems ip|ip6
count_elems() {
	nft -j list table "$1" netd 2>/dev/null | python3 -c '
import json,sys
try: d=json.load(sys.stdin)
except Exception: print(0); sys.exit()
print(sum(len(o["map"].get("elem",[])) for o in d.get("nftables",[]) if "map" in o and o["map"]["name"].startswith("pub")))'
}
# Ports the endpoint records hold, per family: record_ports 4|6 (record line "port=PROTO HOST
# HOSTPORT CTRPORT"; an IPv6 host address has a colon).
record_ports() {
	local re='^port=[a-z]+ [^ :]+ '
	[ "$1" = 6 ] && re='^port=[a-z]+ [^ ]*:[^ ]* '
	cat "$NETD_STATE_DIR"/networks/*/endpoints/* 2>/dev/null | grep -cE "$re"
}
# The kernel's handle of a table (a new one each time it is made): handle ip|ip6
handle() { nft -a list table "$1" netd 2>/dev/null | sed -n 's/^table .*# handle \([0-9]*\)$/\1/p'; }
get() { # NS URL: the body, or FAIL
	ip netns exec "$1" curl -sS -g --max-time 2 "$2" 2>/dev/null || echo FAIL
}

HOST4=192.168.58.1
HOST6=2001:db8:58::1
EXT6=2001:db8:58::2
lab_ext $HOST4 $HOST6 192.168.58.2 $EXT6

check "network create ds with both subnets" \
	"$NETD" network create ds --subnet 10.88.0.0/24 --subnet fd88::/64
for c in c1 c2; do
	mkns $c
	mkdir -p "$LAB_DIR/www-$c"
	echo "hello from $c" >"$LAB_DIR/www-$c/index.html"
	ip netns exec $c python3 -m http.server --bind :: --directory "$LAB_DIR/www-$c" 80 \
		>/dev/null 2>&1 &
	PIDS+=($!)
	wait_until 50 sh -c "ip netns exec $c ss -ltn | grep -q ':80 '"
done
check "attach c1 -p 8080:80" "$NETD" attach ds --netns /run/netns/c1 --id c1 -p 8080:80
check "attach c2 -p 8081:80 -p [::]:8082:80" \
	"$NETD" attach ds --netns /run/netns/c2 --id c2 -p 8081:80 -p "[::]:8082:80"
N4=$(record_ports 4)
N6=$(record_ports 6)
check_eq "the records hold 2 IPv4 and 3 IPv6 ports" "2 3" "$N4 $N6"
check_eq "the maps hold as many" "$N4 $N6" "$(count_elems ip) $(count_elems ip6)"

"$NETD" serve 2>"$LAB_DIR/serve.err" &
SERVE=$!
check "serve is watching" wait_until 50 grep -q 'watching link events' "$LAB_DIR/serve.err"

# (functions, so that every try looks again)
v6_back() { test "$(count_elems ip6)" = "$N6"; }
v4_back() { test "$(count_elems ip)" = "$N4"; }
answers() { # PORT HOST CTR
	test "$(get ext "http://$2:$1/")" = "hello from $3"
}

# (serve may be quicker than a look at the empty tables: the new handles tell they were made
# again)
H4=$(handle ip)
H6=$(handle ip6)
check "the tables' handles are read" test -n "$H4" -a -n "$H6"
nft flush ruleset
check "...table ip6 netd is back within 3 s" wait_until 30 nft list table ip6 netd
check "...with one element per IPv6 port of the records ($N6)" wait_until 30 v6_back
check "...and table ip netd with its $N4" wait_until 30 v4_back
check "...both made again (new handles)" test "$(handle ip)" != "$H4" -a "$(handle ip6)" != "$H6"
check "...curl over IPv6 to [$HOST6]:8080 reaches c1" answers 8080 "[$HOST6]" c1
check "...curl over IPv6 to [$HOST6]:8081 reaches c2" answers 8081 "[$HOST6]" c2
check "...curl over IPv6 to [$HOST6]:8082 reaches c2" answers 8082 "[$HOST6]" c2
check "...curl over IPv4 to $HOST4:8080 reaches c1" answers 8080 $HOST4 c1

H4=$(handle ip)
H6=$(handle ip6)
nft delete table ip6 netd
check "...table ip6 netd is back within 3 s" wait_until 30 nft list table ip6 netd
check "...with its $N6 elements" wait_until 30 v6_back
check "...made again (a new handle)" test "$(handle ip6)" != "$H6"
check_eq "...table ip netd untouched: its handle and its $N4 elements" "$H4 $N4" \
	"$(handle ip) $(count_elems ip)"
check "...curl over IPv6 to [$HOST6]:8080 reaches c1" answers 8080 "[$HOST6]" c1
check "...curl over IPv6 to [$HOST6]:8082 reaches c2" answers 8082 "[$HOST6]" c2
check "...curl over IPv4 to $HOST4:8081 reaches c2" answers 8081 $HOST4 c2
check "...hairpin over IPv6 (set nets back): c1 -> [$HOST6]:8081 reaches c2" \
	test "$(get c1 "http://[$HOST6]:8081/")" = "hello from c2"
check "serve said it restored both tables" grep -q 'ip6 netd .*restored from state' "$LAB_DIR/serve.err"
check_eq "serve printed no error" "" "$(grep -v -e 'watching link events' -e 'restored from state' \
	"$LAB_DIR/serve.err")"

kill -TERM "$SERVE"
wait "$SERVE"
check_eq "SIGTERM: serve exits 0" 0 "$?"
SERVE=
finish
