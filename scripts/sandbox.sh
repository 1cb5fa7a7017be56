#!/bin/bash
# sandbox.sh [CMD [ARG...]]: a throwaway host to try netd and nsbox in, as root, without touching
# this machine: its own network namespace (only lo, up), mount namespace and PID namespace, with
# empty tmpfs over /run/netns, /etc/netd and /var/lib/netd, and build/ first on PATH. Runs CMD
# there, by default an interactive shell. When it ends, everything made inside goes with it:
# interfaces, bridges, nftables tables, namespaces, mounts, state, and every process started.
# A directory among those three that this machine lacks is made empty for the mount and removed
# again at the end.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
HIDE=(/run/netns /etc/netd /var/lib/netd)
[ "$(id -u)" = 0 ] || {
	echo "sandbox: run as root (sudo $0)" >&2
	exit 2
}

if [ -z "${NETD_SANDBOX:-}" ]; then
	made=()
	for d in "${HIDE[@]}"; do
		if [ ! -d "$d" ]; then
			mkdir -p "$d"
			made+=("$d")
		fi
	done
	rc=0
	NETD_SANDBOX=1 unshare --net --mount --pid --fork --mount-proc --propagation private -- \
		"$0" "$@" || rc=$?
	for d in "${made[@]}"; do rmdir "$d" 2>/dev/null || true; done
	exit $rc
fi

# Inside: PID 1 of the sandbox's PID namespace.
for d in "${HIDE[@]}"; do
	mount -t tmpfs "netd-sandbox" "$d"
done
mkdir -p /etc/netd/networks
ip link set lo up
export PATH=$TOP/build:$PATH
# Variables that would point netd elsewhere than the hidden dirs.
unset NETD_STATE_DIR NETD_CONFIG_DIR
if [ $# -gt 0 ]; then
	"$@"
	exit
fi
echo "netd sandbox: own network, mount and PID namespaces; /etc/netd, /var/lib/netd and"
echo "/run/netns are empty tmpfs; $TOP/build is first on PATH. exit (or ^D) removes it all."
export PS1='(netd sandbox) \w\$ '
bash --norc -i || true
