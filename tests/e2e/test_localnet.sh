#!/bin/bash
# 127.0.0.0/8 is not reachable from containers or from outside (CVE-2020-8558's pattern), in a
# lab host. netd sets route_localnet=1 on its bridges for localhost publishing; without table ip
# netd's guard chain that lets a container with CAP_NET_RAW reach a host service bound to
# 127.0.0.1 with a hand-made SYN to 127.0.0.1 sent to the gateway's MAC (tests/integration/
# rawget.c), and a neighbour that routes 127/8 at the host do the same.
#
# A host service on 127.0.0.1:7777 (busybox httpd) must not answer a SYN from: a plain-netns
# endpoint, an nsbox container (CAP_NET_RAW, as Docker grants), or a neighbour namespace routing
# 127/8 at the host with route_localnet on its link. A source address in 127/8 from outside
# reaches no socket either. Controls: the same tool gets a SYN-ACK from a host service on the
# gateway address, the SYNs to 127/8 are counted arriving, and localhost publishing
# (127.0.0.1:PORT on the host) keeps working. Also: nsbox says when it turned ip_forward on.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

NSBOX=$BUILD/nsbox
# RAWGET: the helper from another build (a build of a tree without it, e.g. an older main).
RAW=${RAWGET:-$BUILD/tests/integration/rawget}
[ -x "$RAW" ] || { echo "Bail out! $RAW not built"; exit 1; }
WWW=$LAB_DIR/www
PIDS=()
cleanup() {
	local rc=$?
	timeout 20 "$NSBOX" stop a >/dev/null 2>&1
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	return $rc
}
trap 'cleanup; lab_exit' EXIT
mkdir -p "$WWW"
echo SECRET >"$WWW/index.html"

listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }
wait_listen() { # PORT [NS]
	for _ in $(seq 50); do
		if [ -n "${2:-}" ]; then
			[ -n "$(ip netns exec "$2" ss -Hltn "sport = :$1")" ] && return 0
		else
			listening "$1" && return 0
		fi
		sleep 0.1
	done
	return 1
}
# raw NS|nsbox:NAME IFNAME DSTMAC SRC DST PORT -> "rc: first line" of rawget
raw() {
	local where=$1 out rc
	shift
	case $where in
	nsbox:*) out=$(timeout 20 "$NSBOX" exec "${where#nsbox:}" /rawget "$@" 3000 2>&1) ;;
	*) out=$(ip netns exec "$where" "$RAW" "$@" 3000 2>&1) ;;
	esac
	rc=$?
	echo "$rc: $(head -1 <<<"$out")"
}

# ---- the host: a secret on 127.0.0.1:7777, a control service on every address ----
busybox httpd -f -p 127.0.0.1:7777 -h "$WWW" &
PIDS+=($!)
busybox httpd -f -p 7778 -h "$WWW" &
PIDS+=($!)
wait_listen 7777 && wait_listen 7778 || not_ok "host services did not start"
check_eq "control: the secret answers on the host's loopback" SECRET \
	"$(curl -s --max-time 2 http://127.0.0.1:7777/)"

check "network create loc" "$NETD" network create loc --subnet 10.71.0.0/24
mkns p1
check "attach p1 (plain netns) with 127.0.0.1:8181:80 and 8282:80" \
	"$NETD" attach loc --netns /run/netns/p1 --id p1 -p 127.0.0.1:8181:80 -p 8282:80
P1IP=$(ip -n p1 -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
mac_of() { ip -br link show "$1" | awk '{print $3}'; } # (/sys is the machine's, not the lab's)
GWMAC=$(mac_of loc)

# Count what arrives before anything can drop it (raw priority minus one) and what reaches the
# input hook (after every prerouting chain, just before a socket).
nft -f - <<'EOF'
table ip lprobe {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		iif != "lo" ip daddr 127.0.0.0/8 tcp flags syn counter
		iif != "lo" ip saddr 127.0.0.0/8 counter
	}
	chain in {
		type filter hook input priority 1000; policy accept;
		iif != "lo" ip daddr 127.0.0.0/8 counter
		iif != "lo" ip saddr 127.0.0.0/8 counter
	}
}
EOF
counters() { # CHAIN -> the packet counts of its rules, space separated
	nft list chain ip lprobe "$1" | awk '{ for (k = 1; k < NF; k++) if ($k == "packets")
		printf "%s ", $(k + 1) }' | sed 's/ $//'
}

# ---- 1. a plain-netns endpoint with CAP_NET_RAW (root in its netns) ----
check_eq "control: rawget from p1 gets a SYN-ACK from the host at the gateway 10.71.0.1:7778" \
	"0: syn-ack from 10.71.0.1:7778" "$(raw p1 eth0 "$GWMAC" "$P1IP" 10.71.0.1 7778)"
check_eq "p1: a raw SYN to 127.0.0.1:7777 via the gateway's MAC gets no answer" \
	"1: no reply from 127.0.0.1:7777 within 3000 ms" \
	"$(raw p1 eth0 "$GWMAC" "$P1IP" 127.0.0.1 7777)"
check_eq "p1: nor to 127.0.0.2:7777 (all of 127/8)" "1" \
	"$(raw p1 eth0 "$GWMAC" "$P1IP" 127.0.0.2 7777 | cut -d: -f1)"
check_eq "p1: nor to 127.0.0.1:8181, a port published on 127.0.0.1" "1" \
	"$(raw p1 eth0 "$GWMAC" "$P1IP" 127.0.0.1 8181 | cut -d: -f1)"
# A source in 127/8 is answered on lo, so rawget cannot see it; the input counter can.
ip netns exec p1 "$RAW" eth0 "$GWMAC" 127.0.0.1 10.71.0.1 7778 500 >/dev/null 2>&1

# ---- 2. an nsbox container: CAP_NET_RAW as Docker grants, the static rawget in its rootfs ----
ROOTFS=$LAB_DIR/rootfs
"$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null 2>&1 || not_ok "mkrootfs"
cp "$RAW" "$ROOTFS/rawget"
# nsbox says when its attach turned IP forwarding on (as netd and netd-cni do, test_firewall.sh).
echo 0 >/proc/sys/net/ipv4/ip_forward
timeout 30 "$NSBOX" run -d --name a --network loc "$ROOTFS" sleep 120 >"$LAB_DIR/run.out" \
	2>"$LAB_DIR/run.err"
check_eq "nsbox run -d a (network loc)" a "$(cat "$LAB_DIR/run.out")"
check_eq "nsbox turned ip_forward on and said so on stderr, once" "1 1" \
	"$(cat /proc/sys/net/ipv4/ip_forward) $(grep -c '^nsbox: turned on IP forwarding' "$LAB_DIR/run.err")"
AIP=$(timeout 20 "$NSBOX" exec a ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
# Again: a bridge without a MAC of its own takes its lowest port's, which a new port can change.
GWMAC=$(mac_of loc)
CAPEFF=$(timeout 20 "$NSBOX" exec a awk '/^CapEff/ {print $2}' /proc/self/status)
check_eq "nsbox container has CAP_NET_RAW (bit 13 of CapEff $CAPEFF)" 1 \
	"$(((0x${CAPEFF:-0} >> 13) & 1))"
check_eq "control: rawget in the container gets a SYN-ACK from 10.71.0.1:7778" \
	"0: syn-ack from 10.71.0.1:7778" "$(raw nsbox:a eth0 "$GWMAC" "$AIP" 10.71.0.1 7778)"
check_eq "container: a raw SYN to 127.0.0.1:7777 gets no answer" \
	"1: no reply from 127.0.0.1:7777 within 3000 ms" \
	"$(raw nsbox:a eth0 "$GWMAC" "$AIP" 127.0.0.1 7777)"

# ---- 3. a neighbour that routes 127/8 at the host, route_localnet on its link ----
ip link add ext0 type veth peer name ext1
mkns ext
ip link set ext1 netns ext
ip addr add 192.0.2.1/24 dev ext0
ip link set ext0 up
ip -n ext addr add 192.0.2.2/24 dev ext1
ip -n ext link set ext1 up
# The host side as kube-proxy leaves it: route_localnet on, so only netd's guard stands between.
echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet
echo 1 >/proc/sys/net/ipv4/conf/ext0/route_localnet
check "ext routes 127/8 at the host (its own local table moved behind a rule)" \
	ip netns exec ext sh -c '
	echo 1 > /proc/sys/net/ipv4/conf/ext1/route_localnet &&
	echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet &&
	ip rule add pref 100 lookup local && ip rule del pref 0 &&
	ip rule add pref 10 to 127.0.0.0/8 iif lo lookup 100 &&
	ip route add 127.0.0.0/8 via 192.0.2.1 dev ext1 onlink table 100'
EXTMAC=$(mac_of ext0)
check_eq "control: rawget from ext gets a SYN-ACK from the host at 192.0.2.1:7778" \
	"0: syn-ack from 192.0.2.1:7778" "$(raw ext ext1 "$EXTMAC" 192.0.2.2 192.0.2.1 7778)"
check_eq "ext: a raw SYN to 127.0.0.1:7777 gets no answer" "1" \
	"$(raw ext ext1 "$EXTMAC" 192.0.2.2 127.0.0.1 7777 | cut -d: -f1)"
check_eq "ext: curl http://127.0.0.1:7777/ through its route fails" FAIL \
	"$(ip netns exec ext curl -s --max-time 2 http://127.0.0.1:7777/ || echo FAIL)"

# ---- the packets did arrive, and none reached the input hook ----
read -r syn_in src_in <<<"$(counters pre)"
check "the SYNs to 127/8 (p1, container, ext) did arrive at the host" test "${syn_in:-0}" -ge 6
check "p1's packets from 127.0.0.1 did arrive at the host" test "${src_in:-0}" -ge 1
check_eq "none of them reached the input hook (no socket saw them)" "0 0" "$(counters in)"

# ---- localhost publishing keeps working ----
ip netns exec p1 busybox httpd -f -p 80 -h "$WWW" &
PIDS+=($!)
wait_listen 80 p1 || not_ok "httpd in p1 did not start"
check_eq "localhost publishing: 127.0.0.1:8181 answers on the host" SECRET \
	"$(curl -s --max-time 2 http://127.0.0.1:8181/)"
check_eq "localhost publishing: 127.0.0.1:8282 answers on the host" SECRET \
	"$(curl -s --max-time 2 http://127.0.0.1:8282/)"
check_eq "published 8282 answers ext at the host address" SECRET \
	"$(ip netns exec ext curl -s --max-time 2 http://192.0.2.1:8282/ || echo FAIL)"
check_eq "the published 127.0.0.1:8181 does not answer ext at the host address" FAIL \
	"$(ip netns exec ext curl -s --max-time 2 http://192.0.2.1:8181/ || echo FAIL)"

nft delete table ip lprobe
check "nsbox stop a" timeout 30 "$NSBOX" stop a
check "detach p1" "$NETD" detach loc --id p1
finish
