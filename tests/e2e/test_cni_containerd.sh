#!/bin/bash
# netd-cni behind containerd's `ctr run --cni` (Debian 12's containerd 1.6; go-cni, the CNI layer
# of its CRI plugin): a private containerd (own root, state and socket, CRI plugin off) runs
# busybox containers from a rootfs dir; ADD when a task starts, libcni's CHECK of containerd's
# attachment, a published port answering, DEL with an empty CNI_NETNS after the task died, and
# nothing left behind. ctr always reads the first conflist of /etc/cni/net.d and plugins from
# /opt/cni/bin: in the lab's mount namespace both are bind mounts of our own dirs.
# ctr passes no capability args, so the web container's conflist carries the port mapping as
# the static runtimeConfig a runtime would otherwise inject (libcni leaves it as it is).
# shellcheck source=clients.sh
source "$(dirname "$0")/clients.sh"
clients_enter "$@"
need_bin containerd ctr runc curl
build_cnirun

NET=ctnet
SUBNET=10.98.3.0/24
GW=10.98.3.1
ETC=$WORK/net.d
mkdir -p "$ETC" "$WORK/opt"
# The bind targets must exist. /opt gets a tmpfs of the lab's own; /etc/cni/net.d (podman's
# package ships it) is made here, and removed at exit, only when the machine lacks it.
mount -t tmpfs lab-opt /opt && mkdir -p /opt/cni/bin
MADE=()
if [ ! -d /etc/cni/net.d ]; then
	[ -d /etc/cni ] && MADE=(/etc/cni/net.d) || MADE=(/etc/cni)
	mkdir -p /etc/cni/net.d
fi
mount --bind "$ETC" /etc/cni/net.d && mount --bind "$PLUGINS" /opt/cni/bin || {
	not_ok "bind-mount our conflist and plugin dirs over ctr's defaults"
	finish
	exit 1
}
PORTS=', "capabilities": { "portMappings": true },
      "runtimeConfig": { "portMappings": [ { "hostPort": 8080, "containerPort": 80, "protocol": "tcp" } ] }'
write_conflist "$WORK/with-port.conflist" $NET ctbr0 $SUBNET "$PORTS"
write_conflist "$WORK/plain.conflist" $NET ctbr0 $SUBNET
use_conflist() { cp "$WORK/$1.conflist" "$ETC/10-$NET.conflist"; }

cat >"$WORK/containerd.toml" <<EOF
version = 2
root = "$WORK/ctd-root"
state = "$WORK/ctd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$WORK/ctd.sock"
[ttrpc]
  address = "$WORK/ctd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
EOF
ROOTFS=$WORK/rootfs
make_rootfs "$ROOTFS" ctr-page || {
	not_ok "mkrootfs"
	finish
	exit 1
}
containerd -c "$WORK/containerd.toml" >"$WORK/containerd.log" 2>&1 &
CTD=$!
WEB=
cleanup() {
	[ -n "$WEB" ] && ctr --address "$WORK/ctd.sock" task kill -s KILL web >/dev/null 2>&1
	[ -n "$WEB" ] && wait "$WEB" 2>/dev/null
	kill "$CTD" 2>/dev/null
	wait "$CTD" 2>/dev/null
	umount /etc/cni/net.d 2>/dev/null
	for d in "${MADE[@]}"; do rm -r "$d"; done
	lab_exit
}
trap cleanup EXIT
c() { timeout -k 5 60 ctr --address "$WORK/ctd.sock" "$@"; }
# No cgroup of its own (--cgroup ""), no image (--rootfs): nothing outside the lab is made.
RUN=(run --rm --cni --cgroup "" --fifo-dir "$WORK/fifo" --rootfs "$ROOTFS")
until_ok 100 test -S "$WORK/ctd.sock"
check "a private containerd answers" c version

# -- a one-shot container: ADD, its command sees eth0, DEL when it ends
use_conflist plain
out=$(c "${RUN[@]}" once /bin/ip -4 -o addr show eth0 2>&1)
check "ctr run --rm --cni: the container sees eth0 with an address in $SUBNET" \
	grep -q "inet ${GW%.*}\." <<<"$out"
check_eq "ctr's DEL after the task ended came with an empty CNI_NETNS" 1 \
	"$(grep -c '^DEL id=default-once netns=- ' "$SPYLOG")"
nothing_left "after the one-shot container"

# -- a web container with a published port
use_conflist with-port
c "${RUN[@]}" web /bin/httpd -f -p 80 -h /www >"$WORK/web.log" 2>&1 &
WEB=$!
until_ok 100 sh -c "ctr --address $WORK/ctd.sock task ls | grep -q '^web .*RUNNING'"
use_conflist plain
PID=$(c task ls 2>/dev/null | awk '$1 == "web" { print $2 }')
IP=$(nsenter -t "${PID:-0}" -n ip -4 -o addr show eth0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }')
check "web task runs (pid ${PID:-none}) with an address in $SUBNET (${IP:-none})" \
	test "${IP%.*}" = "${GW%.*}"
check "ADD came with CNI_NETNS /proc/PID/ns/net" \
	grep -q "^ADD id=default-web netns=/proc/$PID/ns/net " "$SPYLOG"
check "web's default route goes via $GW" \
	sh -c "nsenter -t $PID -n ip route show default | grep -q 'via $GW '"
check_eq "one lease, one claim, one map element" "1 1 1" \
	"$(count_leases) $(count_claims) $(count_map_elements)"
check "libcni CHECK of containerd's attachment" timeout 60 "$CNIRUN" \
	-conflist "$WORK/with-port.conflist" -path "$PLUGINS" -netns /proc/$PID/ns/net \
	-id default-web check
until_ok 50 curl -fsS -m 1 -o /dev/null "http://$IP/"
check "the published port answers on 127.0.0.1:8080" page_is http://127.0.0.1:8080/ ctr-page
check "the published port answers on the gateway $GW:8080" page_is http://$GW:8080/ ctr-page
out=$(c "${RUN[@]}" client /bin/wget -q -O - "http://$GW:8080/" 2>&1)
check_eq "a second container reaches the published port through the gateway" ctr-page "$out"

# -- the task dies: ctr sends DEL, from its own state (the namespace is gone)
c task kill -s KILL web >/dev/null 2>&1
wait "$WEB"
WEB=
check_eq "web's DEL came with an empty CNI_NETNS" 1 \
	"$(grep -c '^DEL id=default-web netns=- ' "$SPYLOG")"
check_fails "the port no longer answers" curl -fsS -m 2 http://127.0.0.1:8080/
check "libcni's result cache is empty" sh -c "[ -z \"\$(ls -A /var/lib/cni/results 2>/dev/null)\" ]"
nothing_left "after the web task died"
check_eq "every ADD was matched by a DEL" "$(calls ADD)" "$(calls DEL)"
finish
