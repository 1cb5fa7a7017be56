#!/bin/bash
# netd --explain / --dry-run: the printed commands, run as a shell script in a FRESH lab host
# (its own netns, the same namespace c1 made there, no netd), build a working equivalent: c1
# answers ping through the bridge, its port 80 answers on the host's published port 8080 (a
# non-loopback host address and 127.0.0.1), and table ip netd lists the same as netd's own.
# --dry-run changes nothing (state files, links, nft) and picks the address attach will pick.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

trap 'kill_servers; lab_exit' EXIT # PIDS, kill_servers: tests/lib.sh

W=$LAB_DIR/w
mkdir -p "$W"
nstate() { find "$NETD_STATE_DIR" "$NETD_CONFIG_DIR" -type f 2>/dev/null | wc -l; }
nlinks() { ip -o link | wc -l; }
addr_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])'; }

# --- network create: comments only (a subnet file is netd's bookkeeping, not the kernel's) ---
$NETD network create lab --subnet 10.77.0.0/24 --dry-run >"$W/create-dry.json" 2>"$W/create-dry.sh"
check_eq "network create --dry-run writes no subnet file" 0 "$(nstate)"
check "network create --dry-run explains the subnet file" grep -q '^# netd: network lab: subnet file' "$W/create-dry.sh"
check "network create --explain" $NETD network create lab --subnet 10.77.0.0/24 --explain="$W/net.sh"
check "network create --explain=FILE: only comments" bash -c "! grep -v '^#' '$W/net.sh'"

mkns c1
mkns c2

# --- dry run: nothing changes, the address is the one attach will take ---
before="$(nstate) $(nlinks) $(count_veths)"
out=$($NETD attach lab --netns /run/netns/c1 --id c1 -p 8080:80 --dry-run 2>"$W/dry.sh")
check_eq "attach --dry-run: stdout is the JSON result" "10.77.0.2/24" "$(addr_of <<<"$out")"
check_eq "attach --dry-run: no state file, link or veth made" "$before" "$(nstate) $(nlinks) $(count_veths)"
check_fails "attach --dry-run: no table ip netd" nft list table ip netd
check "attach --dry-run explains the veth" grep -q '^ip link add nd[0-9a-f]\{8\} .* type veth peer name eth0 netns c1' "$W/dry.sh"
check "attach --dry-run explains the published port" grep -qF "nft add element ip netd pub_any '{ tcp . 8080 : 10.77.0.2 . 80 }'" "$W/dry.sh"
check_eq "attach --dry-run: the table once" 1 "$(grep -c '^nft add table ip netd' "$W/dry.sh")"

# --- the real attach, explained ---
out=$($NETD attach lab --netns /run/netns/c1 --id c1 -p 8080:80 --explain 2>"$W/attach.sh")
check_eq "attach --explain: stdout is the JSON result" "10.77.0.2/24" "$(addr_of <<<"$out")"
check_eq "explained commands equal the dry run's" \
	"$(grep -v '^#' "$W/dry.sh")" "$(grep -v '^#' "$W/attach.sh")"
check "explained commands are ip, nft and /proc/sys writes only" \
	bash -c "! grep -vE '^(#|ip |nft |echo [01] > /proc/sys/|conntrack |\$)' '$W/attach.sh'"
for want in "ip link add lab type bridge" "ip link set lab up" "echo 0 > /proc/sys/net/ipv6/conf/lab/accept_dad" "ip addr add 10.77.0.1/24 broadcast 10.77.0.255 dev lab" \
	"echo 1 > /proc/sys/net/ipv4/ip_forward" "ip -n c1 addr add 10.77.0.2/24 broadcast 10.77.0.255 dev eth0" \
	"ip -n c1 route add default via 10.77.0.1 dev eth0" \
	"nft add table ip netd '{ comment \"netd layout 5\"; }'" \
	"nft add table ip6 netd '{ comment \"netd layout 5\"; }'"; do
	check "explained: $want" grep -qxF "$want" "$W/attach.sh"
done
check "explained veth has master lab" grep -q '^ip link add nd[0-9a-f]\{8\} mtu [0-9]* master lab up type veth' "$W/attach.sh"
nft list table ip netd >"$W/table-a.nft"
nft list table ip6 netd >"$W/table6-a.nft"

# a second dry run skips the lease just taken and explains no table (it exists)
out=$($NETD attach lab --netns /run/netns/c2 --id c2 --dry-run 2>"$W/dry2.sh")
check_eq "dry run after an attach picks the next free address" "10.77.0.3/24" "$(addr_of <<<"$out")"
check_eq "dry run: the existing table is not explained again" 0 "$(grep -c '^nft add table' "$W/dry2.sh")"
check_eq "dry run: the existing bridge is not explained again" 0 "$(grep -c '^ip link add lab' "$W/dry2.sh")"

# detach, dry and explained (run in the fresh lab below)
before="$(nstate) $(nlinks) $(count_map_elements)"
$NETD detach lab --id c1 --dry-run 2>"$W/detach-dry.sh"
check_eq "detach --dry-run changes nothing" "$before" "$(nstate) $(nlinks) $(count_map_elements)"
check "detach --explain" $NETD detach lab --id c1 --explain="$W/detach.sh"
check_eq "detach: explained commands equal the dry run's" \
	"$(grep -v '^#' "$W/detach-dry.sh")" "$(grep -v '^#' "$W/detach.sh")"
check_eq "detach --explain: the veth and the port are gone" "0 0" "$(count_veths) $(count_map_elements)"

# --- a fresh lab host: the same namespace c1, no netd; the explained commands as a script ---
cat >"$W/server.py" <<'EOF'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(16)
while True:
    c, a = s.accept(); c.sendall(b"hello from c1\n"); c.close()
EOF
cat >"$W/client.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
print(s.recv(100).decode().strip())
EOF
cat >"$W/labb.sh" <<EOF
set -u
mount -t tmpfs labb /run/netns
ip link set lo up
unset NETD_STATE_DIR NETD_CONFIG_DIR
ip netns add c1 && ip -n c1 link set lo up
# a host address that is not loopback, as eth0 would be
ip link add uplink type veth peer name uplink-peer && ip link set uplink-peer up
ip addr add 192.0.2.1/24 dev uplink && ip link set uplink up
sh -e "$W/net.sh" && sh -e "$W/attach.sh" && echo "script: ok"
nft list table ip netd > "$W/table-b.nft"
nft list table ip6 netd > "$W/table6-b.nft"
ip netns exec c1 python3 "$W/server.py" & srv=\$!
for i in \$(seq 50); do ip netns exec c1 ss -ltn | grep -q ':80 ' && break; sleep 0.1; done
ping -c1 -W2 10.77.0.2 >/dev/null && echo "ping: ok"
echo "host-address: \$(python3 "$W/client.py" 192.0.2.1 8080 2>&1)"
echo "localhost: \$(python3 "$W/client.py" 127.0.0.1 8080 2>&1)"
echo "bridge-address: \$(python3 "$W/client.py" 10.77.0.1 8080 2>&1)"
sh -e "$W/detach.sh" && echo "detach script: ok"
echo "after-detach: \$(ip -o link show type veth | grep -c ": nd") \$(python3 "$W/client.py" 192.0.2.1 8080 >/dev/null 2>&1 && echo open || echo closed)"
kill \$srv; wait 2>/dev/null
ip netns del c1
EOF
res=$(timeout 60 unshare --net --mount --propagation private -- bash "$W/labb.sh" 2>&1)
echo "$res" | sed 's/^/#   /'
check "fresh lab: network create + attach scripts run" grep -qx "script: ok" <<<"$res"
check "fresh lab: c1 answers ping through the bridge" grep -qx "ping: ok" <<<"$res"
check "fresh lab: published port 8080 on a host address reaches c1:80" grep -qx "host-address: hello from c1" <<<"$res"
check "fresh lab: 127.0.0.1:8080 reaches c1:80" grep -qx "localhost: hello from c1" <<<"$res"
check "fresh lab: table ip netd lists the same as netd built it" diff "$W/table-a.nft" "$W/table-b.nft"
check "fresh lab: table ip6 netd lists the same as netd built it" diff "$W/table6-a.nft" "$W/table6-b.nft"
check "fresh lab: detach script runs" grep -qx "detach script: ok" <<<"$res"
check "fresh lab: after detach no veth and the port is closed" grep -qx "after-detach: 0 closed" <<<"$res"

# --- lab 4's sample --explain output (docs/labs/04-bridge.md) is what attach prints today ---
cat >"$W/lab4.sh" <<EOF
mount -t tmpfs lab4 /run/netns
ip link set lo up
export NETD_STATE_DIR=$W/lab4/state NETD_CONFIG_DIR=$W/lab4/etc
$NETD network create lab --subnet 10.88.0.0/24 >/dev/null
for n in d1 d2 d3; do ip netns add \$n; done
$NETD attach lab --netns /run/netns/d1 --id d1 >/dev/null 2>&1 # (it says it turned on ip_forward)
$NETD attach lab --netns /run/netns/d2 --id d2 >/dev/null
$NETD attach lab --netns /run/netns/d3 --id d3 --explain 2>&1 >/dev/null
for n in d1 d2 d3; do ip netns del \$n; done
EOF
got=$(timeout 60 unshare --net --mount --propagation private -- bash "$W/lab4.sh" 2>&1)
want=$(awk '/^What you should see \(the second time/ { f = 1 } f && /^```console/ { p = 1; next }
	p && /^```/ { exit } p' "$TOP/docs/labs/04-bridge.md")
check_eq "docs/labs/04-bridge.md shows what attach --explain prints" "$want" "$got"

finish
