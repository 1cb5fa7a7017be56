#!/bin/bash
# The main job, end to end on a fresh Debian machine (as root):
#   installs the build dependencies, builds, makes a busybox rootfs, starts a web server in a
#   container with `nsbox run -p 8080:80`, and shows it answering on http://127.0.0.1:8080/.
# DEMO_KEEP=1 leaves the container running; then `build/nsbox stop demo` stops it and
# `build/nsbox rm demo` removes its record and log (nsbox ps lists it as exited until then).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo $0)" >&2; exit 2; }

scripts/install-deps.sh
make -s
ROOTFS=${ROOTFS:-/var/lib/netd/demo-rootfs}
scripts/mkrootfs.sh "$ROOTFS" >/dev/null
# A demo left by an earlier run: stopped and removed, so the name is free.
build/nsbox stop -t 1 demo >/dev/null 2>&1 || true
build/nsbox rm demo >/dev/null 2>&1 || true
# --init: busybox httpd as PID 1 would ignore SIGTERM (PID 1 gets no default signal actions), so
# `nsbox stop` would wait its 10 s and end it with SIGKILL, exited(137). nsbox's tiny init is PID
# 1 instead: it passes SIGTERM on to httpd, which ends at once.
echo "+ build/nsbox run -d --init --name demo -p 8080:80 $ROOTFS httpd -f -p 80 -h /var/www"
build/nsbox run -d --init --name demo -p 8080:80 "$ROOTFS" httpd -f -p 80 -h /var/www
cleanup() {
	[ "${DEMO_KEEP:-0}" = 1 ] && return
	build/nsbox stop demo >/dev/null 2>&1 || true
	build/nsbox rm demo >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 50); do
	curl -fs --max-time 1 http://127.0.0.1:8080/ >/dev/null 2>&1 && break
	sleep 0.1
done
echo "+ curl http://127.0.0.1:8080/"
curl -fsS --max-time 3 http://127.0.0.1:8080/
echo "+ build/nsbox ps"
build/nsbox ps
echo "+ nft list table ip netd   (the port is one element of map pub_any; no docker-proxy)"
nft list table ip netd 2>/dev/null || true
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	echo "demo keeps running: build/nsbox stop demo; build/nsbox rm demo"
else
	echo "+ build/nsbox stop demo; build/nsbox rm demo"
fi
