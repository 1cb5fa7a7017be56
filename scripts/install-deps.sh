#!/bin/bash
# Installs every Debian package the build, the tests and the benchmarks need. Idempotent.
#   scripts/install-deps.sh          build + tests (what `make check` needs)
#   scripts/install-deps.sh --bench  also the reference tools the benchmarks compare against
set -eu
PKGS=(
	build-essential pkg-config clang clang-format
	libmnl-dev libnftnl-dev libnl-3-dev libnl-route-3-dev libjansson-dev libcmocka-dev
	libsystemd-dev libseccomp-dev systemd mandoc man-db
	# Debian packages of our own (tests/e2e/test_deb.sh): dpkg-buildpackage, lintian
	debhelper dpkg-dev fakeroot lintian
	iproute2 nftables conntrack curl busybox-static python3 iputils-ping util-linux procps valgrind
	# names on networks (netd/lib/dns.c; optional at run time, tested by tests/e2e/test_dns.sh)
	aardvark-dns
	# real CNI clients (tests/e2e/test_cni_*.sh): libcni, reference plugins, podman, containerd
	golang-go golang-github-appc-cni-dev containernetworking-plugins iptables jq
	podman containerd runc crun conmon
	# the CRI test's own client (tests/e2e/cri): gRPC and protobuf for /usr/bin/python3, protoc
	python3-grpcio python3-protobuf protobuf-compiler
)
BENCH=(hyperfine iperf3 wrk nginx-light gnuplot-nox docker.io)
[ "${1:-}" = --bench ] && PKGS+=("${BENCH[@]}")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages such as nginx, containerd or podman must not start services on the host while we
# install them: policy-rc.d says no to every service start for the duration.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/netd-apt.log 2>&1 || {
	tail -30 /tmp/netd-apt.log
	exit 1
}
