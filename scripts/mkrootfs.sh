#!/bin/bash
# mkrootfs.sh DIR: a small container rootfs from Debian's busybox-static (about 2 MB):
#   /bin/busybox plus a symlink per applet in /bin, /etc/passwd and /etc/group, empty /etc/hosts,
#   /etc/hostname and /etc/resolv.conf (nsbox bind-mounts generated ones over them), the usual
#   mount points, and a sample page in /www (and /var/www) for `httpd -f -p 80 -h /www`;
#   busybox httpd serves its current directory by default, so the page is also in /.
set -eu
DIR=${1:?usage: mkrootfs.sh DIR}
BB=${BUSYBOX:-/bin/busybox}
if ! "$BB" --list >/dev/null 2>&1 || ! ldd "$BB" 2>&1 | grep -q 'not a dynamic'; then
	echo "mkrootfs: $BB is not a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi
mkdir -p "$DIR"
cd "$DIR"
mkdir -p bin sbin etc proc sys dev tmp root www var/www usr/bin usr/sbin
chmod 1777 tmp
chmod 700 root
cp "$BB" bin/busybox
for applet in $(bin/busybox --list); do
	[ "$applet" = busybox ] && continue
	[ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
www-data:x:33:
nogroup:x:65534:
EOF
: >etc/hosts
: >etc/hostname
: >etc/resolv.conf
cat >www/index.html <<'EOF'
<!doctype html>
<title>nsbox</title>
<h1>Hello from nsbox</h1>
<p>This page is served by busybox httpd, PID 1 of a container started by nsbox.</p>
EOF
cp www/index.html var/www/index.html
cp www/index.html index.html
echo "mkrootfs: $(cd "$DIR" && pwd) ($(du -sh . | cut -f1), $(ls bin | wc -l) commands)"
