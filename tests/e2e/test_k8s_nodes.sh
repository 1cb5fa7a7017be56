#!/bin/bash
# Pod-to-pod traffic between Kubernetes nodes, as docs/kubernetes.md sets it up: three "nodes"
# (each a network namespace playing a host, with netd-cni's own state and config dirs) on one
# LAN (a bridge in a namespace of its own), a pod CIDR per node (rendered into the CNI config
# from containerd's template cri/10-netd.conflist.tmpl on two nodes, read from flannel's
# subnet.env through "subnetFile" on the third), and host-gw routes:
# every node routes each other node's pod CIDR via that node's LAN address. Pods are network
# namespaces attached by netd-cni ADD, as containerd would call it.
#
#   LAN 10.200.0.0/24 (bridge lan0 in namespace "lan")
#     node1 10.200.0.11   pods 10.244.1.0/24   routes 10.244.2.0/24 via .12, 10.244.3.0/24 via .13
#     node2 10.200.0.12   pods 10.244.2.0/24   ...
#     node3 10.200.0.13   pods 10.244.3.0/24   ...
#
# Checked: ping and TCP between pods of every pair of nodes, both ways, with the pod's own
# address as the source the other pod sees (no NAT between pods); a hostPort on each node
# answers from another node and from a pod there; netd serve, run with netd-cni's dirs, puts
# the hostPorts back after a firewall reload and collects a pod that died without DEL; DEL
# leaves nothing on any node.
#
# Firewall: traffic between pods of different nodes is forwarded from a node's LAN interface
# into its bridge without DNAT. The config sets "gatewayMode": "routed", the mode in which netd
# lets such connections in; hostPorts are DNATed and work in either mode.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
LAB_PIDNS=1 lab_enter "$@"

CNI=$BUILD/netd-cni
TMPL=$TOP/tests/e2e/cri/10-netd.conflist.tmpl
NODES=(1 2 3)
[ -x "$CNI" ] || { not_ok "no $CNI (make all)"; finish; exit 1; }
command -v jq >/dev/null || { not_ok "prerequisite: jq"; finish; exit 1; }

node_ip() { echo "10.200.0.1$1"; }
pod_cidr() { echo "10.244.$1.0/24"; }
pod_gw() { echo "10.244.$1.1"; }
wait_until() { # N CMD...: up to N tries, 100 ms apart
	local i
	for ((i = 0; i < $1; i++)); do "${@:2}" && return 0; sleep 0.1; done
	return 1
}
in_node() { # N CMD...: CMD on node N, with that node's netd state and config
	local n=$1
	shift
	ip netns exec "node$n" env NETD_STATE_DIR="$LAB_DIR/node$n/state" \
		NETD_CONFIG_DIR="$LAB_DIR/node$n/etc" "$@"
}

# ---- the LAN and the nodes ----

mkns lan
ip -n lan link add lan0 type bridge
ip -n lan link set lan0 up
for n in "${NODES[@]}"; do
	mkns "node$n"
	ip link add eth0 netns "node$n" type veth peer name "n$n" netns lan
	ip -n lan link set "n$n" master lan0 up
	ip -n "node$n" addr add "$(node_ip "$n")/24" dev eth0
	ip -n "node$n" link set eth0 up
	mkdir -p "$LAB_DIR/node$n/state" "$LAB_DIR/node$n/etc"
done
# node1 and node2: what containerd does with the node's pod CIDR (Go's text/template; here one
# substitution). node3: flannel's way, the CIDR from the subnet.env flanneld writes.
for n in 1 2; do
	sed "s|{{.PodCIDR}}|$(pod_cidr "$n")|" "$TMPL" >"$LAB_DIR/node$n/10-netd.conflist"
done
cat >"$LAB_DIR/node3/subnet.env" <<EOF
FLANNEL_NETWORK=10.244.0.0/16
FLANNEL_SUBNET=$(pod_gw 3)/24
FLANNEL_MTU=1500
FLANNEL_IPMASQ=true
EOF
# (as docs/kubernetes.md: FLANNEL_IPMASQ=true says flanneld masquerades, so netd-cni must not)
cat >"$LAB_DIR/node3/10-netd.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "k8s-pod-network",
  "plugins": [
    { "type": "netd-cni", "bridge": "cni0", "subnetFile": "$LAB_DIR/node3/subnet.env",
      "isDefaultGateway": true, "ipMasq": false, "gatewayMode": "routed",
      "capabilities": { "portMappings": true } }
  ]
}
EOF
check "node1 reaches node2 and node3 on the LAN" \
	ip netns exec node1 sh -c "ping -c1 -W2 $(node_ip 2) && ping -c1 -W2 $(node_ip 3)"

# host-gw: each node routes the other nodes' pod CIDRs via their LAN addresses.
for n in "${NODES[@]}"; do
	for m in "${NODES[@]}"; do
		[ "$n" = "$m" ] || ip -n "node$n" route add "$(pod_cidr "$m")" via "$(node_ip "$m")"
	done
done

# ---- pods: a (with hostPort 8080 -> 80) and b on each node ----

# node_cni N CMD POD [PORTMAPPINGS]: netd-cni on node N, called as libcni calls the first plugin
# of the node's conflist: that plugin's object plus the list's name and cniVersion.
node_cni() {
	local n=$1 cmd=$2 pod=$3 pm=${4:-[]}
	jq --argjson pm "$pm" '.plugins[0] + {name, cniVersion}
		+ (if ($pm | length) > 0 then {runtimeConfig: {portMappings: $pm}} else {} end)' \
		"$LAB_DIR/node$n/10-netd.conflist" |
		in_node "$n" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$pod" CNI_NETNS="/run/netns/$pod" \
			CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
			CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" \
			timeout 30 "$CNI"
}
declare -A IP HTTPD
for n in "${NODES[@]}"; do
	for p in a b; do
		pod=n$n$p
		mkns "$pod"
		pm=[]
		[ $p = a ] && pm='[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]'
		# (stderr apart: a node's first ADD says there that it turned IP forwarding on)
		if out=$(node_cni "$n" ADD "$pod" "$pm" 2>"$LAB_DIR/add.err"); then
			IP[$pod]=$(jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1)
		else
			IP[$pod]=
			out="$out $(cat "$LAB_DIR/add.err")"
		fi
		check "node$n: ADD $pod: address ${IP[$pod]:-none} in $(pod_cidr "$n")" \
			sh -c "case '${IP[$pod]}' in 10.244.$n.*) true ;; *) echo '$out'; false ;; esac"
		# a web server in every pod; /cgi-bin/ip answers with the client's address as seen there
		mkdir -p "$LAB_DIR/www/$pod/cgi-bin"
		echo "pod $pod" >"$LAB_DIR/www/$pod/index.html"
		printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' \
			>"$LAB_DIR/www/$pod/cgi-bin/ip"
		chmod 755 "$LAB_DIR/www/$pod/cgi-bin/ip"
		ip netns exec "$pod" busybox httpd -f -p 0.0.0.0:80 -h "$LAB_DIR/www/$pod" &
		HTTPD[$pod]=$!
	done
	check "node$n: default route of n${n}a via $(pod_gw "$n")" \
		sh -c "ip -n n${n}a -4 route show default | grep -q 'via $(pod_gw "$n") dev eth0'"
done
listening() { ip netns exec "$1" sh -c "ss -Hltn 'sport = :80' | grep -q ."; }
for pod in "${!IP[@]}"; do
	for _ in $(seq 50); do listening "$pod" && break; sleep 0.1; done
done

# ---- pod to pod ----

# seen_as FROM TO: the address pod TO sees a TCP connection from pod FROM come from
seen_as() { ip netns exec "$1" curl -fsS -m 3 "http://${IP[$2]}/cgi-bin/ip" 2>&1; }
check_eq "same node: n1b -> n1a over cni0, seen from ${IP[n1b]}" "${IP[n1b]}" "$(seen_as n1b n1a)"
for n in "${NODES[@]}"; do
	for m in "${NODES[@]}"; do
		[ "$n" = "$m" ] && continue
		check "node$n -> node$m: ping n${n}a -> n${m}a (${IP[n${m}a]})" \
			ip netns exec "n${n}a" ping -c1 -W2 "${IP[n${m}a]}"
		check_eq "node$n -> node$m: TCP n${n}b -> n${m}a:80, seen from ${IP[n${n}b]} (no NAT)" \
			"${IP[n${n}b]}" "$(seen_as "n${n}b" "n${m}a")"
	done
done
check "a node reaches a pod on another node: node1 -> n2a:80" \
	ip netns exec node1 sh -c "curl -fsS -m 3 http://${IP[n2a]}/ | grep -q 'pod n2a'"

# ---- hostPorts ----

for n in "${NODES[@]}"; do
	m=$((n % 3 + 1))
	check "hostPort: node$m -> node$n:8080 answers from n${n}a" ip netns exec "node$m" sh -c \
		"curl -fsS -m 3 http://$(node_ip "$n"):8080/ | grep -q 'pod n${n}a'"
	check "hostPort: pod n${m}b -> node$n:8080 answers from n${n}a" ip netns exec "n${m}b" sh -c \
		"curl -fsS -m 3 http://$(node_ip "$n"):8080/ | grep -q 'pod n${n}a'"
done

# ---- what netd serve adds on a node (with netd-cni's config dir) ----

export -f count_veths count_leases count_map_elements # (lib.sh) for in_node
hostport_answers() { # FROM-NODE N: node N's hostPort answers node FROM-NODE
	ip netns exec "node$1" curl -fsS -m 2 -o /dev/null "http://$(node_ip "$2"):8080/"
}
# A firewall reload (nftables.service: flush ruleset) takes every hostPort with it...
ip netns exec node2 nft flush ruleset
check_fails "node2 after nft flush ruleset: its hostPort is gone" hostport_answers 3 2
# ...and the watcher puts table ip netd back from netd-cni's records.
check "node2: netd serve --once restores table ip netd" in_node 2 "$NETD" serve --once
check "node2 after netd serve: its hostPort answers node3 again" hostport_answers 3 2
# A pod whose network namespace dies without a CNI DEL (runtime killed, node rebooted): netd
# serve sees its veth go and collects its address, record and hostPort.
in_node 1 "$NETD" serve 2>"$LAB_DIR/serve1.log" &
SERVE=$!
sleep 0.5 # (subscribed to link events)
kill "${HTTPD[n1a]}"
wait "${HTTPD[n1a]}" 2>/dev/null
ip netns del n1a
node1_collected() {
	[ "$(in_node 1 bash -c count_leases)" = 1 ] && [ "$(in_node 1 bash -c count_map_elements)" = 0 ]
}
check "node1: netd serve collects pod n1a's lease and hostPort within 2 s of its netns dying" \
	wait_until 20 node1_collected
check_fails "node1: n1a's hostPort no longer answers" hostport_answers 2 1
check "node1: n1b still reaches n2a" ip netns exec n1b curl -fsS -m 3 -o /dev/null "http://${IP[n2a]}/"

# ---- DEL leaves nothing ----

for p in "${HTTPD[@]}" "$SERVE"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
for n in "${NODES[@]}"; do
	for p in a b; do
		check "node$n: DEL n$n$p" node_cni "$n" DEL "n$n$p"
	done
	check "node$n: DEL n${n}a again: still succeeds" node_cni "$n" DEL "n${n}a"
	check_eq "node$n: no veths left" 0 "$(in_node "$n" bash -c count_veths)"
	check_eq "node$n: no leases left" 0 "$(in_node "$n" bash -c count_leases)"
	check_eq "node$n: no map elements left" 0 "$(in_node "$n" bash -c count_map_elements)"
	check_eq "node$n: no endpoint records or port claims left" 0 \
		"$(find "$LAB_DIR/node$n/state" -type f \( -path '*/endpoints/*' -o -path '*/ports/*' \) | wc -l)"
done
finish
