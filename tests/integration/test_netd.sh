#!/bin/bash
# netd CLI against the real kernel, inside a throwaway lab-host namespace: networks, attach/detach,
# port publishing from every direction, isolation, bad input, rollback, concurrency, gc, serve.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"
set -u

WWW=$LAB_DIR/www
mkdir -p "$WWW"
echo "hello from c1" >"$WWW/index.html"
PIDS=()
cleanup_pids() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'cleanup_pids; lab_exit' EXIT

# httpd NS PORT: a tiny web server inside namespace NS.
httpd() {
	ip netns exec "$1" busybox httpd -f -p "$2" -h "$WWW" &
	PIDS+=($!)
}
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
state_snapshot() { echo "veths=$(count_veths) leases=$(count_leases) claims=$(count_claims) elems=$(count_map_elements)"; }

# An "external" machine routed through the lab host.
ip link add ext0 type veth peer name ext1
ip netns add ext
ip link set ext1 netns ext
ip addr add 192.0.2.1/24 dev ext0
ip link set ext0 up
ip -n ext addr add 192.0.2.2/24 dev ext1
ip -n ext link set ext1 up
ip -n ext link set lo up
ip -n ext route add default via 192.0.2.1

# ---- bad input changes nothing ----
check_fails "network create: path traversal name" "$NETD" network create ../evil --subnet 10.55.0.0/24
check_fails "network create: bad subnet" "$NETD" network create bad1 --subnet 10.55.0.1/33
check_fails "network create: host bits set" "$NETD" network create bad2 --subnet 10.55.0.1/24
rc=0; "$NETD" network create bad3 --subnet nonsense >/dev/null 2>&1 || rc=$?
check_eq "bad input exits 2" 2 "$rc"
check_eq "no subnet file written for bad input" 0 "$(ls "$NETD_CONFIG_DIR" 2>/dev/null | wc -l)"

# ---- networks ----
check "network create lab1" "$NETD" network create lab1 --subnet 10.55.0.0/24
check "network create lab2" "$NETD" network create lab2 --subnet 10.56.0.0/24 --bridge br-lab2
check_fails "overlapping subnet refused" "$NETD" network create lab3 --subnet 10.55.0.0/16
check_eq "network ls --json lists both" "lab1 lab2" \
	"$("$NETD" network ls --json | python3 -c 'import json,sys; print(" ".join(n["name"] for n in json.load(sys.stdin)))')"
check_eq "gateway defaults to the first address" "10.55.0.1" \
	"$("$NETD" network inspect lab1 --json | jget '["gateway"]')"

# ---- attach ----
mkns c1
out=$("$NETD" attach lab1 --netns /run/netns/c1 --id c1 -p 8080:80 2>"$LAB_DIR/attach.err")
check_eq "attach c1 succeeds" 0 $?
sed 's/^/# stderr: /' "$LAB_DIR/attach.err"
echo "$out" | sed 's/^/# /' | head -30
C1IP=$(echo "$out" | jget '["address"]' | cut -d/ -f1)
check_eq "c1 address in subnet" "10.55.0" "$(echo "$C1IP" | cut -d. -f1-3)"
check_eq "c1 port reported" "8080" "$(echo "$out" | jget '["ports"][0]["host_port"]')"
check "bridge lab1 up with gateway" sh -c "ip -br addr show dev lab1 | grep -q '10.55.0.1/24'"
check "eth0 inside c1 with the address" sh -c "ip -n c1 -br addr show dev eth0 | grep -q '$C1IP/24'"
check "default route inside c1" sh -c "ip -n c1 route show default | grep -q 'via 10.55.0.1'"
check "lo up inside c1" sh -c "ip -n c1 link show lo | grep -q 'UP'"
check "route_localnet on the bridge" sh -c "[ \$(cat /proc/sys/net/ipv4/conf/lab1/route_localnet) = 1 ]"
check "ip_forward on" sh -c "[ \$(cat /proc/sys/net/ipv4/ip_forward) = 1 ]"
check "c1 pings its gateway" ip netns exec c1 ping -c1 -W2 10.55.0.1
check "netd check c1" "$NETD" check lab1 --id c1
check_eq "ps --json shows c1" "c1" "$("$NETD" ps --json | jget '[0]["id"]')"

httpd c1 80
sleep 0.5
check_eq "published port from the host's loopback" "hello from c1" \
	"$(curl -s --max-time 3 http://127.0.0.1:8080/)"
check_eq "published port from the host's own address" "hello from c1" \
	"$(curl -s --max-time 3 http://192.0.2.1:8080/)"
check_eq "published port from an external namespace" "hello from c1" \
	"$(ip netns exec ext curl -s --max-time 3 http://192.0.2.1:8080/)"

mkns c2
check "attach c2 (same network)" "$NETD" attach lab1 --netns /run/netns/c2 --id c2
check "same network: c2 reaches c1" ip netns exec c2 ping -c1 -W2 "$C1IP"
check_eq "hairpin: c2 reaches c1's port via the host address" "hello from c1" \
	"$(ip netns exec c2 curl -s --max-time 3 http://192.0.2.1:8080/)"
check_eq "hairpin: c1 reaches its own port via the host address" "hello from c1" \
	"$(ip netns exec c1 curl -s --max-time 3 http://192.0.2.1:8080/)"
check "masquerade: c2 reaches the external namespace" ip netns exec c2 ping -c1 -W2 192.0.2.2

mkns c3
out3=$("$NETD" attach lab2 --netns /run/netns/c3 --id c3)
check_eq "attach c3 on lab2 uses br-lab2" "br-lab2" "$(echo "$out3" | jget '["bridge"]')"
check_fails "isolation: c3 (lab2) cannot reach c1 (lab1)" ip netns exec c3 ping -c1 -W1 "$C1IP"

# ---- conflicts and bad input on attach change nothing ----
mkns c4
before=$(state_snapshot)
rc=0; "$NETD" attach lab1 --netns /run/netns/c4 --id c4 -p 8080:80 2>"$LAB_DIR/err" || rc=$?
check_eq "duplicate host port refused with exit 3" 3 "$rc"
check "duplicate port error names the owner" grep -q "c1" "$LAB_DIR/err"
check_eq "duplicate port changed nothing" "$before" "$(state_snapshot)"
busybox nc -l -p 9090 </dev/null >/dev/null 2>&1 &
LPID=$!
for _ in $(seq 50); do [ -n "$(ss -Hltn 'sport = :9090')" ] && break; sleep 0.1; done
check_fails "port a host process listens on is refused" "$NETD" attach lab1 --netns /run/netns/c4 --id c4 -p 9090:80
kill $LPID 2>/dev/null
check_eq "host-listener refusal changed nothing" "$before" "$(state_snapshot)"
rc=0; "$NETD" attach lab1 --netns /run/netns/c4 --id c4 -p 80:abc >/dev/null 2>&1 || rc=$?
check_eq "bad -p spec exits 2" 2 "$rc"
check_fails "bad id refused" "$NETD" attach lab1 --netns /run/netns/c4 --id ../../etc
check_fails "missing netns refused" "$NETD" attach lab1 --netns /run/netns/nope --id c4
check_fails "ifname already in the namespace refused" "$NETD" attach lab1 --netns /run/netns/c1 --id other
check_eq "refusals changed nothing" "$before" "$(state_snapshot)"

out4=$("$NETD" attach lab1 --netns /run/netns/c4 --id c4 -p 80 -p 127.0.0.1:8181:80)
check_eq "CTRPORT alone: a free host port is chosen" "True" \
	"$(echo "$out4" | jget '["ports"][0]["host_port"] > 0')"
httpd c4 80
sleep 0.3
check_eq "127.0.0.1-only port answers on the host's loopback" "hello from c1" \
	"$(curl -s --max-time 3 http://127.0.0.1:8181/)"
check_fails "127.0.0.1-only port not reachable on the host address" curl -s --max-time 2 http://192.0.2.1:8181/

# ---- detach ----
check "detach c1" "$NETD" detach lab1 --id c1
check "detach c1 again is fine" "$NETD" detach lab1 --id c1
check_fails "c1's port is gone" curl -s --max-time 2 http://127.0.0.1:8080/
check_fails "eth0 gone from c1" ip -n c1 link show eth0
check "port 8080 can be published again" "$NETD" attach lab1 --netns /run/netns/c1 --id c1 -p 8080:80
check "detach c1 (2)" "$NETD" detach lab1 --id c1

# ---- namespace deleted behind netd's back; gc ----
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
PIDS=()
ip netns del c4
sleep 0.3
check "gc" "$NETD" gc
check_fails "c4 endpoint gone after gc" "$NETD" check lab1 --id c4
check "detach c2" "$NETD" detach lab1 --id c2
check "detach c3" "$NETD" detach lab2 --id c3
check_eq "zero leftovers after detach + gc" "veths=0 leases=0 claims=0 elems=0" "$(state_snapshot)"

# ---- rollback after an injected failure at each step ----
for step in record ports veth configure publish commit; do
	NETD_FAIL_AT=$step "$NETD" attach lab1 --netns /run/netns/c1 --id rb -p 8282:80 >/dev/null 2>&1
	check_eq "rollback at $step leaves nothing" "veths=0 leases=0 claims=0 elems=0 eth0=no" \
		"$(state_snapshot) eth0=$(ip -n c1 link show eth0 >/dev/null 2>&1 && echo yes || echo no)"
done
check_eq "no endpoint record after rollbacks" 0 "$("$NETD" ps --json | jget '.__len__()')"

# ---- exhausted range ----
check "network create tiny" "$NETD" network create tiny --subnet 10.57.0.0/29 --range 10.57.0.2-10.57.0.3
mkns t1; mkns t2; mkns t3
check "tiny: 1st" "$NETD" attach tiny --netns /run/netns/t1 --id t1
check "tiny: 2nd" "$NETD" attach tiny --netns /run/netns/t2 --id t2
rc=0; "$NETD" attach tiny --netns /run/netns/t3 --id t3 2>"$LAB_DIR/err" || rc=$?
check_eq "exhausted range exits 5" 5 "$rc"
check "exhausted error is clear" grep -q "no free address" "$LAB_DIR/err"
rc=0; "$NETD" network rm tiny >/dev/null 2>&1 || rc=$?
check_eq "network rm refuses while endpoints exist" 3 "$rc"
check "network rm --force" "$NETD" network rm tiny --force
check_fails "tiny bridge gone" ip link show tiny
check_eq "tiny: no leftovers" "veths=0 leases=0 claims=0" "veths=$(count_veths) leases=$(count_leases) claims=$(count_claims)"

# ---- 16 parallel attaches ----
for i in $(seq 1 16); do mkns p$i; done
for i in $(seq 1 16); do "$NETD" attach lab1 --netns /run/netns/p$i --id p$i >"$LAB_DIR/p$i.json" 2>&1 & done
wait
distinct=$(for i in $(seq 1 16); do jget '["address"]' <"$LAB_DIR/p$i.json" 2>/dev/null; done | sort -u | wc -l)
check_eq "16 parallel attaches get 16 distinct addresses" 16 "$distinct"
check_eq "16 leases" 16 "$(count_leases)"
for i in $(seq 1 16); do "$NETD" detach lab1 --id p$i & done
wait
check_eq "parallel detaches leave nothing" "veths=0 leases=0 claims=0 elems=0" "$(state_snapshot)"

# ---- 200 attach/detach cycles ----
fails=0
for i in $(seq 1 200); do
	"$NETD" attach lab1 --netns /run/netns/c1 --id cyc -p 8383:80 >/dev/null 2>&1 || fails=$((fails + 1))
	"$NETD" detach lab1 --id cyc >/dev/null 2>&1 || fails=$((fails + 1))
done
check_eq "200 attach/detach cycles without a failure" 0 "$fails"
check_eq "200 cycles: zero leftovers" "veths=0 leases=0 claims=0 elems=0" "$(state_snapshot)"

# ---- the default network ----
out=$("$NETD" attach netd0 --netns /run/netns/c1 --id d1)
check_eq "default network netd0 created on first use" "netd0" "$(echo "$out" | jget '["network"]')"
check "default subnet written" test -f "$NETD_CONFIG_DIR/netd0.conf"
check "detach d1" "$NETD" detach netd0 --id d1

# ---- serve: gc within a second of a namespace dying; table restored after a flush ----
"$NETD" serve 2>"$LAB_DIR/serve.log" &
SERVE=$!
PIDS+=($SERVE)
sleep 0.3
mkns s1
check "attach s1" "$NETD" attach lab1 --netns /run/netns/s1 --id s1 -p 8484:80
ip netns del s1
ok_gc=no
for _ in $(seq 1 20); do
	sleep 0.1
	if ! "$NETD" check lab1 --id s1 >/dev/null 2>&1 && [ "$(count_leases)" = 0 ]; then ok_gc=yes; break; fi
done
check_eq "serve: gc within 2 s of the namespace dying" yes "$ok_gc"
mkns s2
check "attach s2" "$NETD" attach lab1 --netns /run/netns/s2 --id s2 -p 8585:80
nft flush ruleset
ok_nat=no
for _ in $(seq 1 20); do
	sleep 0.1
	if "$NETD" check lab1 --id s2 >/dev/null 2>&1; then ok_nat=yes; break; fi
done
check_eq "serve: table ip netd restored within 2 s of a flush" yes "$ok_nat"
kill $SERVE
check "detach s2" "$NETD" detach lab1 --id s2

# ---- doctor ----
echo 0 >/proc/sys/net/ipv4/ip_forward
rc=0; "$NETD" doctor >"$LAB_DIR/doc" 2>&1 || rc=$?
check_eq "doctor fails when ip_forward is off" 1 "$rc"
check "doctor says so in plain words" grep -q "IP forwarding is off" "$LAB_DIR/doc"
echo 1 >/proc/sys/net/ipv4/ip_forward

check "network rm lab2" "$NETD" network rm lab2
check_eq "final: zero leftovers" "veths=0 leases=0 claims=0 elems=0" "$(state_snapshot)"
finish
