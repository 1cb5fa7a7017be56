#!/bin/bash
# Names on netd networks (aardvark-dns), in a lab host with its own resolver: two nsbox containers
# on one network find each other by name and alias and talk; a container on another network
# cannot resolve them; other names are forwarded to the lab host's resolver; a name another
# endpoint holds is refused with nothing changed; names go away on stop, on kill -9 + gc; the
# server stops with the last name and netd serve restarts it when killed; without aardvark-dns
# everything else works and doctor says what is missing; systemd-resolved hosts; dual stack
# (A and AAAA asked on the IPv6 gateway) and an IPv6-only network's containers resolve names.
# Runs nsbox: take /tmp/netd-heavy.lock when running it by hand next to other suites.
# shellcheck source=../lib.sh
LAB_PID=1 LAB_PIDNS=1 # (both spellings of the PID-namespace lab)
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

nsbox_setup
AARDVARK=$(command -v aardvark-dns || ls /usr/lib/podman/aardvark-dns /usr/libexec/podman/aardvark-dns 2>/dev/null | head -1)
[ -n "$AARDVARK" ] || { not_ok "aardvark-dns is not installed (scripts/install-deps.sh)"; finish; exit 1; }
echo "hello from web" >"$ROOTFS/www/index.html"

# The lab host's resolver: 10.53.0.53, answers outside.example only. /etc/resolv.conf of the lab
# (its own mount namespace) names it, so nothing ever asks a resolver outside the lab.
ip addr add 10.53.0.53/32 dev lo
python3 "$TOP/tests/e2e/dns_resolver.py" 10.53.0.53 outside.example 192.0.2.80 &
RESOLVER=$!
echo "nameserver 10.53.0.53" >"$LAB_DIR/resolv.conf"
mount --bind "$LAB_DIR/resolv.conf" /etc/resolv.conf
mount -t tmpfs lab /run/systemd 2>/dev/null || true # no systemd-resolved unless a test adds it

# cgroups are not namespaced: whatever the test leaves (a failure half-way, a kill -9) goes here
trap 'nsbox_rm_all; lab_exit' EXIT
count_cgroups() { find /sys/fs/cgroup -type d -path '*/nsbox/*' 2>/dev/null | wc -l; }
CG0=$(count_cgroups)
netd() { "$NETD" "$@"; }
server_pid() { cat "$NETD_STATE_DIR/dns/aardvark.pid" 2>/dev/null; }
servers() { pgrep -c -x aardvark-dns || true; }
# resolve CTR NAME: the A address a container gets for NAME (its own resolv.conf), or nothing
resolve() {
	nsbox exec "$1" nslookup -type=A "$2" 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}'
}
ip_of() { sed -n 's/^ip=//p' "$NETD_STATE_DIR/nsbox/$1/record" 2>/dev/null; }
config() { cat "$NETD_STATE_DIR/dns/$1" 2>/dev/null; }
for _ in $(seq 50); do ss -uln | grep -q 10.53.0.53:53 && break; sleep 0.1; done

netd network create front --subnet 10.61.0.0/24 >/dev/null
netd network create back --subnet 10.62.0.0/24 >/dev/null

# ---- two containers on one network: by name and alias, both ways, and they talk ----
check "nsbox run -d --name web --network-alias www" \
	nsbox run -d --name web --network front --network-alias www "$ROOTFS" httpd -f -p 80 -h /www
check "nsbox run -d --name db" nsbox run -d --name db --network front "$ROOTFS" sleep 300
WEB=$(ip_of web)
DB=$(ip_of db)
check_eq "one name server for the host" 1 "$(servers)"
check_eq "web resolves db" "$DB" "$(resolve web db)"
check_eq "db resolves web" "$WEB" "$(resolve db web)"
check_eq "db resolves the alias www" "$WEB" "$(resolve db www)"
check_eq "names ignore case (ping WEB: the C library's resolver)" "PING WEB ($WEB): 56 data bytes" \
	"$(nsbox exec db ping -c1 -W2 WEB 2>&1 | head -1)"
check_eq "db resolves web.dns.netd (the search domain)" "$WEB" "$(resolve db web.dns.netd)"
check_eq "db talks to web by name (wget http://web/)" "hello from web" \
	"$(nsbox exec db wget -qO- http://web/ 2>&1)"
# ---- dual-stack: the IPv6 address is answered too (AAAA), on both gateways ----
netd network create dual --subnet 10.63.0.0/24 --subnet fd63::/64 >/dev/null
check "nsbox run -d --name web6 on a dual-stack network" \
	nsbox run -d --name web6 --network dual "$ROOTFS" sleep 300
check "nsbox run -d --name cli6" nsbox run -d --name cli6 --network dual "$ROOTFS" sleep 300
WEB6=$(config dual | awk '$NF == "web6" {print $3}')
check_eq "the config's IPv6 column holds web6's address" "fd63::" "${WEB6%%[0-9a-f]}"
check_eq "cli6 resolves web6 to its IPv6 address (AAAA)" "$WEB6" \
	"$(nsbox exec cli6 nslookup -type=AAAA web6 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}')"
check "cli6 reaches web6 over IPv6 by its answer" nsbox exec cli6 ping -6 -c1 -W2 "$WEB6"
check_eq "dual: the config's first line names both gateways" "10.63.0.1,fd63::1" \
	"$(config dual | head -1 | cut -d' ' -f1)"
check_eq "cli6's resolv.conf names both gateways (IPv4 first)" \
	"search dns.netd|nameserver 10.63.0.1|nameserver fd63::1|" \
	"$(nsbox exec cli6 cat /etc/resolv.conf | tr '\n' '|')"
WEB6_4=$(ip_of web6)
mkns q6
netd attach dual --netns /run/netns/q6 --id q6 --name q6 >/dev/null
check_eq "AAAA web6 asked on the IPv6 gateway [fd63::1]" "$WEB6" \
	"$(ip netns exec q6 python3 "$TOP/tests/e2e/dns_query.py" fd63::1 web6 AAAA)"
check_eq "A web6 asked on the IPv6 gateway [fd63::1]" "$WEB6_4" \
	"$(ip netns exec q6 python3 "$TOP/tests/e2e/dns_query.py" fd63::1 web6)"
check_eq "A web6 asked on the IPv4 gateway still" "$WEB6_4" \
	"$(ip netns exec q6 python3 "$TOP/tests/e2e/dns_query.py" 10.63.0.1 web6)"
check_eq "a name the network does not hold, over IPv6, goes upstream" "192.0.2.80" \
	"$(ip netns exec q6 python3 "$TOP/tests/e2e/dns_query.py" fd63::1 outside.example)"
netd detach dual --id q6

# ---- an IPv6-only network: the server listens on its IPv6 gateway, containers ask it there ----
netd network create v6net --subnet fd66::/64 >/dev/null
check "nsbox run -d --name web7 on an IPv6-only network" \
	nsbox run -d --name web7 --network v6net "$ROOTFS" sleep 300
check "nsbox run -d --name cli7" nsbox run -d --name cli7 --network v6net "$ROOTFS" sleep 300
check_eq "v6net: the config's first line names the IPv6 gateway" "fd66::1" \
	"$(config v6net | head -1 | cut -d' ' -f1)"
# (aardvark splits on single spaces: an empty column is two spaces in a row)
WEB7=$(config v6net | awk -F'[ ]' '$NF == "web7" && $2 == "" {print $3}')
check_eq "  ... web7's line: an empty IPv4 column, its IPv6 address" "fd66::" "${WEB7%%[0-9a-f]}"
check_eq "cli7's resolv.conf names the IPv6 gateway alone" "search dns.netd|nameserver fd66::1|" \
	"$(nsbox exec cli7 cat /etc/resolv.conf | tr '\n' '|')"
check_eq "cli7 resolves web7 (AAAA) through it" "$WEB7" \
	"$(nsbox exec cli7 nslookup -type=AAAA web7 2>/dev/null |
		awk '/^Name:/ {n=1} n && /^Address/ {sub(/^Address:? */, ""); print; exit}')"
check "cli7 reaches web7 by its answer" nsbox exec cli7 ping -6 -c1 -W2 "$WEB7"
check_eq "cli7 gets no A for web7 (it has no IPv4 address)" "" "$(resolve cli7 web7)"
check_eq "cli7 cannot resolve dual's web names (another network)" "" \
	"$(nsbox exec cli7 nslookup -type=AAAA cli6 2>/dev/null | awk '/^Name:/ {n=1} n && /^Address/ {print; exit}')"
for c in web7 cli7 web6 cli6; do
	nsbox stop -t 1 $c >/dev/null 2>&1
	nsbox rm $c >/dev/null 2>&1
done
check_eq "IPv6-only containers gone: no lease, no config" "0 no" \
	"$(find "$NETD_STATE_DIR/networks/v6net/ips" -type f 2>/dev/null | wc -l) $(test -e "$NETD_STATE_DIR/dns/v6net" && echo yes || echo no)"
check_eq "dual-stack containers gone: no IPv6 lease left" 0 \
	"$(find "$NETD_STATE_DIR/networks/dual/ips" -name '*:*' 2>/dev/null | wc -l)"

check_eq "the container's resolv.conf: the gateway, search dns.netd" \
	"search dns.netd|nameserver 10.61.0.1|" "$(nsbox exec db cat /etc/resolv.conf | tr '\n' '|')"
check_eq "nsbox --dns wins over the gateway (what the user asked for)" "nameserver 192.0.2.53|" \
	"$(nsbox run --name dnsuser --network front --dns 192.0.2.53 "$ROOTFS" cat /etc/resolv.conf | tr '\n' '|')"
check_eq "nsbox --dns-search replaces the search list; the gateway stays" \
	"search corp.example|nameserver 10.61.0.1|" \
	"$(nsbox run --name dnsuser --network front --dns-search corp.example "$ROOTFS" cat /etc/resolv.conf | tr '\n' '|')"
check "an IPv4-only network's config leaves the IPv6 column empty (no AAAA for front)" \
	bash -c "! grep -E '^[^ ]+ [^ ]+ [^ ]+:' '$NETD_STATE_DIR/dns/front'"

# ---- forwarding, and another network ----
check_eq "a name the network does not hold goes to the lab host's resolver" "192.0.2.80" \
	"$(resolve db outside.example)"
check_eq "the upstream on the config's first line is the host's resolver" "10.61.0.1 10.53.0.53" \
	"$(config front | head -1)"
check "nsbox run -d --name lonely --network back" nsbox run -d --name lonely --network back "$ROOTFS" sleep 300
check_eq "a container on another network cannot resolve web" "" "$(resolve lonely web)"
check_eq "...nor the alias www" "" "$(resolve lonely www)"
check_eq "...but resolves outside names" "192.0.2.80" "$(resolve lonely outside.example)"

# ---- a name another endpoint holds: refused, nothing changed ----
before=$(config front; ls "$NETD_STATE_DIR/networks/front/ips" "$NETD_STATE_DIR/networks/front/endpoints")
out=$(nsbox run --name web2 --network front --network-alias DB "$ROOTFS" true 2>&1)
rc=$?
case "$rc $out" in
"125 "*"name DB is already taken on network front by endpoint db/eth0"*) ok "nsbox: an alias db already holds is refused ($out)" ;;
*) not_ok "nsbox: conflicting alias: rc=$rc: $out" ;;
esac
mkns n1
out=$(netd attach front --netns /run/netns/n1 --id n1 --name Web 2>&1)
rc=$?
case "$rc $out" in
"3 "*"name Web is already taken on network front by endpoint web/eth0"*) ok "netd attach: a taken name is refused, exit 3 ($out)" ;;
*) not_ok "netd attach: conflicting name: rc=$rc: $out" ;;
esac
after=$(config front; ls "$NETD_STATE_DIR/networks/front/ips" "$NETD_STATE_DIR/networks/front/endpoints")
check_eq "after both refusals: no lease, record or name changed" "$before" "$after"
check_fails "netd attach --name my_app (not a DNS label) is refused" \
	netd attach front --netns /run/netns/n1 --id n1 --name my_app
check_fails "nsbox --network-alias -x is refused" nsbox run --network front --network-alias -x "$ROOTFS" true
check_fails "nsbox --network-alias with --network none is refused" \
	nsbox run --network none --network-alias x "$ROOTFS" true
check_eq "the same name on another network is fine (web on back)" 0 \
	"$(netd attach back --netns /run/netns/n1 --id n1 --name web >/dev/null 2>&1; echo $?)"
netd detach back --id n1

# ---- names go: detach, stop, kill -9 + gc ----
netd attach front --netns /run/netns/n1 --id n1 --name probe --alias probe2 >/dev/null
check_eq "netd attach --name: db resolves probe" "$(ip -n n1 -4 -o addr show eth0 | awk '{sub(/\/.*/, "", $4); print $4}')" \
	"$(resolve db probe)"
# aardvark-dns 1.4 closes and reopens its listeners on every reload: attach returns only once
# they answer again, so a query right after it (as a container's first one) is not refused.
mkns n2
bad=""
for i in 1 2 3 4 5; do
	netd attach front --netns /run/netns/n2 --id "quick$i" --ifname "e$i" --name "quick$i" >/dev/null
	r=$(ip netns exec n2 python3 "$TOP/tests/e2e/dns_query.py" 10.61.0.1 web)
	[ "$r" = "$WEB" ] || bad="$bad $i:$r"
done
check_eq "a query right after each of 5 attaches (reloads) is answered" "" "$bad"
for i in 1 2 3 4 5; do netd detach front --id "quick$i" --ifname "e$i"; done
netd detach front --id n1
check_eq "after netd detach: probe is gone" "" "$(resolve db probe)"
check "after netd detach: no line for n1 in the config" bash -c "! grep -q '^n1 ' '$NETD_STATE_DIR/dns/front'"
nsbox stop db >/dev/null 2>&1
check_eq "after nsbox stop db: web no longer resolves db" "" "$(resolve web db)"
check "after nsbox stop: no line for db in the config" bash -c "! grep -q '^db ' '$NETD_STATE_DIR/dns/front'"

nsbox run -d --name victim --network front "$ROOTFS" sleep 300 >/dev/null
check_eq "victim resolves from web" "$(ip_of victim)" "$(resolve web victim)"
mon=$(sed -n 's/^monitor=//p' "$NETD_STATE_DIR/nsbox/victim/record")
pid1=$(sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/victim/record")
kill -9 "$mon" "$pid1"
wait_until 30 bash -c "! kill -0 $pid1"
check_eq "kill -9: the name outlives the container until gc" "$(ip_of victim)" "$(resolve web victim)"
netd gc >/dev/null
check_eq "after kill -9 + netd gc: victim is gone" "" "$(resolve web victim)"
check "after gc: no line for victim in the config" bash -c "! grep -q '^victim ' '$NETD_STATE_DIR/dns/front'"
nsbox rm victim >/dev/null 2>&1 # its cgroups: nsbox's part of the cleanup

# ---- netd serve restarts a killed server ----
"$NETD" serve >"$LAB_DIR/serve.log" 2>&1 &
SERVE=$!
sleep 0.5
old=$(server_pid)
kill -9 "$old"
wait_until 30 bash -c "p=\$(cat '$NETD_STATE_DIR/dns/aardvark.pid' 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ] && kill -0 \$p"
check "netd serve: a new server within 3 s of kill -9" bash -c "[ -n '$(server_pid)' ] && [ '$(server_pid)' != '$old' ]"
check_eq "netd serve: names answered again" "$WEB" "$(resolve web www)"
check "netd serve: says so" grep -q "name server was not running; started it" "$LAB_DIR/serve.log"
nsbox run -d --name victim2 --network front "$ROOTFS" sleep 300 >/dev/null
check_eq "victim2 resolves from web" "$(ip_of victim2)" "$(resolve web victim2)"
mon=$(sed -n 's/^monitor=//p' "$NETD_STATE_DIR/nsbox/victim2/record")
pid1=$(sed -n 's/^pid=//p' "$NETD_STATE_DIR/nsbox/victim2/record")
kill -9 "$mon" "$pid1"
wait_until 30 bash -c "! grep -q '^victim2 ' '$NETD_STATE_DIR/dns/front'"
check "kill -9 with netd serve running: its gc drops victim2's name within 3 s" \
	bash -c "! grep -q '^victim2 ' '$NETD_STATE_DIR/dns/front'"
nsbox rm victim2 >/dev/null 2>&1
kill "$SERVE"
wait "$SERVE" 2>/dev/null

# ---- netd-cni: runtimeConfig.aliases (podman's "aliases" capability) -> dns in the result ----
CNICONF='{"cniVersion":"1.0.0","name":"front","type":"netd-cni","isGateway":true,"subnetFile":"'$NETD_CONFIG_DIR/front.conf'",
	"runtimeConfig":{"aliases":{"front":["cnipod","pod-a"],"other":["no"]}}}'
mkns p1
out=$(printf '%s' "$CNICONF" | CNI_COMMAND=ADD CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/p1 \
	CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$BUILD/netd-cni" 2>&1)
check_eq "netd-cni ADD: dns in the result: the gateway, search dns.netd" \
	'{"nameservers": ["10.61.0.1"], "search": ["dns.netd"]}' "$(jq -c -S .dns <<<"$out" | sed 's/,/, /; s/:/: /g')"
POD=$(jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1)
check_eq "web resolves the pod's alias pod-a" "$POD" "$(resolve web pod-a)"
check_eq "...but not a name given for another network" "" "$(resolve web no)"
out=$(printf '%s' "${CNICONF/\"cnipod\",\"pod-a\"/\"web\"}" | CNI_COMMAND=ADD CNI_CONTAINERID=pod2 CNI_NETNS=/run/netns/p1 \
	CNI_IFNAME=eth1 CNI_PATH=/nonexistent "$BUILD/netd-cni" 2>&1)
check "netd-cni ADD with a taken name: the spec's error, code 7 ($(jq -r .msg <<<"$out"))" \
	grep -qE '^7 .*name web is already taken on network front' <<<"$(jq -r '"\(.code) \(.msg)"' <<<"$out")"
out=$(printf '%s' "${CNICONF/\"isGateway\":true,/}" | CNI_COMMAND=ADD CNI_CONTAINERID=pod3 CNI_NETNS=/run/netns/p1 \
	CNI_IFNAME=eth2 CNI_PATH=/nonexistent "$BUILD/netd-cni" 2>&1)
check "netd-cni ADD with aliases on a bridge without the gateway address (no isGateway): refused ($(jq -r .msg <<<"$out"))" \
	grep -q 'names cannot be answered on a bridge without the gateway address' <<<"$(jq -r .msg <<<"$out")"
check_eq "...and nothing of pod3 is left" "" "$(ip -n p1 -o link show eth2 2>/dev/null; ls "$NETD_STATE_DIR/networks/front/endpoints" | grep pod3)"
printf '%s' "$CNICONF" | CNI_COMMAND=DEL CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/p1 \
	CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$BUILD/netd-cni" >/dev/null 2>&1
check_eq "netd-cni DEL: the alias is gone" "" "$(resolve web pod-a)"

# ---- the last name goes: the server stops ----
nsbox stop web >/dev/null 2>&1
check_eq "one named endpoint left (lonely): server still up" 1 "$(servers)"
nsbox stop lonely >/dev/null 2>&1
check_eq "no named endpoint left: no server" 0 "$(servers)"
check_eq "...no config files" "" "$(ls "$NETD_STATE_DIR/dns" 2>/dev/null)"

# ---- --explain ----
out=$(netd attach front --netns /run/netns/n1 --id n1 --name probe --explain 2>&1 >/dev/null)
check "explain: the names" grep -q '^# netd: dns: probe -> 10.61.0.[0-9]* on network front' <<<"$out"
check "explain: the server start" grep -q '^# netd: dns server start: .*aardvark-dns --config .* -p 53' <<<"$out"
out=$(netd detach front --id n1 --explain 2>&1 >/dev/null)
check "explain: the stop" grep -q '^# netd: dns server stop' <<<"$out"

# ---- without aardvark-dns: everything else works, doctor says what is missing ----
export NETD_AARDVARK=/nonexistent/aardvark-dns
out=$(nsbox run --name plain --network front "$ROOTFS" cat /etc/resolv.conf)
check_eq "no aardvark: nsbox run works; the container gets the host's resolver" "nameserver 10.53.0.53" "$out"
check_eq "no aardvark: netd attach --name works" 0 "$(netd attach front --netns /run/netns/n1 --id n1 --name probe >/dev/null 2>&1; echo $?)"
check_eq "no aardvark: no server process" 0 "$(servers)"
check "no aardvark: doctor says what is missing and what it costs" \
	bash -c "'$NETD' doctor | grep -q 'aardvark-dns is not installed: 1 endpoint(s) have names that nothing answers'"
netd detach front --id n1
unset NETD_AARDVARK

# ---- systemd-resolved hosts: only 127.0.0.53 in /etc/resolv.conf ----
# The lab's stub answers other.example, its upstream (10.53.0.53) outside.example.
python3 "$TOP/tests/e2e/dns_resolver.py" 127.0.0.53 other.example 192.0.2.81 &
STUB=$!
for _ in $(seq 50); do ss -uln | grep -q 127.0.0.53:53 && break; sleep 0.1; done
echo "nameserver 127.0.0.53" >"$LAB_DIR/resolv.conf"
mkdir -p /run/systemd/resolve
echo "nameserver 10.53.0.53" >/run/systemd/resolve/resolv.conf
out=$(nsbox run --name stub --network front "$ROOTFS" sh -c 'cat /etc/resolv.conf; nslookup -type=A other.example' 2>&1)
check "resolved host, with names: the container asks the gateway" grep -q '^nameserver 10.61.0.1$' <<<"$out"
check "resolved host: the server forwards to the host's stub, as the host itself would" \
	grep -q 'Address: 192.0.2.81' <<<"$out"
out=$(NETD_AARDVARK=/nonexistent nsbox run --name stub --network front "$ROOTFS" cat /etc/resolv.conf 2>&1)
check_eq "resolved host, no server: the upstreams of /run/systemd/resolve/resolv.conf" "nameserver 10.53.0.53" "$out"
rm /run/systemd/resolve/resolv.conf
out=$(NETD_AARDVARK=/nonexistent nsbox run --name stub --network front "$ROOTFS" cat /etc/resolv.conf 2>&1)
check_eq "no resolver a container can reach: Docker's public fallbacks (in the file only)" \
	"nameserver 8.8.8.8|nameserver 8.8.4.4|" "$(tr '\n' '|' <<<"$out")"

# ---- the README's two containers that talk by name, as written ----
BLOCK=$(awk '/^## Two containers that talk by name/ { f = 1; next } f && /^## / { exit }
	f && /^    / { sub(/^    /, ""); print }' "$TOP/README.md" |
	sed "s|build/|$BUILD/|g; s|/tmp/rootfs|$LAB_DIR/readme-rootfs|g; s|/var/lib/netd|$NETD_STATE_DIR|g; s|^scripts/|$TOP/scripts/|")
echo "nameserver 10.53.0.53" >"$LAB_DIR/resolv.conf"
out=$(bash -ec "$BLOCK" 2>&1)
printf '%s\n' "$out" | sed 's/^/#   /' | tail -12
check "README: the client gets web's page by name" grep -q "hello from nsbox\|<html\|<!doctype" <<<"$out"
check "README: nslookup www answers web's address" grep -qE '^Address: 10\.89\.1\.[0-9]+$' <<<"$out"
check "README: the server's config names web and www" grep -qE '^web 10\.89\.1\.[0-9]+  web,www$' <<<"$out"

check_eq "nothing left: no server" 0 "$(servers)"
check_eq "nothing left: no nsbox cgroups (they are the machine's)" "$CG0" "$(count_cgroups)"
check_eq "nothing left: no endpoints" "" "$(netd ps --json | jq -r '.[].id')"
kill "$RESOLVER" "$STUB" 2>/dev/null
finish
