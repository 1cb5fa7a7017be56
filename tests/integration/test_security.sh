#!/bin/bash
# Security checks, as tests, in a lab host:
#  1. Names from outside (container ids, network names, ifnames, the CNI config's "name",
#     nsbox --name/--network and the names nsbox rm/logs/stop/exec take) with "../", "/", control
#     bytes, spaces, overlong, empty or a leading dash are refused with a clear error, by every
#     front end, and create, change or delete nothing: the state and config dirs are byte for byte
#     as before, a canary outside them survives, no file named after the attack appears anywhere.
#     Names right at the length limits are accepted (so the refusals are about the names).
#  2. CVE-2020-8558: a port published on 127.0.0.1 (and one on every address) is not reachable
#     at 127.0.0.1 from a neighbour namespace that routes 127.0.0.0/8 at the host, with
#     route_localnet on at the host's side as kube-proxy sets it, nor from a container on the same
#     or another network doing the same through its gateway. A probe counts the packets arriving
#     so these cannot pass by the packets never being sent; from the host's own loopback the port
#     answers.
#  3. Containers of different networks cannot reach each other (TCP both ways, ICMP), while
#     containers of one network can.
# Covered elsewhere and not repeated: one traversal id/network on attach/create (test_netd.sh),
# the natprobe-level route_localnet guard (test_nat.sh).
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

CNI=$BUILD/netd-cni
NSBOX=$BUILD/nsbox
WWW=$LAB_DIR/www
OUTSIDE=$LAB_DIR/outside
ERR=$LAB_DIR/err.txt
PIDS=()
cleanup_pids() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap 'cleanup_pids; lab_exit' EXIT
mkdir -p "$WWW" "$OUTSIDE" "$LAB_DIR/cni-bin"
echo canary >"$OUTSIDE/canary"
echo "secret page" >"$WWW/index.html"

# Every file under the state and config dirs and the outside dir, with content hashes.
snapshot() {
	find "$NETD_STATE_DIR" "$NETD_CONFIG_DIR" "$OUTSIDE" -mindepth 1 -not -name '*.lock' \
		-not -name lock -printf '%y %p %s\n' 2>/dev/null | sort
	find "$NETD_STATE_DIR" "$NETD_CONFIG_DIR" "$OUTSIDE" -type f -not -name '*.lock' \
		-not -name lock -exec md5sum {} + 2>/dev/null | sort
}
# Files named after the attack, wherever a traversal could have put them.
evil_files() {
	find "$LAB_DIR" /tmp /etc /run /var/lib -xdev -name '*sec-evil*' 2>/dev/null | wc -l
}

# ---- setup: two networks, a namespace ready to attach, a rootfs for nsbox ----
check "network create sec1" "$NETD" network create sec1 --subnet 10.61.0.0/24
check "network create sec2" "$NETD" network create sec2 --subnet 10.62.0.0/24
mkns v1
ROOTFS=$LAB_DIR/rootfs
"$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null 2>&1 || not_ok "mkrootfs"
# So that ../../ from the state dir lands in a place we can watch.
mkdir -p "$NETD_STATE_DIR/networks/sec1" "$NETD_STATE_DIR/nsbox"

LONG=$(printf 'a%.0s' $(seq 200))
BAD=(
	"../sec-evil" "../../../../../../tmp/sec-evil" "../../outside/canary" "a/sec-evil"
	"/tmp/sec-evil" "." ".." "-sec-evil" "sec-evil/.." $'sec-evil\x01' $'sec-evil\nx'
	$'sec-evil\x1b[2J' "sec evil" "sec-evil*" $'sec-evil\xc3\xa9' "$LONG" ""
)
# Overlong by one, in the right alphabet: the length check itself.
ID129=$(printf 'i%.0s' $(seq 129))
NET65=$(printf 'n%.0s' $(seq 65))
IF16=$(printf 'f%.0s' $(seq 16))

# refused NAME CMD...: CMD exits non-zero with an error that says what is wrong, one line at least.
refused() {
	local name=$1 rc=0
	shift
	"$@" >"$ERR.out" 2>"$ERR" </dev/null || rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name (accepted)"
	elif ! grep -qiE 'invalid|unknown option|unrecognized option|too long|empty|usage|want' \
		"$ERR" "$ERR.out"; then
		not_ok "$name (exit $rc, no clear error)"
		sed 's/^/#   /' "$ERR" | head -5
	else
		ok "$name"
	fi
}

# cni_refused NAME CMD ID IFNAME CONFIG: the spec's error object on stdout (code 4 or 7) naming
# the bad value, exit 1.
cni_refused() {
	local name=$1 rc=0
	printf '%s' "$5" | env CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_NETNS=/run/netns/v1 \
		CNI_IFNAME="$4" CNI_PATH="$LAB_DIR/cni-bin" "$CNI" >"$ERR.out" 2>"$ERR" || rc=$?
	if [ "$rc" -ne 1 ]; then
		not_ok "$name (exit $rc)"
	elif ! python3 - "$ERR.out" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["code"] in (4, 6, 7), d
m = d["msg"].lower()
assert any(w in m for w in ("invalid", "too long", "not set", "empty", "not valid json")), d
EOF
		not_ok "$name (no CNI error object with a clear message)"
		sed 's/^/#   /' "$ERR.out" | head -5
	else
		ok "$name"
	fi
}

cniconf() { # NAME -> a config JSON with that name (any bytes, escaped by python)
	python3 -c 'import json,sys; print(json.dumps({"cniVersion":"1.0.0","name":sys.argv[1],
"type":"netd-cni","bridge":"br-cs","isGateway":True,"ipam":{"type":"netd","subnet":"10.63.0.0/24",
"routes":[{"dst":"0.0.0.0/0"}]}}))' "$1"
}

# q NAME: printable, short, for test names
q() { printf '%q' "$1" | cut -c1-40; }
cni_ok_env() { case $1 in *$'\n'* | "") return 1 ;; esac; } # env: empty means unset

BEFORE=$(snapshot)
# Every bad name against the entry point of each front end for each kind of name ...
for b in "${BAD[@]}" "$NET65"; do
	refused "netd network create $(q "$b")" "$NETD" network create "$b" --subnet 10.70.0.0/24
	cni_refused "cni ADD config name $(q "$b")" ADD c1 eth0 "$(cniconf "$b")"
	refused "nsbox run --network $(q "$b")" "$NSBOX" run --network "$b" "$ROOTFS" /bin/true
done
for b in "${BAD[@]}" "$ID129"; do
	refused "netd attach --id $(q "$b")" "$NETD" attach sec1 --netns /run/netns/v1 --id "$b"
	cni_ok_env "$b" && cni_refused "cni ADD CNI_CONTAINERID=$(q "$b")" ADD "$b" eth0 \
		"$(cniconf cs)"
	refused "nsbox run --name $(q "$b")" "$NSBOX" run --network none --name "$b" "$ROOTFS" \
		/bin/true
done
for b in "${BAD[@]}" "$IF16"; do
	refused "netd attach --ifname $(q "$b")" "$NETD" attach sec1 --netns /run/netns/v1 --id v1 \
		--ifname "$b"
	cni_ok_env "$b" && cni_refused "cni ADD CNI_IFNAME=$(q "$b")" ADD c1 "$b" "$(cniconf cs)"
done
# ... and the worst of them against every other command that takes a name (read, delete, walk).
for b in "../../outside/canary" "../sec-evil" "/tmp/sec-evil" ".." "$LONG"; do
	refused "netd attach to network $(q "$b")" "$NETD" attach "$b" --netns /run/netns/v1 --id v1
	refused "netd network inspect $(q "$b")" "$NETD" network inspect "$b"
	refused "netd network rm $(q "$b")" "$NETD" network rm "$b" --force
	refused "netd detach from network $(q "$b")" "$NETD" detach "$b" --id v1
	refused "netd gc --network $(q "$b")" "$NETD" gc --network "$b"
	refused "netd ps --network $(q "$b")" "$NETD" ps --network "$b"
	refused "netd detach --id $(q "$b")" "$NETD" detach sec1 --id "$b"
	refused "netd check --id $(q "$b")" "$NETD" check sec1 --id "$b"
	refused "netd detach --ifname $(q "$b")" "$NETD" detach sec1 --id v1 --ifname "$b"
	cni_refused "cni DEL CNI_CONTAINERID=$(q "$b")" DEL "$b" eth0 "$(cniconf cs)"
	cni_refused "cni DEL CNI_IFNAME=$(q "$b")" DEL c1 "$b" "$(cniconf cs)"
	cni_refused "cni DEL config name $(q "$b")" DEL c1 eth0 "$(cniconf "$b")"
	refused "nsbox rm $(q "$b")" "$NSBOX" rm "$b"
	refused "nsbox logs $(q "$b")" "$NSBOX" logs "$b"
	refused "nsbox stop $(q "$b")" "$NSBOX" stop "$b"
	refused "nsbox exec $(q "$b")" "$NSBOX" exec "$b" /bin/true
done
# JSON can carry a NUL inside a string: the decoder refuses it.
cni_refused "cni ADD config name with \\u0000" ADD c1 eth0 \
	'{"cniVersion":"1.0.0","name":"sec\u0000../evil","type":"netd-cni"}'
check_eq "refusals: state and config dirs unchanged" "$BEFORE" "$(snapshot)"
check_eq "refusals: canary outside intact" canary "$(cat "$OUTSIDE/canary" 2>/dev/null)"
check_eq "refusals: no file named after the attack anywhere" 0 "$(evil_files)"
check_eq "refusals: no veth created" 0 "$(count_veths)"

# Names right at the limits are fine (so what was refused above was refused for its name).
ID128=$(printf 'i%.0s' $(seq 128))
NET64=$(printf 'n%.0s' $(seq 64))
IF15=$(printf 'f%.0s' $(seq 15))
check "128-character id and 15-character ifname attach" \
	"$NETD" attach sec1 --netns /run/netns/v1 --id "$ID128" --ifname "$IF15"
check "... and detach" "$NETD" detach sec1 --id "$ID128" --ifname "$IF15"
check "64-character network name (with a bridge name) is created" \
	"$NETD" network create "$NET64" --subnet 10.64.0.0/24 --bridge br-long
check "... and removed" "$NETD" network rm "$NET64"
check "names with '.', '_', '-' inside are fine" \
	"$NETD" attach sec1 --netns /run/netns/v1 --id a.b_c-d --ifname e_1.x-y
check "... and detach" "$NETD" detach sec1 --id a.b_c-d --ifname e_1.x-y

# ---- 2. CVE-2020-8558: 127.0.0.1-published ports from neighbours ----
# s1 (sec1) serves; s3 is its neighbour on sec1, s2 is on sec2, ext is a machine next to the host.
mkns s1
mkns s2
mkns s3
check "attach s1 with 127.0.0.1:8181:80 and 8282:80" \
	"$NETD" attach sec1 --netns /run/netns/s1 --id s1 -p 127.0.0.1:8181:80 -p 8282:80
check "attach s2 (sec2)" "$NETD" attach sec2 --netns /run/netns/s2 --id s2
check "attach s3 (sec1)" "$NETD" attach sec1 --netns /run/netns/s3 --id s3
S1IP=$(ip -n s1 -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
S2IP=$(ip -n s2 -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
ip netns exec s1 busybox httpd -f -p 80 -h "$WWW" &
PIDS+=($!)
ip netns exec s2 busybox httpd -f -p 80 -h "$WWW" &
PIDS+=($!)
for _ in $(seq 50); do
	[ -n "$(ip netns exec s1 ss -Hltn 'sport = :80')" ] &&
		[ -n "$(ip netns exec s2 ss -Hltn 'sport = :80')" ] && break
	sleep 0.1
done

ip link add ext0 type veth peer name ext1
ip netns add ext
ip link set ext1 netns ext
ip addr add 192.0.2.1/24 dev ext0
ip link set ext0 up
ip -n ext link set lo up
ip -n ext addr add 192.0.2.2/24 dev ext1
ip -n ext link set ext1 up
# The host accepts 127/8 from outside as far as routing goes, as with kube-proxy's
# route_localnet=1; only netd's own guard stands in the way.
echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet
echo 1 >/proc/sys/net/ipv4/conf/ext0/route_localnet

# route_127_at NS DEV GW: NS sends 127.0.0.0/8 to GW's MAC out DEV (its own local table moved
# behind a rule that keeps only locally received 127/8 local).
route_127_at() {
	ip netns exec "$1" sh -c "
		echo 1 > /proc/sys/net/ipv4/conf/$2/route_localnet &&
		echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet &&
		ip rule add pref 100 lookup local && ip rule del pref 0 &&
		ip rule add pref 10 to 127.0.0.0/8 iif lo lookup 100 &&
		ip route add 127.0.0.0/8 via $3 dev $2 onlink table 100"
}
check "ext routes 127/8 at the host" route_127_at ext ext1 192.0.2.1
check "s3 routes 127/8 at its gateway" route_127_at s3 eth0 10.61.0.1
check "s2 routes 127/8 at its gateway" route_127_at s2 eth0 10.62.0.1
nft -f - <<'EOF'
table ip secprobe {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		iifname "ext0" ip daddr 127.0.0.0/8 tcp flags syn counter
		iifname "sec1" ip daddr 127.0.0.0/8 tcp flags syn counter
		iifname "sec2" ip daddr 127.0.0.0/8 tcp flags syn counter
	}
}
EOF
probe_count() { # IFNAME -> SYNs to 127/8 seen arriving on it
	nft list chain ip secprobe pre | awk -v i="\"$1\"" '$2 == i { for (k = 1; k < NF; k++)
		if ($k == "packets") print $(k + 1) }'
}
get() { # NS URL -> the page or FAIL (NS "-" = the lab host)
	local out
	if [ "$1" = - ]; then
		out=$(curl -s --max-time 2 "$2") || out=FAIL
	else
		out=$(ip netns exec "$1" curl -s --max-time 2 "$2") || out=FAIL
	fi
	echo "${out:-FAIL}"
}

check_eq "control: 127.0.0.1:8181 answers on the host's loopback" "secret page" \
	"$(get - http://127.0.0.1:8181/)"
check_eq "control: 8282 answers from ext at the host address" "secret page" \
	"$(get ext http://192.0.2.1:8282/)"
for port in 8181 8282; do
	check_eq "ext (neighbour routing 127/8 at the host) cannot reach 127.0.0.1:$port" FAIL \
		"$(get ext http://127.0.0.1:$port/)"
	check_eq "s3 (same network) cannot reach 127.0.0.1:$port through its gateway" FAIL \
		"$(get s3 http://127.0.0.1:$port/)"
	check_eq "s2 (other network) cannot reach 127.0.0.1:$port through its gateway" FAIL \
		"$(get s2 http://127.0.0.1:$port/)"
done
check "... ext's SYNs to 127/8 did arrive at the host" test "$(probe_count ext0)" -gt 0
check "... s3's SYNs to 127/8 did arrive at the host" test "$(probe_count sec1)" -gt 0
check "... s2's SYNs to 127/8 did arrive at the host" test "$(probe_count sec2)" -gt 0
check_eq "control: 127.0.0.1:8181 still answers on the host" "secret page" \
	"$(get - http://127.0.0.1:8181/)"

# ---- 3. isolation between networks ----
check_eq "same network: s3 reaches s1:80" "secret page" "$(get s3 "http://$S1IP/")"
check_eq "s2 (sec2) cannot reach s1 (sec1) over TCP" FAIL "$(get s2 "http://$S1IP/")"
check_eq "s1 (sec1) cannot reach s2 (sec2) over TCP" FAIL "$(get s1 "http://$S2IP/")"
check_fails "s2 cannot ping s1" ip netns exec s2 ping -c1 -W1 "$S1IP"
check_fails "s1 cannot ping s2" ip netns exec s1 ping -c1 -W1 "$S2IP"
check_eq "control: s2 still serves, from the host" "secret page" "$(get - "http://$S2IP/")"

nft delete table ip secprobe 2>/dev/null
check "detach s1, s2, s3" sh -c "'$NETD' detach sec1 --id s1 && '$NETD' detach sec2 --id s2 &&
	'$NETD' detach sec1 --id s3"
check_eq "nothing left: veths, leases, map elements" "0 0 0" \
	"$(count_veths) $(count_leases) $(count_map_elements)"
finish
