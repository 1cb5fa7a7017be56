#!/bin/bash
# The Debian packages: dpkg-buildpackage -us -uc -b on a copy of the tree builds libnetd0,
# libnetd-dev, netd and netd-cni at the Makefile's VERSION; lintian reports no error; the
# packages, extracted into a scratch root (dpkg-deb -x), hold what they should, and their
# binaries run from there: --version, a network created and a namespace attached, checked and
# detached by the packaged netd, a CNI ADD/DEL by the packaged netd-cni, and the example built
# against the packaged library through pkg-config attaching a namespace with it. Nothing is
# installed on the machine.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

for b in dpkg-buildpackage dh lintian dpkg-deb fakeroot; do
	command -v $b >/dev/null || {
		not_ok "$b is missing (scripts/install-deps.sh installs it)"
		finish
		exit 1
	}
done
VERSION=$(make -s -C "$TOP" --no-print-directory -f - <<<'include Makefile
print-version: ; @echo $(VERSION)' print-version 2>/dev/null)
SOVERSION=${VERSION%%.*}
check_eq "debian/changelog is at the Makefile's VERSION" "$VERSION" \
	"$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version 2>&1)"

# A copy of the tree: dpkg-buildpackage writes its .debs beside the source dir.
SRC=$LAB_DIR/pkg/netd
mkdir -p "$SRC"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -xf - -C "$SRC"
else
	(cd "$TOP" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$SRC"
fi
t0=$(date +%s)
if (cd "$SRC" && dpkg-buildpackage -us -uc -b -j2) >"$LAB_DIR/pkg/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - t0)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b"
	tail -30 "$LAB_DIR/pkg/build.log" | sed 's/^/#   /'
	finish
	exit 1
fi
cd "$LAB_DIR/pkg" || exit 1
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
deb() { echo "$1_${VERSION}_$ARCH.deb"; }
for p in libnetd0 libnetd-dev netd netd-cni; do
	check "package $p built" test -s "$(deb $p)"
	check_eq "$p: version $VERSION" "$VERSION" "$(dpkg-deb -f "$(deb $p)" Version 2>&1)"
done
lint=$(lintian --tag-display-limit 0 "netd_${VERSION}_$ARCH.changes" 2>&1 | grep -v 'root privileges')
check_eq "lintian: no error" "" "$(grep '^E:' <<<"$lint")"
echo "# lintian: $(grep -c '^W:' <<<"$lint") warning(s)"
grep '^W:' <<<"$lint" | sed 's/^/#   /'

ROOT=$LAB_DIR/root
for p in libnetd0 libnetd-dev netd netd-cni; do
	dpkg-deb -x "$(deb $p)" "$ROOT"
done
contents() { dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | sed 's|^\./|/|'; }
check "libnetd0 holds libnetd.so.$VERSION and the soname link libnetd.so.$SOVERSION" \
	grep -q "usr/lib/$MA/libnetd.so.$SOVERSION -> libnetd.so.$VERSION" \
	<<<"$(dpkg-deb -c "$(deb libnetd0)")"
for f in /usr/include/netd/netd.h /usr/lib/$MA/libnetd.a /usr/lib/$MA/libnetd.so \
	/usr/lib/$MA/pkgconfig/libnetd.pc; do
	check "libnetd-dev holds $f" grep -qx "$f" <<<"$(contents libnetd-dev)"
done
for f in /usr/bin/netd /usr/bin/nsbox /lib/systemd/system/netd.service \
	/usr/share/man/man8/netd.8.gz /usr/share/man/man1/nsbox.1.gz \
	/usr/share/man/man5/netd-subnet-file.5.gz /usr/share/bash-completion/completions/netd; do
	check "netd holds $f" grep -qx "$f" <<<"$(contents netd)"
done
for f in /usr/lib/cni/netd-cni /usr/share/man/man8/netd-cni.8.gz; do
	check "netd-cni holds $f" grep -qx "$f" <<<"$(contents netd-cni)"
done
check "netd.service runs the packaged /usr/bin/netd serve" \
	grep -qx 'ExecStart=/usr/bin/netd serve' "$ROOT/lib/systemd/system/netd.service"

# The packaged binaries, run from the scratch root
N=$ROOT/usr/bin/netd
check_eq "packaged netd --version" "netd $VERSION" "$("$N" --version 2>&1)"
check_eq "packaged netd-cni --version" "netd-cni $VERSION" \
	"$("$ROOT/usr/lib/cni/netd-cni" --version 2>&1 | head -1)"
check "packaged nsbox runs (nsbox ps)" "$ROOT/usr/bin/nsbox" ps
check "packaged netd: network create" "$N" network create pk --subnet 10.95.0.0/24
mkns c1
check "packaged netd: attach c1 -p 8080:80" "$N" attach pk --netns /run/netns/c1 --id c1 -p 8080:80
check "c1 got an address in 10.95.0.0/24" sh -c "ip -n c1 -4 addr show eth0 | grep -q 'inet 10.95.0.'"
check "packaged netd: check c1" "$N" check pk --id c1
check "packaged netd: detach c1" "$N" detach pk --id c1

CONF='{"cniVersion":"1.0.0","name":"pkcni","type":"netd-cni","bridge":"pkbr0","ipam":{"type":"netd","subnet":"10.95.1.0/24","routes":[{"dst":"0.0.0.0/0"}]}}'
cni() {
	CNI_COMMAND=$1 CNI_CONTAINERID=k1 CNI_NETNS=/run/netns/c1 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		"$ROOT/usr/lib/cni/netd-cni" <<<"$CONF"
}
out=$(cni ADD 2>&1)
check "packaged netd-cni: ADD gives c1 10.95.1.2/24" grep -q '"10.95.1.2/24"' <<<"$out"
check "packaged netd-cni: DEL" cni DEL

# libnetd-dev as a user sees it: pkg-config finds the packaged library, and the program built
# with it attaches c1 through the packaged libnetd.so.
PC=$(PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_PATH=$ROOT/usr/lib/$MA/pkgconfig \
	pkg-config --cflags --libs libnetd 2>&1)
EX=$LAB_DIR/attach
# shellcheck disable=SC2086
check "examples/attach.c builds against the packaged libnetd (pkg-config)" \
	cc -std=gnu11 -Wall -Werror -o "$EX" "$TOP/examples/attach.c" $PC
check "...and needs libnetd.so.$SOVERSION" \
	sh -c "readelf -d '$EX' | grep -q 'NEEDED.*libnetd.so.$SOVERSION'"
out=$(LD_LIBRARY_PATH=$ROOT/usr/lib/$MA "$EX" pk /run/netns/c1 c1 2>&1)
check "...and attaches c1 with the packaged library ($out)" grep -q "(libnetd $VERSION)" <<<"$out"
check "...and detaches it" env LD_LIBRARY_PATH="$ROOT/usr/lib/$MA" "$EX" -d pk c1
check "packaged netd: network rm" "$N" network rm pk
check_eq "nothing left: veths, leases, claims, map elements" "0 0 0 0" \
	"$(count_veths) $(count_leases) $(count_claims) $(count_map_elements)"
finish
