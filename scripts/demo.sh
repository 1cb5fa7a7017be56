#!/bin/bash
# The main job, end to end on a fresh Debian machine (as root):
#   installs the build dependencies, builds, makes a busybox rootfs, starts a web server in a
#   container with `nsbox run -p 8080:80`, and shows it answering on http://127.0.0.1:8080/.
# DEMO_KEEP=1 leaves the container running (stop it with: build/nsbox stop demo).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo $0)" >&2; exit 2; }

scripts/install-deps.sh
make -s
ROOTFS=${ROOTFS:-/var/lib/netd/demo-rootfs}
scripts/mkrootfs.sh "$ROOTFS" >/dev/null
echo "+ build/nsbox run -d --name demo -p 8080:80 $ROOTFS httpd -f -p 80 -h /var/www"
build/nsbox stop demo >/dev/null 2>&1 || true
build/nsbox run -d --name demo -p 8080:80 "$ROOTFS" httpd -f -p 80 -h /var/www
cleanup() { [ "${DEMO_KEEP:-0}" = 1 ] || build/nsbox stop demo >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 50); do
	curl -fs --max-time 1 http://127.0.0.1:8080/ >/dev/null 2>&1 && break
	sleep 0.1
done
echo "+ curl http://127.0.0.1:8080/"
curl -fsS --max-time 3 http://127.0.0.1:8080/
echo "+ build/nsbox ps"
build/nsbox ps
echo "+ nft list table ip netd   (the port is one map element, no docker-proxy)"
nft list table ip netd 2>/dev/null | sed -n '1,40p' || true
