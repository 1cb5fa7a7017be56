#!/bin/bash
# netd-cni driven by hand, as a runtime would exec it (CNI_* env, config on stdin), in a lab host:
# VERSION, ADD/CHECK/DEL/GC/STATUS, result shapes (0.3.1, 0.4.0, 1.0.0), the spec's error object
# for bad JSON/env/config, CNI_ARGS IP/MAC, port mappings, ifname exists, DEL twice / without
# netns / with the namespace gone, delegated IPAM (host-local), chaining into the reference
# tuning plugin, parallel ADDs.
source "$(dirname "$0")/../lib.sh"
lab_enter "$@"

P=$BUILD/netd-cni
REF=${CNI_REF_DIR:-/usr/lib/cni}
W=$LAB_DIR/cni
mkdir -p "$W"
OUT=$W/out.json
ERR=$W/err.txt

# cni CMD ID NETNS IFNAME CONFIG [CNI_ARGS] -> exit status; stdout in $OUT, stderr in $ERR
cni() {
	printf '%s' "$5" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME="$4" \
		CNI_ARGS="${6:-}" CNI_PATH="$REF" "$P" >"$OUT" 2>"$ERR"
}

# jq-less JSON probes: pyq EXPR FILE prints eval(EXPR) with d = the parsed file
pyq() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"
}

# conf NAME SUBNET [VERSION] [EXTRA-JSON-MEMBERS]
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"netd-cni","bridge":"%s","isGateway":true,"ipMasq":true,"ipam":{"type":"netd","ranges":[[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"}]}%s}' \
		"${3:-1.0.0}" "$1" "br-$1" "$2" "${4:-}"
}

# with_prev CONF RESULT-FILE: CONF with "prevResult" set to the result
with_prev() {
	python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["prevResult"]=json.load(open(sys.argv[2])); print(json.dumps(c))' "$1" "$2"
}

# err_names CODE WORD: is_error CODE, and the message or details mention WORD
err_names() { is_error "$1" && grep -q -- "$2" "$OUT"; }

is_error() { # CODE: the last call failed, printed the spec's error object with CODE and a msg
	python3 - "$1" "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
assert d["code"] == int(sys.argv[1]), d
assert isinstance(d["msg"], str) and d["msg"], d
assert "cniVersion" in d, d
EOF
}

C1=$(conf n1 10.91.0.0/24)

# ---- VERSION
check "VERSION answers without a config" sh -c "printf '' | CNI_COMMAND=VERSION $P >$OUT"
check_eq "VERSION lists 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" "0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" \
	"$(pyq '" ".join(d["supportedVersions"])' "$OUT")"
printf '{"cniVersion":"0.4.0"}' | CNI_COMMAND=VERSION CNI_IFNAME=dummy "$P" >"$OUT"
check_eq "VERSION echoes the config's cniVersion" "0.4.0" "$(pyq 'd["cniVersion"]' "$OUT")"

# ---- bad input: the spec's error object, non-zero exit, nothing on the host
mkns c1
check_fails "ADD with bad JSON fails" cni ADD c1 /run/netns/c1 eth0 '{"cniVersion":'
check "  ... with code 6 (decoding failure)" is_error 6
check_fails "ADD without CNI_CONTAINERID fails" cni ADD "" /run/netns/c1 eth0 "$C1"
check "  ... with code 4 (invalid environment)" is_error 4
check_fails "ADD with an unknown CNI_ARGS key fails" cni ADD c1 /run/netns/c1 eth0 "$C1" "FOO=1"
check "  ... with code 4" is_error 4
check_fails "ADD with CNI_NETNS that does not exist fails" cni ADD c1 /run/netns/nope eth0 "$C1"
check "  ... with code 4" is_error 4
check_fails "ADD with cniVersion 0.2.0 fails" cni ADD c1 /run/netns/c1 eth0 "$(conf n1 10.91.0.0/24 0.2.0)"
check "  ... with code 1 (incompatible version)" is_error 1
check_fails "ADD with an IPv6 range of a prefix netd does not serve (/124) fails" \
	cni ADD c1 /run/netns/c1 eth0 "$(conf n1 fd00::/124)"
check "  ... with code 7 (invalid config)" is_error 7
check_fails "ADD with subnet host bits / bad range fails" cni ADD c1 /run/netns/c1 eth0 \
	'{"cniVersion":"1.0.0","name":"n1","type":"netd-cni","ipam":{"subnet":"10.91.0.0/24","rangeStart":"10.92.0.5"}}'
check "  ... with code 7 and a message naming the range" err_names 7 range
check_fails "ADD without any subnet fails" cni ADD c1 /run/netns/c1 eth0 '{"cniVersion":"1.0.0","name":"n1","type":"netd-cni"}'
check "  ... with code 7" is_error 7
check_eq "bad input created no bridge" "" "$(ip -o link show type bridge)"
check_eq "bad input created no veth" 0 "$(count_veths)"
check_eq "bad input defined no network" "" "$(ls "$NETD_CONFIG_DIR" 2>/dev/null)"
check_eq "bad input left no nft table" "" "$(nft list tables 2>/dev/null | grep netd)"

# ---- ADD (1.0.0), with a port mapping
PM=',"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}'
C1P=$(conf n1 10.91.0.0/24 1.0.0 "$PM")
check "ADD c1 (1.0.0, one port mapping)" cni ADD c1 /run/netns/c1 eth0 "$C1P"
cp "$OUT" "$W/c1.json"
check "stdout is exactly one JSON document" python3 -c "import json; json.load(open('$W/c1.json'))"
check "result 1.0.0: cniVersion, bridge, host veth, eth0 with mac and sandbox" python3 - "$W/c1.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cniVersion"] == "1.0.0", d
i = d["interfaces"]
assert len(i) == 3 and i[0]["name"] == "br-n1" and "sandbox" not in i[0], i
assert i[1]["name"].startswith("nd") and len(i[1].get("mac", "")) == 17, i
assert i[2]["name"] == "eth0" and i[2]["sandbox"] == "/run/netns/c1" and len(i[2]["mac"]) == 17, i
ip = d["ips"][0]
assert ip["address"].startswith("10.91.0.") and ip["address"].endswith("/24"), ip
assert ip["gateway"] == "10.91.0.1" and ip["interface"] == 2 and "version" not in ip, ip
assert {"dst": "0.0.0.0/0", "gw": "10.91.0.1"} in d["routes"], d["routes"]
EOF
IP1=$(pyq 'd["ips"][0]["address"].split("/")[0]' "$W/c1.json")
MAC1=$(pyq 'd["interfaces"][2]["mac"]' "$W/c1.json")
check "container eth0 has $IP1 and the result's MAC" sh -c "ip -n c1 -4 addr show eth0 | grep -q 'inet $IP1/24' && ip -n c1 link show eth0 | grep -q $MAC1"
check "container default route via 10.91.0.1" sh -c "ip -n c1 route show default | grep -q 'via 10.91.0.1'"
check "host -> c1 ping" ping -c1 -W2 "$IP1"
check_eq "one published port in table ip netd" 1 "$(count_map_elements)"
check_eq "one lease" 1 "$(count_leases)"

# ---- CHECK
C1PREV=$(with_prev "$C1P" "$W/c1.json")
check "CHECK c1 with prevResult" cni CHECK c1 /run/netns/c1 eth0 "$C1PREV"
check_eq "CHECK prints nothing" "" "$(cat "$OUT")"
check_fails "CHECK without prevResult fails" cni CHECK c1 /run/netns/c1 eth0 "$C1P"
check "  ... with code 7" is_error 7
check_fails "CHECK with cniVersion 0.3.1 fails" cni CHECK c1 /run/netns/c1 eth0 "$(with_prev "$(conf n1 10.91.0.0/24 0.3.1)" "$W/c1.json")"
check "  ... with code 1" is_error 1
check_fails "CHECK of an unknown container fails" cni CHECK zz /run/netns/c1 eth0 "$C1PREV"

# ---- ifname exists: fails, changes nothing
ip -n c1 link add eth1 type veth peer name eth1p
V0=$(count_veths) L0=$(count_leases)
check_fails "ADD with CNI_IFNAME that exists in the netns fails" cni ADD c1 /run/netns/c1 eth1 "$C1"
check "  ... with code 7, message names eth1" err_names 7 eth1
check_eq "  ... no veth left behind" "$V0" "$(count_veths)"
check_eq "  ... no lease left behind" "$L0" "$(count_leases)"
check_fails "ADD of the same container/ifname again fails" cni ADD c1 /run/netns/c1 eth0 "$C1"
check_eq "  ... the attachment is intact" "$V0 $L0" "$(count_veths) $(count_leases)"
check "  ... and CHECK still passes" cni CHECK c1 /run/netns/c1 eth0 "$C1PREV"

# ---- 0.3.1 and 0.4.0 result shapes, CNI_ARGS IP= and MAC=
mkns c2
check "ADD c2 (0.3.1) with CNI_ARGS IP=10.91.0.50 MAC=0a:58:0a:5b:00:32" \
	cni ADD c2 /run/netns/c2 eth0 "$(conf n1 10.91.0.0/24 0.3.1)" "IgnoreUnknown=1;K8S_POD_NAME=p2;IP=10.91.0.50;MAC=0a:58:0a:5b:00:32"
cp "$OUT" "$W/c2.json"
check "result 0.3.1: version \"4\", the asked-for address and MAC" python3 - "$W/c2.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cniVersion"] == "0.3.1", d
ip = d["ips"][0]
assert ip["version"] == "4" and ip["address"] == "10.91.0.50/24" and ip["interface"] == 2, ip
assert d["interfaces"][2]["mac"] == "0a:58:0a:5b:00:32", d["interfaces"]
EOF
check "c2 eth0 carries 10.91.0.50" sh -c "ip -n c2 -4 addr show eth0 | grep -q 'inet 10.91.0.50/'"
check "c1 -> c2 over the bridge" ip netns exec c1 ping -c1 -W2 10.91.0.50
mkns c3
check_fails "ADD c3 asking for c2's address fails" cni ADD c3 /run/netns/c3 eth0 "$C1" "IP=10.91.0.50"
check_eq "  ... c3 got no interface" "" "$(ip -n c3 -o link show eth0 2>/dev/null)"
check "ADD c3 (0.4.0) with runtimeConfig.ips" cni ADD c3 /run/netns/c3 eth0 \
	"$(conf n1 10.91.0.0/24 0.4.0 ',"runtimeConfig":{"ips":["10.91.0.77/24"]}')"
check_eq "result 0.4.0 has 10.91.0.77 with version 4" "0.4.0 10.91.0.77/24 4" \
	"$(pyq 'd["cniVersion"]+" "+d["ips"][0]["address"]+" "+d["ips"][0]["version"]' "$OUT")"

# ---- CHECK notices what is broken
ip -n c2 addr flush dev eth0
check_fails "CHECK c2 fails after its address was flushed" cni CHECK c2 /run/netns/c2 eth0 \
	"$(with_prev "$(conf n1 10.91.0.0/24 0.4.0)" "$W/c2.json")"
check "  ... with a message naming the address" grep -q "10.91.0.50" "$OUT"

# ---- DEL: twice, without CNI_NETNS, with the namespace gone
check "DEL c1" cni DEL c1 /run/netns/c1 eth0 "$C1P"
check_eq "  ... DEL prints nothing" "" "$(cat "$OUT")"
check_eq "  ... eth0 gone from c1" "" "$(ip -n c1 -o link show eth0 2>/dev/null)"
check_eq "  ... port mapping gone" 0 "$(count_map_elements)"
check "DEL c1 again succeeds" cni DEL c1 /run/netns/c1 eth0 "$C1P"
check "DEL c2 (tampered) with CNI_NETNS empty" cni DEL c2 "" eth0 "$C1"
ip netns del c3
check "DEL c3 after its namespace is gone" cni DEL c3 /run/netns/c3 eth0 "$C1"
check_eq "no veth left" 0 "$(count_veths)"
check_eq "no lease left" 0 "$(count_leases)"
check_eq "no port claim left" 0 "$(count_claims)"
check "DEL of a container never added succeeds" cni DEL never /run/netns/c1 eth0 "$C1"
check "DEL on a network never defined succeeds" cni DEL c1 "" eth0 "$(conf nx 10.95.0.0/24)"

# ---- GC: keeps what is listed, removes the rest; both key names
for c in g1 g2 g3; do mkns $c; cni ADD $c /run/netns/$c eth0 "$C1" || not_ok "ADD $c: $(cat "$OUT")"; done
check_eq "three attachments before GC" "3 3" "$(count_veths) $(count_leases)"
GC1='{"cniVersion":"1.1.0","name":"n1","type":"netd-cni","cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"},{"containerID":"g2","ifname":"eth0"}]}'
check "GC keeping g1, g2 (cni.dev/valid-attachments)" sh -c "printf '%s' '$GC1' | CNI_COMMAND=GC $P"
check_eq "  ... g3 collected" "2 2" "$(count_veths) $(count_leases)"
check_eq "  ... g3's eth0 gone" "" "$(ip -n g3 -o link show eth0 2>/dev/null)"
check "  ... g1 still answers" ip netns exec g1 ping -c1 -W2 10.91.0.1
GC2='{"cniVersion":"1.1.0","name":"n1","type":"netd-cni","cni.dev/attachments":[{"containerID":"g2","ifname":"eth0"}]}'
check "GC keeping g2 (cni.dev/attachments)" sh -c "printf '%s' '$GC2' | CNI_COMMAND=GC $P"
check_eq "  ... g1 collected" "1 1" "$(count_veths) $(count_leases)"
check "GC of a network never defined succeeds" sh -c "printf '%s' '{\"cniVersion\":\"1.1.0\",\"name\":\"nx\",\"cni.dev/valid-attachments\":[]}' | CNI_COMMAND=GC $P"
cni DEL g2 /run/netns/g2 eth0 "$C1"

# ---- STATUS
check "STATUS of n1 (free addresses)" sh -c "printf '%s' '$C1' | CNI_COMMAND=STATUS $P >$OUT"
check "STATUS of a network never defined" sh -c "printf '%s' '$(conf ny 10.96.0.0/24)' | CNI_COMMAND=STATUS $P"
TINY=$(conf tiny 10.97.0.0/30)
mkns t1
mkns t2
check "ADD t1 on a /30 (one address besides the gateway)" cni ADD t1 /run/netns/t1 eth0 "$TINY"
check_fails "ADD t2 on the full /30 fails" cni ADD t2 /run/netns/t2 eth0 "$TINY"
if printf '%s' "$TINY" | CNI_COMMAND=STATUS "$P" >"$OUT"; then
	not_ok "STATUS of the full /30 fails"
else
	ok "STATUS of the full /30 fails"
fi
check "  ... with code 50 (cannot serve ADDs)" is_error 50
cni DEL t1 /run/netns/t1 eth0 "$TINY"
check "STATUS after DEL succeeds again" sh -c "printf '%s' '$TINY' | CNI_COMMAND=STATUS $P"

# ---- delegated IPAM: the reference host-local
if [ -x "$REF/host-local" ]; then
	HL="{\"cniVersion\":\"1.0.0\",\"name\":\"hl\",\"type\":\"netd-cni\",\"bridge\":\"br-hl\",\"isGateway\":true,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$W/hl\",\"ranges\":[[{\"subnet\":\"10.93.0.0/24\",\"rangeStart\":\"10.93.0.100\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}"
	mkns h1
	check "ADD h1 with ipam host-local (delegated)" cni ADD h1 /run/netns/h1 eth0 "$HL"
	check_eq "  ... address from host-local's range" "10.93.0.100/24" "$(pyq 'd["ips"][0]["address"]' "$OUT")"
	check "  ... host-local recorded it" test -e "$W/hl/hl/10.93.0.100"
	check "  ... h1 has it" sh -c "ip -n h1 -4 addr show eth0 | grep -q 'inet 10.93.0.100/24'"
	check "  ... host -> h1 ping" ping -c1 -W2 10.93.0.100
	check "CHECK h1 (delegated IPAM)" cni CHECK h1 /run/netns/h1 eth0 "$(with_prev "$HL" "$OUT")"
	mkns h2
	ip -n h2 link add eth0 type veth peer name eth0p
	check_fails "ADD h2 where eth0 exists fails" cni ADD h2 /run/netns/h2 eth0 "$HL"
	check_eq "  ... and host-local's lease was given back" 1 "$(find "$W/hl/hl" -name '10.*' | wc -l)"
	check "DEL h1 (delegated)" cni DEL h1 /run/netns/h1 eth0 "$HL"
	check "  ... host-local released it" test ! -e "$W/hl/hl/10.93.0.100"
	HLX="{\"cniVersion\":\"1.0.0\",\"name\":\"hl\",\"type\":\"netd-cni\",\"ipam\":{\"type\":\"no-such-ipam\"}}"
	check_fails "ADD with an ipam plugin that is not in CNI_PATH fails" cni ADD h1 /run/netns/h1 eth0 "$HLX"
	check "  ... with code 7 and the plugin named" err_names 7 no-such-ipam
else
	not_ok "reference plugins missing in $REF (scripts/install-deps.sh installs containernetworking-plugins)"
fi

# ---- subnetFile: flannel's subnet.env as the node's pod CIDR
printf 'FLANNEL_NETWORK=10.98.0.0/16\nFLANNEL_SUBNET=10.98.7.1/24\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=true\n' >"$W/subnet.env"
FL="{\"cniVersion\":\"0.4.0\",\"name\":\"fl\",\"type\":\"netd-cni\",\"bridge\":\"br-fl\",\"isGateway\":true,\"subnetFile\":\"$W/subnet.env\",\"ipam\":{\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}"
mkns f1
check "ADD f1 with subnetFile (flannel subnet.env)" cni ADD f1 /run/netns/f1 eth0 "$FL"
check_eq "  ... address in FLANNEL_SUBNET, gateway its address" "10.98.7.2/24 10.98.7.1" \
	"$(pyq 'd["ips"][0]["address"]+" "+d["ips"][0]["gateway"]' "$OUT")"
check "  ... FLANNEL_MTU on the container interface" sh -c "ip -n f1 link show eth0 | grep -q 'mtu 1400'"
check "  ... bridge br-fl from the config carries 10.98.7.1" sh -c "ip -4 addr show dev br-fl | grep -q 'inet 10.98.7.1/24'"
check "DEL f1" cni DEL f1 /run/netns/f1 eth0 "$FL"
printf 'FLANNEL_SUBNET=10.98.7.1/33\n' >"$W/bad.env"
check_fails "ADD with a broken subnetFile fails" cni ADD f1 /run/netns/f1 eth0 "${FL/subnet.env/bad.env}"
check "  ... with code 7, naming the file" err_names 7 bad.env
check_fails "ADD with a missing subnetFile fails" cni ADD f1 /run/netns/f1 eth0 "${FL/subnet.env/none.env}"
check "  ... with code 7, naming the file" err_names 7 none.env

# ---- chaining: the reference tuning plugin after us gets a valid prevResult and returns it
mkns k1
check "ADD k1" cni ADD k1 /run/netns/k1 eth0 "$C1"
cp "$OUT" "$W/k1.json"
if [ -x "$REF/tuning" ]; then
	TUN=$(with_prev '{"cniVersion":"1.0.0","name":"n1","type":"tuning","sysctl":{"net.ipv4.conf.eth0.rp_filter":"2"}}' "$W/k1.json")
	check "reference tuning accepts our result as prevResult" sh -c "printf '%s' '$TUN' | CNI_COMMAND=ADD CNI_CONTAINERID=k1 CNI_NETNS=/run/netns/k1 CNI_IFNAME=eth0 CNI_PATH=$REF $REF/tuning >$W/tun.json"
	check_eq "  ... and passes it on" "$(pyq 'json.dumps(d["ips"], sort_keys=True)' "$W/k1.json")" \
		"$(pyq 'json.dumps(d["ips"], sort_keys=True)' "$W/tun.json")"
	check_eq "  ... having applied its sysctl in k1" 2 "$(ip netns exec k1 cat /proc/sys/net/ipv4/conf/eth0/rp_filter)"
fi
cni DEL k1 /run/netns/k1 eth0 "$C1"

# ---- parallel ADDs and DELs: distinct addresses, nothing lost
N=16
for i in $(seq 1 $N); do mkns "p$i"; done
for i in $(seq 1 $N); do
	printf '%s' "$C1" | CNI_COMMAND=ADD CNI_CONTAINERID="p$i" CNI_NETNS="/run/netns/p$i" CNI_IFNAME=eth0 "$P" >"$W/p$i.json" 2>"$W/p$i.err" &
done
wait
ips=$(for i in $(seq 1 $N); do pyq 'd["ips"][0]["address"]' "$W/p$i.json" 2>/dev/null; done | sort -u | wc -l)
check_eq "$N parallel ADDs: $N distinct addresses" "$N" "$ips"
pings=0
for i in $(seq 1 $N); do
	a=$(pyq 'd["ips"][0]["address"].split("/")[0]' "$W/p$i.json" 2>/dev/null) && ping -c1 -W2 "$a" >/dev/null && pings=$((pings + 1))
done
check_eq "  ... all answer ping from the host" "$N" "$pings"
for i in $(seq 1 $N); do
	printf '%s' "$C1" | CNI_COMMAND=DEL CNI_CONTAINERID="p$i" CNI_NETNS="/run/netns/p$i" CNI_IFNAME=eth0 "$P" >/dev/null 2>&1 &
done
wait
check_eq "$N parallel DELs: no veth, lease or port claim left" "0 0 0" "$(count_veths) $(count_leases) $(count_claims)"

finish
