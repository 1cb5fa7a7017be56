#!/bin/bash
# Kubernetes' own path into netd-cni: containerd's CRI plugin driven as kubelet drives it, over
# its gRPC socket, with our own small CRI client (cri/cri.py, messages from cri/cri.proto).
#
#   Status (NetworkReady false: no CNI config yet) -> UpdateRuntimeConfig(pod CIDR): containerd
#   renders its conf_template into the CNI config dir -> NetworkReady -> RunPodSandbox with a
#   hostPort (port_mappings) -> PodSandboxStatus (the pod IP) -> CreateContainer/StartContainer
#   (busybox httpd in the pod) -> the hostPort answers from the node and from another machine ->
#   StopContainer/RemoveContainer -> StopPodSandbox (CNI DEL) -> RemovePodSandbox -> nothing left.
#
# containerd runs inside the lab host (own network, mount and PID namespaces: everything it
# starts dies with the test), with its root, state and sockets on tmpfs. The sandbox ("pause")
# and app image is a busybox rootfs (scripts/mkrootfs.sh) packed by cri/mkimage.py and imported
# with `ctr -n k8s.io images import`: no registry. Pods get a cgroup parent of their own, which
# is removed at the end whatever happens.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# With a PID namespace of its own: containerd, its shims and the pods die with the test.
LAB_PIDNS=1 lab_enter "$@"

PY=${CRI_PYTHON:-/usr/bin/python3}
HERE=$TOP/tests/e2e/cri
POD_CIDR=10.244.7.0/24
POD_GW=10.244.7.1
HOST_PORT=8080
IMAGE=localhost/netd-test/busybox:1
W=$LAB_DIR/cri
SOCK=$W/containerd.sock
CG_PARENT=netd-cri-$(basename "$LAB_DIR" | tr -dc 'A-Za-z0-9')
CTD_PID=

# The pods' cgroup parent in every hierarchy (v1 and hybrid: one per controller; v2: one).
pod_cgroup_roots() {
	local d
	for d in /sys/fs/cgroup/"$CG_PARENT" /sys/fs/cgroup/*/"$CG_PARENT"; do
		[ -d "$d" ] && echo "$d"
	done
}
# Whatever happens: containerd stops, and the pods' cgroups (the one thing here that is not in
# a namespace of ours) are removed.
cleanup() {
	local d i
	if [ -n "$CTD_PID" ]; then
		kill "$CTD_PID" 2>/dev/null
		wait "$CTD_PID" 2>/dev/null
	fi
	# What is left (shims, and pods when a check failed) must be gone before their cgroups can
	# be removed.
	lab_reap
	for i in $(seq 30); do
		for d in $(pod_cgroup_roots); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		[ -z "$(pod_cgroup_roots)" ] && break
		sleep 0.1
	done
	# containerd's mounts under the lab dir (container rootfs, shm) would keep lab_exit from
	# unmounting it when the test stopped half-way.
	umount --recursive --lazy "$LAB_DIR" 2>/dev/null
	lab_exit
}
trap cleanup EXIT

need() { # NAME TEST...: a prerequisite; without it the test fails, saying what is missing
	local what=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	not_ok "prerequisite: $what"
	finish
	exit 1
}
# (scripts/install-deps.sh installs the packages)
need "containerd 1.6+ with ctr" command -v containerd ctr containerd-shim-runc-v2 runc
need "python3-grpcio and python3-protobuf" "$PY" -c 'import grpc, google.protobuf'
need "protobuf-compiler (protoc)" command -v protoc
need "the loopback CNI plugin (containernetworking-plugins)" test -x /usr/lib/cni/loopback
need "$BUILD/netd-cni (make all)" test -x "$BUILD/netd-cni"

# Private /run (containerd's shims put their sockets under /run/containerd, whatever the config
# says) and /var/lib (libcni's result cache is /var/lib/cni): the host's are never touched.
need "private /run and /var/lib" eval 'mount -t tmpfs cri-run /run && mkdir /run/netns &&
	mount -t tmpfs cri-netns /run/netns && mount -t tmpfs cri-varlib /var/lib'
mkdir -p "$W"/{net.d,cni-bin,logs,pb}

cri() { CRI_PB_DIR=$W/pb timeout 90 "$PY" "$HERE/cri.py" --socket "$SOCK" "$@"; }
json() { # FIELD: one field of the JSON object on stdin (empty when there is none)
	"$PY" -c 'import json,sys
try:
    v=json.load(sys.stdin)
    for k in sys.argv[1].split("."): v=v[k]
except Exception: sys.exit(1)
print(str(v).lower() if isinstance(v, bool) else v)' "$1" 2>/dev/null
}
# new_id VAR DESC CMD...: CMD prints a new object's id (64 hex digits) into VAR
new_id() {
	local var=$1 desc=$2 out
	shift 2
	out=$("$@" 2>&1)
	if [[ $out =~ ^[0-9a-f]{64}$ ]]; then
		ok "$desc (${out:0:12})"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -5
		out=
	fi
	printf -v "$var" '%s' "$out"
}
in_pod_cidr() { case $1 in 10.244.7.*) [ "$1" != "$POD_GW" ] ;; *) false ;; esac }
count_files() { find "$1" -type f 2>/dev/null | wc -l; }
count_pod_cgroups() { pod_cgroup_roots | xargs -r -I{} find {} -mindepth 1 -type d | wc -l; }
count_cri_netns() { find /run/netns -name 'cni-*' 2>/dev/null | wc -l; }

# ---- the node: CNI plugin dir, conflist template, containerd config, image ----

# bin_dir holds netd-cni and the reference loopback plugin, which the CRI plugin runs for every
# pod's lo (and requires to report NetworkReady).
ln -s "$BUILD/netd-cni" "$W/cni-bin/netd-cni"
ln -s /usr/lib/cni/loopback "$W/cni-bin/loopback"
# The template of docs/kubernetes.md: containerd fills in the pod CIDR kubelet hands it.
TMPL=$HERE/10-netd.conflist.tmpl
cat >"$W/config.toml" <<EOF
version = 2
root = "$W/root"
state = "$W/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE"
  disable_apparmor = true
  # Sandboxes get oom_score_adj -998 unless this clamps it to containerd's own: lowering it
  # needs CAP_SYS_RESOURCE, which a machine that is itself a container may not have.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$W/cni-bin"
    conf_dir = "$W/net.d"
    conf_template = "$TMPL"
EOF
"$TOP/scripts/mkrootfs.sh" "$W/rootfs" >/dev/null
echo "hello from a CRI pod" >"$W/rootfs/www/index.html"
# The image's own command is the sandbox's "pause": it only holds the pod's namespaces.
check "busybox rootfs packed as an image ($IMAGE)" \
	"$PY" "$HERE/mkimage.py" "$W/rootfs" "$W/image.tar" "$IMAGE" /bin/sleep infinity

# containerd gets the lab's NETD_STATE_DIR/NETD_CONFIG_DIR and hands its environment on to
# the plugins it runs.
containerd -c "$W/config.toml" >"$W/containerd.log" 2>&1 &
CTD_PID=$!
wait_until 100 test -S "$SOCK"
check "containerd's CRI plugin answers Version ($(cri version 2>&1))" cri version
check "ctr -n k8s.io images import" \
	ctr --address "$SOCK" -n k8s.io images import --snapshotter native "$W/image.tar"
check "the CRI image service has $IMAGE" cri image-status "$IMAGE"

# ---- the node's pod CIDR arrives (kubelet: UpdateRuntimeConfig) ----

STATUS=$(cri status)
check_eq "before the pod CIDR: NetworkReady is false" false \
	"$(json NetworkReady.status <<<"$STATUS")"
check "UpdateRuntimeConfig(pod_cidr=$POD_CIDR)" cri update-runtime-config "$POD_CIDR"
CONF=$W/net.d/10-containerd-net.conflist
check "containerd rendered the template with the pod CIDR" grep -q "\"subnet\": \"$POD_CIDR\"" "$CONF"
network_ready() { [ "$(cri status | json NetworkReady.status)" = true ]; }
check "NetworkReady is true (within 5 s)" wait_until 50 network_ready

# ---- pods ----

pod_json() { # NAME FILE [PORTS JSON]
	cat >"$2" <<EOF
{ "metadata": { "name": "$1", "namespace": "default", "uid": "uid-$1", "attempt": 0 },
  "hostname": "$1",
  "logDirectory": "$W/logs/$1",
  "dnsConfig": { "servers": [ "10.96.0.10" ], "searches": [ "default.svc.cluster.local" ] },
  "portMappings": [ ${3:-} ],
  "linux": { "cgroupParent": "/$CG_PARENT" } }
EOF
}
pod_json web "$W/web.json" "{ \"protocol\": \"TCP\", \"containerPort\": 80, \"hostPort\": $HOST_PORT }"
pod_json idle "$W/idle.json"

new_id WEB "RunPodSandbox web (hostPort $HOST_PORT -> 80)" cri run-pod "$W/web.json"
new_id IDLE "RunPodSandbox idle (no ports)" cri run-pod "$W/idle.json"
WEB_ST=$(cri pod-status "$WEB" 2>&1)
IDLE_ST=$(cri pod-status "$IDLE" 2>&1)
WEB_IP=$(json ip <<<"$WEB_ST")
IDLE_IP=$(json ip <<<"$IDLE_ST")
check_eq "PodSandboxStatus web: SANDBOX_READY" SANDBOX_READY "$(json state <<<"$WEB_ST")"
check "PodSandboxStatus web: pod IP $WEB_IP is in $POD_CIDR" in_pod_cidr "$WEB_IP"
check "PodSandboxStatus idle: pod IP $IDLE_IP is in $POD_CIDR, not web's" \
	sh -c "case '$IDLE_IP' in 10.244.7.*) [ '$IDLE_IP' != '$WEB_IP' ] ;; *) false ;; esac"

# What netd-cni made for the two pods, in the lab's state dir (so the environment reached it).
check_eq "two pods: two veths" 2 "$(count_veths)"
check_eq "two pods: two leases" 2 "$(count_leases)"
check_eq "two pods: two endpoint records" 2 "$(count_files "$NETD_STATE_DIR/networks/k8s-pod-network/endpoints")"
check_eq "web's hostPort: one published-port map element" 1 "$(count_map_elements)"
check_eq "web's hostPort: one port claim" 1 "$(count_files "$NETD_STATE_DIR/ports")"
check "bridge cni0 has the gateway $POD_GW/24" sh -c "ip -4 addr show dev cni0 | grep -q 'inet $POD_GW/24'"
WEB_NS=$(for n in /run/netns/cni-*; do
	ip -n "${n##*/}" -4 -o addr show dev eth0 2>/dev/null | grep -q " $WEB_IP/" && echo "${n##*/}"
done)
check "web's network namespace ($WEB_NS) has eth0 with $WEB_IP/24" test -n "$WEB_NS"
check "web's default route is via $POD_GW (ipam.routes 0.0.0.0/0)" \
	sh -c "ip -n '$WEB_NS' -4 route show default | grep -q 'via $POD_GW dev eth0'"
check "web's lo is up (the loopback plugin ran)" \
	sh -c "ip -n '$WEB_NS' link show lo | grep -q 'UP'"

# ---- a container in the web pod serves the page ----

new_id CTR "CreateContainer httpd in web" \
	cri create-container "$WEB" "$W/web.json" httpd "$IMAGE" /bin/httpd -f -p 80 -h /www
check "StartContainer httpd" cri start-container "$CTR"
check_eq "ContainerStatus httpd: CONTAINER_RUNNING" CONTAINER_RUNNING \
	"$(cri container-status "$CTR" 2>&1 | json state)"
page() { curl -fsS -m 3 "$@" 2>&1 | grep -q "hello from a CRI pod"; }
wait_until 30 page "http://$WEB_IP/"
check "the node reaches the pod: http://$WEB_IP/" page "http://$WEB_IP/"
check "hostPort from the node: http://127.0.0.1:$HOST_PORT/" page "http://127.0.0.1:$HOST_PORT/"

# Another machine on the node's LAN: a namespace behind a veth, 10.123.0.2 -> node 10.123.0.1.
mkns other
ip link add lan0 type veth peer name eth0 netns other
ip addr add 10.123.0.1/24 dev lan0
ip link set lan0 up
ip -n other addr add 10.123.0.2/24 dev eth0
ip -n other link set eth0 up
check "hostPort from another machine: http://10.123.0.1:$HOST_PORT/" \
	ip netns exec other curl -fsS -m 3 -o /dev/null "http://10.123.0.1:$HOST_PORT/"
check "the other machine sees the page" ip netns exec other sh -c \
	"curl -fsS -m 3 http://10.123.0.1:$HOST_PORT/ | grep -q 'hello from a CRI pod'"
IDLE_NS=$(for n in /run/netns/cni-*; do
	ip -n "${n##*/}" -4 -o addr show dev eth0 2>/dev/null | grep -q " $IDLE_IP/" && echo "${n##*/}"
done)
check "pod idle -> pod web:80 over cni0" \
	ip netns exec "$IDLE_NS" curl -fsS -m 3 -o /dev/null "http://$WEB_IP/"

# ---- teardown as kubelet does it ----

check "StopContainer httpd (timeout 0)" cri stop-container "$CTR" 0
check "RemoveContainer httpd" cri remove-container "$CTR"
check "StopPodSandbox web" cri stop-pod "$WEB"
check_eq "after StopPodSandbox web: PodSandboxStatus SANDBOX_NOTREADY" SANDBOX_NOTREADY \
	"$(cri pod-status "$WEB" 2>&1 | json state)"
check_fails "after StopPodSandbox web: the hostPort no longer answers" \
	curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$HOST_PORT/"
check_eq "after StopPodSandbox web: one veth (idle's)" 1 "$(count_veths)"
check_eq "after StopPodSandbox web: no map element" 0 "$(count_map_elements)"
check_eq "after StopPodSandbox web: no port claim" 0 "$(count_files "$NETD_STATE_DIR/ports")"
check "StopPodSandbox web again (kubelet repeats it): still succeeds" cri stop-pod "$WEB"
check "RemovePodSandbox web" cri remove-pod "$WEB"
check "pod idle still reaches the node's gateway" \
	ip netns exec "$IDLE_NS" ping -c1 -W2 "$POD_GW"
check "StopPodSandbox idle" cri stop-pod "$IDLE"
check "RemovePodSandbox idle" cri remove-pod "$IDLE"
check "RemovePodSandbox idle again: still succeeds" cri remove-pod "$IDLE"

check_eq "after removal: ListPodSandbox is empty" "" "$(cri list-pods 2>&1)"
check_eq "after removal: no veths" 0 "$(count_veths)"
check_eq "after removal: no leases" 0 "$(count_leases)"
check_eq "after removal: no endpoint records" 0 "$(count_files "$NETD_STATE_DIR/networks/k8s-pod-network/endpoints")"
check_eq "after removal: no port claims" 0 "$(count_files "$NETD_STATE_DIR/ports")"
check_eq "after removal: no published-port map elements" 0 "$(count_map_elements)"
check_eq "after removal: no pod network namespaces" 0 "$(count_cri_netns)"
check_eq "after removal: libcni's result cache is empty" 0 "$(count_files /var/lib/cni/results)"
check_eq "after removal: no pod cgroups" 0 "$(count_pod_cgroups)"
if [ "$T_FAIL" -ne 0 ]; then
	echo "# containerd log (last lines):"
	grep -iE 'level=(error|warning)' "$W/containerd.log" | tail -15 | cut -c1-300 | sed 's/^/#   /'
fi
finish
