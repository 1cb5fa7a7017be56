#!/bin/bash
# The README's walk-through, every command as written (build/netd -> $BUILD/netd), in the
# throwaway host scripts/sandbox.sh gives: it runs to the end without an error, its "undo"
# leaves nothing (no namespace, nft table, interface but lo, subnet file, lease, web server),
# and the sandbox itself leaves nothing on the machine.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

BLOCK=$(awk '/^## A first walk-through/ { f = 1; next } f && /^## / { exit }
	f && /^    / { sub(/^    /, ""); print }' "$TOP/README.md")
check "README has a walk-through" test "$(wc -l <<<"$BLOCK")" -gt 10
check "the walk-through names scripts/sandbox.sh" grep -q 'scripts/sandbox.sh' "$TOP/README.md"
before=$(ls -d /run/netns /etc/netd /var/lib/netd 2>/dev/null)
SCRIPT=$(mktemp /tmp/netd-readme.XXXXXX)
trap 'rm -f "$SCRIPT"' EXIT
{
	echo 'set -e'
	echo 'echo "pid1: $(tr "\\0" " " </proc/1/cmdline)"'
	sed "s|build/netd|$BUILD/netd|g" <<<"$BLOCK"
	cat <<'EOF'
echo "walk-through: ok"
echo "namespaces: $(ip netns list | wc -l)"
echo "tables: $(nft list tables | wc -l)"
echo "links: $(ip -o link show | awk -F': ' '{ printf "%s ", $2 }')"
echo "files: $(find /etc/netd /var/lib/netd -type f ! -name lock ! -name '*.lock' | wc -l)"
echo "httpd: $(pgrep -c httpd || true)"
EOF
} >"$SCRIPT"
# The walk-through's /tmp/www goes to a tmpfs of the sandbox; the script is opened before.
out=$(timeout 120 "$TOP/scripts/sandbox.sh" bash -c \
	'exec 3<"$1"; mount -t tmpfs readme /tmp; exec bash /dev/fd/3' - "$SCRIPT" 2>&1)
printf '%s\n' "$out" | sed 's/^/#   /' | tail -8
check "the walk-through runs in the sandbox's PID namespace (PID 1: sandbox.sh)" \
	grep -q '^pid1: .*scripts/sandbox.sh' <<<"$out"
check "the walk-through runs to its end" grep -qx 'walk-through: ok' <<<"$out"
check "its undo leaves no namespace" grep -qx 'namespaces: 0' <<<"$out"
check "its undo leaves no nft table" grep -qx 'tables: 0' <<<"$out"
check "its undo leaves no interface but lo" grep -qx 'links: lo ' <<<"$out"
check "its undo leaves no file in /etc/netd or /var/lib/netd (lock files aside)" grep -qx 'files: 0' <<<"$out"
check "its undo stops the web server" grep -qx 'httpd: 0' <<<"$out"
check_eq "the sandbox leaves no directory behind" "$before" \
	"$(ls -d /run/netns /etc/netd /var/lib/netd 2>/dev/null)"
finish
