#!/bin/bash
# What a CNI call asks of the kernel and the disk, counted with strace (issue 15): an ADD with a
# port and its DEL make no fsync of the state dir (it describes this boot's kernel objects,
# docs/design.md), the ADD asks nothing about the veth it just made (the create's echo carries
# its ifindex, Linux >= 6.3), and no call opens /dev/urandom (jansson's seed). The ADD's result
# and the DEL must stay as they were: the container answers on its address, nothing is left.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/netd-cni
W=$LAB_DIR/floor
mkdir -p "$W"
command -v strace >/dev/null || {
	echo "ok - # SKIP no strace"
	exit 0
}
CONF='{"cniVersion":"1.0.0","name":"fl","type":"netd-cni","bridge":"br-fl","isGateway":true,"ipMasq":true,"capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":18081,"containerPort":80,"protocol":"tcp"}]},"ipam":{"type":"netd","ranges":[[{"subnet":"10.94.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}'

# LeakSanitizer cannot run under ptrace: leaks are left to the other tests.
cni() { # CMD ID NETNS TRACE-FILE: one call under strace -f, config $C (default $CONF)
	printf '%s' "${C:-$CONF}" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="/run/netns/$3" \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -s 32 -o "$4" \
		-e trace=fsync,fdatasync,sync_file_range,openat,sendmsg,sendto "$P" >"$W/out" 2>"$W/err"
}
# The host end's name is "nd" + 8 hex digits; the echo-less ADD asked for it by name (IFLA_IFNAME).
host_getlinks() { grep -c 'RTM_GETLINK' "$1"; }

mkns c1
mkns c2
# The first ADD makes the bridge and the tables: not what is counted.
C0=$(jq -c 'del(.runtimeConfig)' <<<"$CONF")
C=$C0 check "ADD (first, sets up the network)" cni ADD warm c2 "$W/warm.st"
check "ADD with one port" cni ADD a1 c1 "$W/add.st"
ip=$(jq -r '.ips[0].address' "$W/out" | cut -d/ -f1)
check "  ... the container answers ping from the host" ping -c1 -W2 "$ip"
check_eq "  ... no fsync, fdatasync or sync_file_range" 0 \
	"$(grep -cE '(fsync|fdatasync|sync_file_range)\(' "$W/add.st")"
check_eq "  ... no /dev/urandom" 0 "$(grep -c '/dev/urandom' "$W/add.st")"
kv=$(uname -r | awk -F. '{print $1 * 1000 + $2}')
if [ "$kv" -ge 6003 ]; then
	check_eq "  ... no RTM_GETLINK on the host (the create's echo has the ifindex)" 0 \
		"$(host_getlinks "$W/add.st")"
else
	ok "  ... # SKIP Linux $(uname -r) echoes no created link (< 6.3)"
fi
check "DEL" cni DEL a1 c1 "$W/del.st"
check_eq "  ... no fsync, fdatasync or sync_file_range" 0 \
	"$(grep -cE '(fsync|fdatasync|sync_file_range)\(' "$W/del.st")"
check_eq "  ... no /dev/urandom" 0 "$(grep -c '/dev/urandom' "$W/del.st")"
check "VERSION" cni VERSION v c1 "$W/ver.st"
check_eq "  ... no /dev/urandom" 0 "$(grep -c '/dev/urandom' "$W/ver.st")"
C=$C0 check "DEL (first)" cni DEL warm c2 "$W/del2.st"
wait_until 30 test "$(count_veths)" = 0
check_eq "nothing left: veths, leases, claims" "0 0 0" "$(count_veths) $(count_leases) $(count_claims)"
finish
