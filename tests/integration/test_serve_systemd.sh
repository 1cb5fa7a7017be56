#!/bin/bash
# netd serve as systemd runs it from contrib/systemd/netd.service.in: a NOTIFY_SOCKET made here
# (a unix datagram listener) receives READY=1 after the first round, STATUS= lines, WATCHDOG=1
# at half of WATCHDOG_USEC and STOPPING=1 on SIGTERM; and serve does its job with no more
# privilege than the unit grants: the unit's CapabilityBoundingSet (read from the unit file),
# NoNewPrivileges. A flushed ruleset is restored and a dead namespace's endpoint collected.
# (ProtectSystem=, the seccomp filter and the other mount options need systemd itself:
# tests/e2e/test_install.sh has systemd-analyze verify the unit.)
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

UNIT=$TOP/contrib/systemd/netd.service.in
SOCK=$LAB_DIR/notify.sock
LOG=$LAB_DIR/notify.log
: >"$LOG"
LISTENER=
SERVE=
stop_all() {
	[ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null
	[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
	wait 2>/dev/null
}
trap 'stop_all; lab_exit' EXIT

# The listener: one line per datagram, its fields joined by "|", prefixed with the time in ms.
python3 -u - "$SOCK" "$LOG" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        log.write("%d %s\n" % (time.monotonic() * 1000, msg.replace("\n", "|")))
EOF
LISTENER=$!
wait_for() { # N CMD...: up to N tries, 100 ms apart
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
wait_for 50 test -S "$SOCK" || {
	not_ok "notify listener did not start"
	finish
	exit 1
}
said() { grep -q -- "$1" "$LOG"; }

# The unit's capabilities, as setpriv's bounding set: CAP_NET_ADMIN -> +net_admin
CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
check "the unit names its capabilities (${CAPS:-none})" test -n "$CAPS"
BSET=-all
for c in $CAPS; do
	c=${c#CAP_}
	BSET+=,+${c,,}
done
grep -q '^NoNewPrivileges=yes' "$UNIT" && NNP=(--no-new-privs) || NNP=()
check "the unit is Type=notify with a watchdog" \
	sh -c "grep -q '^Type=notify' '$UNIT' && grep -q '^WatchdogSec=' '$UNIT'"

"$NETD" network create sv --subnet 10.96.0.0/24 >/dev/null
mkns c1
check "attach c1 with a published port" "$NETD" attach sv --netns /run/netns/c1 --id c1 -p 8080:80

NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=400000 setpriv --bounding-set "$BSET" --inh-caps=-all \
	"${NNP[@]}" -- "$NETD" serve 2>"$LAB_DIR/serve.err" &
SERVE=$!
check "READY=1 within 2 s" wait_for 20 said 'READY=1'
check "STATUS= with READY=1" said 'READY=1|STATUS=watching link events'
check "serve runs with the unit's bounding set only" \
	sh -c "grep -q '^CapBnd:.*' /proc/$SERVE/status && [ \$(( 0x\$(awk '/^CapBnd/ {print \$2}' /proc/$SERVE/status) & ~(1 << 12) )) = 0 ]"
sleep 1.2
check "WATCHDOG=1 at least twice a second (WATCHDOG_USEC=400000)" \
	test "$(grep -c 'WATCHDOG=1' "$LOG")" -ge 2

nft flush ruleset
check "a flushed ruleset: table ip netd is back within 2 s" wait_for 20 nft list table ip netd
# (functions, so that every try counts again: $(...) in the arguments would count once)
one_element() { test "$(count_map_elements)" = 1; }
check "...with the published port" wait_for 10 one_element
check "...and STATUS= says so" wait_for 10 said 'STATUS=watching link events; tables ip netd and ip6 netd restored'

ip netns del c1
nothing_of_c1() { test "$(count_leases) $(count_veths) $(count_map_elements)" = "0 0 0"; }
check "a dead namespace: its endpoint is collected within 5 s" wait_for 50 nothing_of_c1
check "...and STATUS= says what gc removed" wait_for 10 said 'STATUS=.*last gc removed 1 endpoint'

kill -TERM "$SERVE"
wait "$SERVE"
rc=$?
SERVE=
check_eq "SIGTERM: serve exits 0" 0 "$rc"
check "...after STOPPING=1" said 'STOPPING=1'
check_eq "serve printed no error" "" "$(grep -v -e 'watching link events' -e 'gc removed' \
	-e 'restored from state' "$LAB_DIR/serve.err")"

# Without NOTIFY_SOCKET the notifications are no-ops and serve --once just runs a round.
check "serve --once without NOTIFY_SOCKET" env -u NOTIFY_SOCKET "$NETD" serve --once
finish
