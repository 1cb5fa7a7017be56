#!/bin/bash
# The host's resolvers a container gets when its networks do not answer names (no aardvark-dns):
# those of the families it has an address of (docs/ipv6.md, "Names"), in the host file's order;
# over several networks the union of their families; loopback, scoped and link-local servers
# never; nothing left: Docker's public fallback of those families. An IPv6-only container
# resolves a name through the lab host's IPv6 resolver.
# Runs nsbox: take /tmp/netd-heavy.lock when running it by hand next to other suites.
# shellcheck source=../lib.sh
LAB_PID=1 LAB_PIDNS=1
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
# Names are not served: the containers get the host's resolvers.
export NETD_AARDVARK=/nonexistent/aardvark-dns
mount -t tmpfs lab /run/systemd 2>/dev/null || true # no systemd-resolved fallback file
netd() { timeout 30 "$NETD" "$@"; }
trap 'nsbox_rm_all; lab_exit' EXIT
# The lab host's /etc/resolv.conf (its own mount namespace) is $LAB_DIR/resolv.conf.
touch "$LAB_DIR/resolv.conf"
mount --bind "$LAB_DIR/resolv.conf" /etc/resolv.conf
host_resolv() { printf '%b' "$1" >"$LAB_DIR/resolv.conf"; }
# servers NETWORK...: the nameserver lines of a container on those networks, joined by "|"
servers() {
	local args=() n
	for n in "$@"; do args+=(--network "$n"); done
	nsbox run "${args[@]}" "$ROOTFS" cat /etc/resolv.conf 2>/dev/null | sed -n 's/^nameserver //p' |
		tr '\n' '|'
}

netd network create v4net --subnet 10.71.0.0/24 >/dev/null
netd network create dual --subnet 10.72.0.0/24 --subnet fd72::/64 >/dev/null
netd network create v6net --subnet fd73::/64 >/dev/null

# Loopback, scoped and link-local servers in between: never a container's.
host_resolv "search lab.example\nnameserver 127.0.0.53\nnameserver 2001:db8:53::1\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\nnameserver fe80::2\nnameserver 2001:db8:53::2\n"
out=$(nsbox run --network v6net "$ROOTFS" cat /etc/resolv.conf 2>/dev/null)
check_eq "IPv6-only container: the host's IPv6 resolvers only, search kept" \
	"search lab.example|nameserver 2001:db8:53::1|nameserver 2001:db8:53::2|" "$(tr '\n' '|' <<<"$out")"
check_eq "IPv4-only container: the host's IPv4 resolver only" "192.0.2.53|" "$(servers v4net)"
check_eq "dual-stack container: both families, in the host file's order" \
	"2001:db8:53::1|192.0.2.53|2001:db8:53::2|" "$(servers dual)"
check_eq "on an IPv4-only and an IPv6-only network: the union, in the file's order" \
	"2001:db8:53::1|192.0.2.53|2001:db8:53::2|" "$(servers v4net v6net)"
check_eq "  ... in either order of --network" \
	"2001:db8:53::1|192.0.2.53|2001:db8:53::2|" "$(servers v6net v4net)"

# Nothing a container can reach: Docker's public fallback of its families.
host_resolv "nameserver 127.0.0.53\nnameserver ::1\nnameserver fe80::1%eth0\nnameserver fe80::1\n"
check_eq "only loopback and link-local servers, IPv6-only container: the IPv6 fallback pair" \
	"2001:4860:4860::8888|2001:4860:4860::8844|" "$(servers v6net)"
check_eq "  ... IPv4-only container: the IPv4 pair" "8.8.8.8|8.8.4.4|" "$(servers v4net)"
check_eq "  ... dual-stack container: both pairs, IPv4 first (Docker's order)" \
	"8.8.8.8|8.8.4.4|2001:4860:4860::8888|2001:4860:4860::8844|" "$(servers dual)"
host_resolv "nameserver 192.0.2.53\n"
check_eq "host with IPv4 resolvers only, IPv6-only container: the IPv6 fallback pair" \
	"2001:4860:4860::8888|2001:4860:4860::8844|" "$(servers v6net)"

# The IPv6-only container asks the lab host's IPv6 resolver and gets an answer.
ip addr add 2001:db8:53::1/128 dev lo
python3 "$TOP/tests/e2e/dns_resolver.py" 2001:db8:53::1 outside.example 192.0.2.80 &
RESOLVER=$!
wait_until 50 sh -c "ss -uln | grep -q '\[2001:db8:53::1\]:53'" || echo "# resolver did not start"
host_resolv "nameserver 10.53.0.53\nnameserver 2001:db8:53::1\n"
out=$(nsbox run --network v6net "$ROOTFS" nslookup -type=A outside.example 2>&1)
check "IPv6-only container resolves outside.example through [2001:db8:53::1]" \
	grep -q 'Address: 192.0.2.80' <<<"$out"
kill "$RESOLVER" 2>/dev/null
wait "$RESOLVER" 2>/dev/null

netd gc >/dev/null 2>&1
check_eq "nothing left: no endpoints" "" "$(netd ps --json | jq -r '.[].id')"
finish
