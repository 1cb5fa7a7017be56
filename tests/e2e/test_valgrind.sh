#!/bin/bash
# valgrind --leak-check=full on the main paths of netd, netd-cni and nsbox, in a lab host: each
# command is one check, failing on any memory error or definite leak (--error-exitcode) as well
# as on the command's own failure. valgrind needs a build without ASan: this script makes one in
# build-vg/ (make BUILD=build-vg OPT="-O1 -g"; VG_BUILD=DIR to use another).
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

VG_BUILD=${VG_BUILD:-$TOP/build-vg}
if [ -z "${NETD_LAB:-}" ]; then
	command -v valgrind >/dev/null || { echo "not ok - valgrind not installed"; exit 1; }
	# Built once, before entering the lab (the re-exec would build twice otherwise).
	if ! make -C "$TOP" -s BUILD="$VG_BUILD" OPT="-O1 -g" all >/tmp/netd-vg-build.log 2>&1; then
		echo "not ok - build for valgrind in $VG_BUILD"
		tail -20 /tmp/netd-vg-build.log | sed 's/^/#   /'
		exit 1
	fi
fi
export VG_BUILD
lab_enter "$@"
set -u

NETD=$VG_BUILD/netd
CNI=$VG_BUILD/netd-cni
NSBOX=$VG_BUILD/nsbox
LOGS=$LAB_DIR/vg
mkdir -p "$LOGS"
unset ASAN_OPTIONS UBSAN_OPTIONS
VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
	--show-leak-kinds=definite --track-origins=yes --child-silent-after-fork=yes)
N=0

# vg NAME CMD...: CMD under valgrind; ok when it exits 0 (VG_RC=N: exits N) and valgrind found
# nothing. stdin from $VG_IN when set; stdout kept in $LOGS/out.
vg() {
	local name=$1 rc=0 log
	shift
	N=$((N + 1))
	log=$LOGS/$N.log
	"${VG[@]}" --log-file="$log" "$@" <"${VG_IN:-/dev/null}" >"$LOGS/out" 2>"$LOGS/err" || rc=$?
	# valgrind's own notes on ioctls it cannot model (NS_GET_NSTYPE) are no findings
	sed -i -e '/Warning: noted but unhandled ioctl/d' -e '/This could cause spurious value/d' \
		-e '/See README_MISSING_SYSCALL_OR_IOCTL/d' "$log"
	if [ "$rc" -eq "${VG_RC:-0}" ] && [ ! -s "$log" ]; then
		ok "valgrind: $name"
	else
		not_ok "valgrind: $name (exit $rc)"
		sed 's/^/#   /' "$LOGS/err" | head -5
		grep -v '^==[0-9]*== *$' "$log" | head -40 | sed 's/^/#   /'
	fi
}

# ---- netd ----
mkns v1
vg "netd network create" "$NETD" network create vg1 --subnet 10.66.0.0/24
vg "netd network ls" "$NETD" network ls
vg "netd network ls --json" "$NETD" network ls --json
vg "netd network inspect --json" "$NETD" network inspect vg1 --json
vg "netd attach -p" "$NETD" attach vg1 --netns /run/netns/v1 --id v1 -p 8080:80 \
	-p 127.0.0.1:8081:81/udp
vg "netd check" "$NETD" check vg1 --id v1
vg "netd ps" "$NETD" ps
vg "netd ps --json" "$NETD" ps --json
VG_RC=3 vg "netd attach refused (port taken)" "$NETD" attach vg1 --netns /run/netns/v1 --id v9 \
	-p 8080:80
vg "netd detach" "$NETD" detach vg1 --id v1
mkns v2
"$NETD" attach vg1 --netns /run/netns/v2 --id v2 -p 9090:90 >/dev/null
ip netns del v2
vg "netd gc (a dead namespace)" "$NETD" gc
check_eq "... gc collected it" "0 0 0 0" "$(count_veths) $(count_leases) $(count_claims) $(count_map_elements)"
vg "netd serve --once" "$NETD" serve --once
vg "netd network rm" "$NETD" network rm vg1

# ---- netd-cni ----
CONF='{"cniVersion":"1.0.0","name":"vgc","type":"netd-cni","bridge":"br-vgc","isGateway":true,
"ipMasq":true,"ipam":{"type":"netd","subnet":"10.67.0.0/24","routes":[{"dst":"0.0.0.0/0"}]},
"runtimeConfig":{"portMappings":[{"hostPort":8088,"containerPort":80,"protocol":"tcp"}]}}'
printf '%s' "$CONF" >"$LOGS/conf.json"
cniv() { # NAME CMD ID: netd-cni under valgrind with CNI_* set, config from $VG_IN
	local name=$1
	export CNI_COMMAND=$2 CNI_CONTAINERID=$3 CNI_NETNS=/run/netns/k1 CNI_IFNAME=eth0
	export CNI_PATH=/nonexistent
	vg "$name" "$CNI"
	unset CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH
}
mkns k1
VG_IN=$LOGS/conf.json cniv "netd-cni VERSION" VERSION ""
VG_IN=$LOGS/conf.json cniv "netd-cni ADD with portMappings" ADD k1
python3 - "$LOGS/conf.json" "$LOGS/out" "$LOGS/check.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[3], "w"))
EOF
VG_IN=$LOGS/check.json cniv "netd-cni CHECK" CHECK k1
VG_IN=$LOGS/conf.json cniv "netd-cni STATUS" STATUS ""
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["cniVersion"]="1.1.0"
c["cni.dev/valid-attachments"]=[{"containerID":"k1","ifname":"eth0"}]; print(json.dumps(c))' \
	"$LOGS/conf.json" >"$LOGS/gc.json"
VG_IN=$LOGS/gc.json cniv "netd-cni GC" GC ""
VG_IN=$LOGS/conf.json cniv "netd-cni DEL" DEL k1
VG_IN=$LOGS/conf.json cniv "netd-cni DEL again (already gone)" DEL k1
printf '{"cniVersion":"1.0.0","name":' >"$LOGS/bad.json"
VG_IN=$LOGS/bad.json VG_RC=1 cniv "netd-cni error path (bad JSON)" ADD k2
check_eq "... nothing left after DEL" "0 0 0" "$(count_veths) $(count_leases) $(count_claims)"

# ---- nsbox ----
ROOTFS=$LAB_DIR/rootfs
if "$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null 2>&1; then
	vg "nsbox run --network none" timeout 120 "$NSBOX" run --network none "$ROOTFS" /bin/true
	vg "nsbox run (default network)" timeout 120 "$NSBOX" run "$ROOTFS" /bin/true
	vg "nsbox run -p" timeout 120 "$NSBOX" run --name vgp -p 8099:80 "$ROOTFS" /bin/true
	vg "nsbox ps" "$NSBOX" ps
	VG_RC=125 vg "nsbox run refused (bad --memory)" "$NSBOX" run --memory 1x "$ROOTFS" /bin/true
	check_eq "... nsbox left nothing" "0 0 0" "$(count_veths) $(count_leases) $(count_claims)"
else
	not_ok "mkrootfs for nsbox"
fi
finish
