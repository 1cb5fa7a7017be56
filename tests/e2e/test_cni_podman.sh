#!/bin/bash
# netd-cni behind podman's CNI backend (Debian 12's podman 4.3, `--network-backend cni`): a
# conflist in a lab-private network_config_dir, a busybox container from a rootfs dir with
# `-p 8080:80`, the port answering, another container reaching it, libcni's CHECK of podman's
# attachment, `network reload`, stop (DEL), start (ADD), rm, and nothing left behind; then a
# dual-stack conflist (an IPv4 and an IPv6 range set): both addresses, IPv6 between the host and
# the containers, the published port over IPv6, CHECK, nothing left.
# podman's state (storage, runroot, tmp, events) is on the lab's tmpfs; containers run with
# --cgroups=disabled, so nothing is made in the machine's cgroup tree.
# shellcheck source=clients.sh
source "$(dirname "$0")/clients.sh"
clients_enter "$@"
need_bin podman crun conmon curl
build_cnirun

NET=pdnet
SUBNET=10.98.2.0/24
GW=10.98.2.1
mkdir -p "$WORK/net.d" "$WORK/podman-tmp"
# "ips" beside "portMappings", as podman's own configs declare: `network reload` re-adds the
# container with its old address through it, and podman 4.3 then replaces a capability list
# that lacks "ips" with {"ips": true}, which would drop the port mappings.
write_conflist "$WORK/net.d/$NET.conflist" $NET pdbr0 $SUBNET \
	', "capabilities": { "portMappings": true, "ips": true }'
cat >"$WORK/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$WORK/podman-events.log"
runtime = "crun"
tmp_dir = "$WORK/podman-tmp"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PLUGINS"]
network_config_dir = "$WORK/net.d"
default_network = "$NET"
EOF
cat >"$WORK/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$WORK/podman-run"
graphroot = "$WORK/podman-storage"
EOF
export CONTAINERS_CONF=$WORK/containers.conf CONTAINERS_STORAGE_CONF=$WORK/storage.conf
export TMPDIR=$WORK/podman-tmp
ROOTFS=$WORK/rootfs
make_rootfs "$ROOTFS" podman-page || {
	not_ok "mkrootfs"
	finish
	exit 1
}
# crun 1.8 refuses a hybrid cgroup layout (v1 controllers plus cgroup2 at
# /sys/fs/cgroup/unified) even with --cgroups=disabled: hide the cgroup2 mount from it, in the
# lab's mount namespace only.
umount /sys/fs/cgroup/unified 2>/dev/null
libpod_cgroups() { find /sys/fs/cgroup -maxdepth 3 -type d -name 'libpod_parent*' 2>/dev/null | wc -l; }
CG_BEFORE=$(libpod_cgroups)

pm() { timeout -k 5 120 podman --network-backend cni --cgroup-manager cgroupfs "$@"; }
# The container ends are torn down by `podman rm` at the latest; the trap covers a failure.
trap 'pm rm -a -f -t 0 >/dev/null 2>&1; lab_exit' EXIT
RUNOPTS=(--cgroups=disabled --network $NET)
ip_of() { pm inspect "$1" --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" 2>/dev/null; }

check_eq "podman uses the CNI backend" cni "$(pm info --format '{{.Host.NetworkBackend}}' 2>&1)"
check "podman network ls shows $NET from our conflist" \
	sh -c "podman --network-backend cni network ls --format '{{.Name}}' | grep -qx $NET"

# -- run: CNI ADD with runtimeConfig.portMappings
check "podman run -d -p 8080:80 (busybox httpd)" \
	pm run -d --name web -p 8080:80 "${RUNOPTS[@]}" --rootfs "$ROOTFS" /bin/httpd -f -p 80 -h /www
IP=$(ip_of web)
check "web got an address in $SUBNET (${IP:-none})" test "${IP%.*}" = "${GW%.*}"
check "eth0 inside web carries $IP" sh -c "podman exec web ip -4 addr show eth0 | grep -q 'inet $IP/'"
check "web's default route goes via $GW" sh -c "podman exec web ip route | grep -q '^default via $GW '"
check_eq "ADD got runtimeConfig.portMappings with hostPort 8080" 1 \
	"$(configs_with ADD '"portMappings": *\[ *\{[^]]*"hostPort": *8080')"
check "ADD got podman's CNI_ARGS (K8S_POD_NAME=web)" grep -q '^ADD .*K8S_POD_NAME=web' "$SPYLOG"
check_eq "one lease, one claim, one map element" "1 1 1" \
	"$(count_leases) $(count_claims) $(count_map_elements)"
until_ok 50 curl -fsS -m 1 -o /dev/null "http://$IP/"
check "the published port answers on 127.0.0.1:8080" page_is http://127.0.0.1:8080/ podman-page
check "the published port answers on the gateway $GW:8080" page_is http://$GW:8080/ podman-page

# -- CHECK of podman's attachment, through libcni and the result cache podman left
ID=$(pm inspect web --format '{{.Id}}' 2>/dev/null)
NETNS=$(pm inspect web --format '{{.NetworkSettings.SandboxKey}}' 2>/dev/null)
check "libcni CHECK of podman's attachment ($NETNS)" timeout 60 "$CNIRUN" \
	-conflist "$WORK/net.d/$NET.conflist" -path "$PLUGINS" -netns "$NETNS" -id "$ID" check

# -- a one-shot second container reaches web, and is torn down when it ends
ONESHOT=(pm run --rm --timeout 20 "${RUNOPTS[@]}" --rootfs "$ROOTFS")
out=$("${ONESHOT[@]}" /bin/wget -q -O - "http://$IP/" 2>&1)
check_eq "a second container reaches web:80" podman-page "$out"
out=$("${ONESHOT[@]}" /bin/wget -q -O - "http://$GW:8080/" 2>&1)
check_eq "a second container reaches the published port through the gateway" podman-page "$out"
check_eq "the one-shot containers were detached (1 veth, 1 lease left)" "1 1" \
	"$(count_veths) $(count_leases)"

# -- network reload: DEL + ADD with the old address, the port kept
check "podman network reload web" pm network reload web
check_eq "reload kept the address" "$IP" "$(ip_of web)"
until_ok 30 curl -fsS -m 1 -o /dev/null http://127.0.0.1:8080/
check "the published port answers after reload" page_is http://127.0.0.1:8080/ podman-page

# -- stop: DEL
check "podman stop web" pm stop -t 0 web
check_fails "the port no longer answers after stop" curl -fsS -m 2 http://127.0.0.1:8080/
check "libcni's result cache is empty after stop" \
	sh -c "[ -z \"\$(ls -A /var/lib/cni/results 2>/dev/null)\" ]"
nothing_left "after stop"

# -- start: ADD again
check "podman start web" pm start web
until_ok 50 curl -fsS -m 1 -o /dev/null http://127.0.0.1:8080/
check "the published port answers after start" page_is http://127.0.0.1:8080/ podman-page

# -- rm: DEL, nothing left
check "podman rm -f web" pm rm -f -t 0 web
check_fails "the port no longer answers after rm" curl -fsS -m 2 http://127.0.0.1:8080/
nothing_left "after rm"
# -- dual stack: a conflist with an IPv4 and an IPv6 range set and both default routes
NET6=pd6net
cat >"$WORK/net.d/$NET6.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NET6",
  "plugins": [
    { "type": "netd-cni", "bridge": "pd6br0", "isGateway": true, "ipMasq": true,
      "capabilities": { "portMappings": true, "ips": true },
      "ipam": { "type": "netd",
                "ranges": [ [ { "subnet": "10.98.3.0/24" } ], [ { "subnet": "fd98:3::/64" } ] ],
                "routes": [ { "dst": "0.0.0.0/0" }, { "dst": "::/0" } ] } }
  ]
}
EOF
net_field() { pm inspect "$1" --format "{{(index .NetworkSettings.Networks \"$NET6\").$2}}" 2>/dev/null; }
check "podman run -d -p 8081:80 on the dual-stack network" \
	pm run -d --name web6 -p 8081:80 --cgroups=disabled --network $NET6 --rootfs "$ROOTFS" \
	/bin/httpd -f -p 80 -h /www
IP6=$(net_field web6 GlobalIPv6Address)
IP4=$(net_field web6 IPAddress)
check "podman reports an IPv6 address in fd98:3::/64 (${IP6:-none})" test "${IP6%:*}" = "fd98:3:"
check "  ... and an IPv4 address in 10.98.3.0/24 (${IP4:-none})" test "${IP4%.*}" = 10.98.3
check "eth0 inside web6 carries $IP6" sh -c "podman exec web6 ip -6 addr show eth0 | grep -q 'inet6 $IP6/64'"
check "web6's IPv6 default route goes via fd98:3::1" \
	sh -c "podman exec web6 ip -6 route | grep -q '^default via fd98:3::1 '"
until_ok 50 curl -fsS -m 1 -o /dev/null "http://[$IP6]/"
check "the host reaches web6:80 over IPv6" page_is "http://[$IP6]/" podman-page
out=$(pm run --rm --timeout 20 --cgroups=disabled --network $NET6 --rootfs "$ROOTFS" \
	/bin/wget -q -O - "http://[$IP6]/" 2>&1)
check_eq "a second container reaches web6:80 over IPv6" podman-page "$out"
check "the published port answers on 127.0.0.1:8081" page_is http://127.0.0.1:8081/ podman-page
check "the published port answers over IPv6 on [fd98:3::1]:8081 (a host address)" \
	page_is "http://[fd98:3::1]:8081/" podman-page
check_eq "two leases (one per family) for web6" 2 "$(count_leases)"
ID6=$(pm inspect web6 --format '{{.Id}}' 2>/dev/null)
NETNS6=$(pm inspect web6 --format '{{.NetworkSettings.SandboxKey}}' 2>/dev/null)
check "libcni CHECK of web6's dual-stack attachment" timeout 60 "$CNIRUN" \
	-conflist "$WORK/net.d/$NET6.conflist" -path "$PLUGINS" -netns "$NETNS6" -id "$ID6" check
check "podman stop web6" pm stop -t 0 web6
nothing_left "after stopping web6"
check "podman rm web6" pm rm -f -t 0 web6
nothing_left "after rm of web6"

check "no conmon or container process left" sh -c "! ps -eo comm= | grep -Eqx 'conmon|httpd|busybox'"
check_eq "no libpod cgroup was made" "$CG_BEFORE" "$(libpod_cgroups)"
check "every ADD was matched by a DEL" test "$(calls ADD)" -le "$(calls DEL)"
finish
