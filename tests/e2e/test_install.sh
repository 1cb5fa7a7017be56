#!/bin/bash
# make install into a DESTDIR, used as a user would: every file in its place, the shared library
# versioned (soname) and exporting the public API only, libnetd.pc building examples/attach.c
# through pkg-config (shared and static), that program attaching a namespace in a lab (address,
# published port answering) and detaching it (nothing left), the installed tools' --version,
# the unit file accepted by systemd-analyze, and make uninstall leaving nothing.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

VERSION=$(make -s -C "$TOP" --no-print-directory -f - <<<'include Makefile
print-version: ; @echo $(VERSION)' print-version 2>/dev/null)
check "the Makefile has a VERSION (${VERSION:-none})" test -n "$VERSION"
SOVERSION=${VERSION%%.*}
# A sanitizer build makes a sanitizer library; whatever links it must be built the same way.
SAN=0
SANFLAGS=()
if nm -D "$BUILD/netd-cni" 2>/dev/null | grep -q __asan_init; then
	SAN=1
	SANFLAGS=(-fsanitize=address,undefined)
fi
D=$LAB_DIR/root
WORK=$LAB_DIR/work
mkdir -p "$WORK"
MK=(make -s -C "$TOP" --no-print-directory BUILD="$BUILD" SAN=$SAN PREFIX=/usr DESTDIR="$D")
if out=$("${MK[@]}" install 2>&1); then ok "make install DESTDIR=... PREFIX=/usr"; else
	not_ok "make install DESTDIR=... PREFIX=/usr"
	printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
	finish
	exit 1
fi

for f in usr/bin/netd usr/bin/nsbox opt/cni/bin/netd-cni usr/include/netd/netd.h \
	usr/lib/libnetd.a usr/lib/libnetd.so.$VERSION usr/lib/pkgconfig/libnetd.pc \
	usr/lib/systemd/system/netd.service; do
	check "installed: /$f" test -s "$D/$f"
done
check_eq "installed: every public header" "$(ls "$TOP"/include/netd | sort)" \
	"$(ls "$D/usr/include/netd" | sort)"
check_eq "libnetd.so -> libnetd.so.$SOVERSION -> libnetd.so.$VERSION" \
	"libnetd.so.$SOVERSION libnetd.so.$VERSION" \
	"$(readlink "$D/usr/lib/libnetd.so") $(readlink "$D/usr/lib/libnetd.so.$SOVERSION")"
check "soname is libnetd.so.$SOVERSION" \
	sh -c "readelf -d '$D/usr/lib/libnetd.so.$VERSION' | grep -q 'SONAME.*\[libnetd.so.$SOVERSION\]'"
for m in "$TOP"/man/*.[1-8]; do
	[ -f "$m" ] || continue
	s=${m##*.}
	check "installed: man page $(basename "$m")" test -s "$D/usr/share/man/man$s/$(basename "$m")"
done
for c in "$TOP"/contrib/bash-completion/*; do
	[ -f "$c" ] || continue
	check "installed: bash completion $(basename "$c")" \
		test -s "$D/usr/share/bash-completion/completions/$(basename "$c")"
done

# Only the public API is exported: every function a public header declares, nothing else.
# (static inline helpers and macros are not functions of the library)
declared=$(grep -hE '\bnetd_[a-z0-9_]+\(' "$TOP"/include/netd/*.h | grep -vE '^(static inline|#define)' |
	grep -oE '\bnetd_[a-z0-9_]+\(' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$D/usr/lib/libnetd.so.$VERSION" | awk '$2 == "T" { sub("@.*", "", $3); print $3 }' | sort -u)
check_eq "libnetd.so exports exactly the functions of include/netd" "$declared" "$exported"
check_eq "no private symbol (netd_store_*, netd_link_*, netd_nat_*) is exported" "" \
	"$(grep -E '^netd_(store|link|nat|rtnl|nft)_' <<<"$exported")"

# pkg-config, as a user of the staged tree sees it
pc() { PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D/usr/lib/pkgconfig pkg-config "$@" libnetd; }
check_eq "pkg-config --modversion libnetd" "$VERSION" "$(pc --modversion 2>&1)"
read -ra PC <<<"$(pc --cflags --libs)"
# static: libnetd.a itself in place of -lnetd (which the linker would take as the .so)
PCS=("$D/usr/lib/libnetd.a")
for a in $(pc --static --cflags --libs); do [ "$a" = -lnetd ] || PCS+=("$a"); done
check "pkg-config --cflags --libs names the staged tree" \
	grep -q -- "-I$D/usr/include .*-L$D/usr/lib -lnetd" <<<"${PC[*]}"
EX=$WORK/attach
if out=$(cc "${SANFLAGS[@]}" -std=gnu11 -Wall -Wextra -Werror -o "$EX" "$TOP/examples/attach.c" \
	"${PC[@]}" 2>&1); then ok "examples/attach.c builds with pkg-config --cflags --libs libnetd"; else
	not_ok "examples/attach.c builds with pkg-config --cflags --libs libnetd"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi
check "...and links libnetd.so.$SOVERSION" \
	sh -c "readelf -d '$EX' | grep -q 'NEEDED.*\[libnetd.so.$SOVERSION\]'"
if out=$(cc "${SANFLAGS[@]}" -std=gnu11 -o "$EX-static" "$TOP/examples/attach.c" "${PCS[@]}" 2>&1) &&
	! readelf -d "$EX-static" | grep -q 'NEEDED.*libnetd'; then
	ok "...and statically with libnetd.a and pkg-config --static"
else
	not_ok "...and statically with libnetd.a and pkg-config --static"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

# The example in a lab: the installed netd defines the network, the example attaches c1.
export LD_LIBRARY_PATH=$D/usr/lib
NETD_I=$D/usr/bin/netd
check_eq "installed netd --version" "netd $VERSION" "$("$NETD_I" --version 2>&1)"
check_eq "installed netd-cni --version" "netd-cni $VERSION" \
	"$("$D/opt/cni/bin/netd-cni" --version 2>&1 | head -1)"
check "installed netd network create exnet" "$NETD_I" network create exnet --subnet 10.97.0.0/24
mkns c1
out=$("$EX" exnet /run/netns/c1 c1 8080:80 2>&1)
check "the example attaches c1 ($out)" grep -q "^c1: eth0 10.97.0.[0-9]*/24 via 10.97.0.1, .*libnetd $VERSION" <<<"$out"
IP=$(ip -n c1 -4 -o addr show eth0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }')
check "c1's eth0 got its address (${IP:-none})" grep -q "eth0 $IP/24 " <<<"$out"
check "the installed netd lists the endpoint" sh -c "'$NETD_I' ps | grep -q '^c1 .*exnet'"
mkdir -p "$WORK/www"
echo example-page >"$WORK/www/index.html"
ip netns exec c1 busybox httpd -p 80 -h "$WORK/www"
for _ in $(seq 30); do curl -fs -m 1 -o /dev/null "http://$IP/" && break; sleep 0.1; done
check_eq "the port the example published answers" example-page "$(curl -fsS -m 3 http://127.0.0.1:8080/ 2>&1)"
ip netns pids c1 | xargs -r kill
check "the example detaches c1" "$EX" -d exnet c1
check_eq "nothing left: veths, leases, claims, map elements" "0 0 0 0" \
	"$(count_veths) $(count_leases) $(count_claims) $(count_map_elements)"
check "c1 has no eth0 left" sh -c "! ip -n c1 link show eth0 2>/dev/null"
check "installed netd network rm exnet" "$NETD_I" network rm exnet
unset LD_LIBRARY_PATH

if command -v systemd-analyze >/dev/null; then
	# verify checks ExecStart's binary exists: the unit is verified with its path in the stage.
	sed "s|ExecStart=/usr/bin/netd|ExecStart=$D/usr/bin/netd|" \
		"$D/usr/lib/systemd/system/netd.service" >"$WORK/netd.service"
	check_eq "systemd-analyze verify accepts netd.service" "" \
		"$(cd "$WORK" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./netd.service 2>&1)"
else
	not_ok "systemd-analyze is missing (Debian: systemd)"
fi

if out=$("${MK[@]}" uninstall 2>&1); then ok "make uninstall"; else
	not_ok "make uninstall"
	printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
fi
check_eq "make uninstall leaves no file behind" "" "$(find "$D" ! -type d)"
finish
