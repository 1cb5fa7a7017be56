#!/bin/bash
# Data path through a published port, next to docker-proxy, and what a published port costs in
# processes and memory, in a lab host:
#   ext netns (client) 10.210.0.2 ==veth== 10.210.0.1 [lab host] netd network "dp" ==veth== ctr
#   ctr runs nginx (keep-alive, 1 worker, 612-byte page) on :8000 and iperf3 -s on :5201,
#   attached by `netd attach -p 8081:8000 -p 5301:5201`;
#   docker-proxy (Debian docker.io), started as dockerd would, on 8083->:8000 and 5302->:5201.
#   Modes: direct (client -> container IP, routed), netd (client -> lab host IP:8081/5301, DNAT),
#   docker-proxy (client -> lab host IP:8083/5302); the network is dual stack (fd00:88::/64, ext
#   fd00:210::2 == fd00:210::1), and direct6 / netd6 are direct and netd over IPv6 (the same
#   published ports: `-p 8081:8000` publishes on both families). REPS interleaved reps of each mode:
#   iperf3 -t IPERF_T one TCP stream (Gbit/s); wrk -t2 -c50 -d WRK_D against nginx (req/s).
#   Per published port: NPROXY extra docker-proxy processes (count, RSS) against NPROXY ports
#   published by netd (processes of ours left running: counted from /proc; RSS of those).
# Writes rows to $BENCH_ROWS. Env: BUILD (default build), REPS=3 IPERF_T=5 WRK_D=5 NPROXY=10,
# DP_MODES="direct netd proxy direct6 netd6" (rows are made for the pairs measured),
# DOCKER_PROXY=path, NGINX=path.
BUILD=${BUILD:-build}
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/bench/common.sh"
REPS=${REPS:-3}
IPERF_T=${IPERF_T:-5}
WRK_D=${WRK_D:-5}
NPROXY=${NPROXY:-10}
OUT=$BENCH_DATA/datapath
mkdir -p "$OUT"
DP=${DOCKER_PROXY:-}
for c in "$(command -v docker-proxy 2>/dev/null)" /usr/sbin/docker-proxy /usr/libexec/docker/docker-proxy; do
	[ -z "$DP" ] && [ -n "$c" ] && [ -x "$c" ] && DP=$c
done
NGX=${NGINX:-/usr/sbin/nginx}
for t in "$DP" "$NGX" "$(command -v iperf3)" "$(command -v wrk)"; do
	[ -n "$t" ] && [ -x "$t" ] || {
		echo "datapath.sh: needs docker-proxy, nginx, iperf3, wrk (scripts/install-deps.sh --bench)" >&2
		exit 2
	}
done
lab_enter "$@"
PIDS=()
dp_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
trap 'rc=$?; dp_cleanup; (exit $rc); lab_exit' EXIT
W=$LAB_DIR/dp
mkdir -p "$W/www" "$W/ngx/t"

# ---- topology ----
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
# --routed: mode "direct" reaches the container's own address from ext; a nat network would drop
# that new connection from outside (only published ports take them).
"$NETD" network create dp --subnet 10.88.0.0/24 --subnet fd00:88::/64 --routed >/dev/null || exit 1
mkns ctr
mkns ext
"$NETD" attach dp --netns /run/netns/ctr --id ctr -p 8081:8000 -p 5301:5201 >"$W/ctr.json" || exit 1
CIP=$(jq -r '.ip // .address // empty' "$W/ctr.json" | cut -d/ -f1)
[ -n "$CIP" ] || CIP=$(ip -n ctr -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
CIP6=$(ip -n ctr -6 -o addr show dev eth0 scope global | awk '{print $4; exit}' | cut -d/ -f1)
[ -n "$CIP6" ] || {
	echo "datapath.sh: the container has no IPv6 address on the dual-stack network" >&2
	exit 1
}
ip link add vx type veth peer name eth0 netns ext
ip addr add 10.210.0.1/24 dev vx
ip link set vx up
ip -n ext addr add 10.210.0.2/24 dev eth0
ip -n ext link set eth0 up
ip -n ext route add 10.88.0.0/24 via 10.210.0.1
# nodad: both ends are ours, and a tentative address would fail the first connections
ip addr add fd00:210::1/64 dev vx nodad
ip -n ext addr add fd00:210::2/64 dev eth0 nodad
ip -n ext -6 route add fd00:88::/64 via fd00:210::1
HIP=10.210.0.1
HIP6=fd00:210::1

# ---- servers in the container ----
head -c 612 /dev/zero | tr '\0' 'x' >"$W/www/index.html"
cat >"$W/ngx/nginx.conf" <<NGX
worker_processes 1;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/html;
  client_body_temp_path $W/ngx/t/body; proxy_temp_path $W/ngx/t/proxy;
  fastcgi_temp_path $W/ngx/t/fcgi; uwsgi_temp_path $W/ngx/t/uwsgi; scgi_temp_path $W/ngx/t/scgi;
  keepalive_requests 10000000;
  server { listen 8000 backlog=4096; listen [::]:8000 backlog=4096; root $W/www; }
}
NGX
ip netns exec ctr "$NGX" -p "$W/ngx" -c "$W/ngx/nginx.conf" -g 'daemon off;' 2>>"$W/ngx/error.log" &
PIDS+=($!)
ip netns exec ctr iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=($!)

# ---- docker-proxy, as dockerd starts it (fd 3: readiness pipe) ----
start_proxy() { # HOSTPORT CTRPORT -> LASTPID
	"$DP" -proto tcp -host-ip 0.0.0.0 -host-port "$1" -container-ip "$CIP" -container-port "$2" \
		3>"$W/ready-$1" >/dev/null 2>&1 &
	LASTPID=$!
	PIDS+=("$LASTPID")
}
start_proxy 8083 8000
start_proxy 5302 5201
EXTRA=()
for ((i = 1; i <= NPROXY; i++)); do
	start_proxy $((9000 + i)) 8000
	EXTRA+=("$LASTPID")
done
# the same NPROXY ports published by netd, for the per-port cost of ours
mkns pub
pspecs=()
for ((i = 1; i <= NPROXY; i++)); do pspecs+=(-p "$((9100 + i)):8000"); done
"$NETD" attach dp --netns /run/netns/pub --id pub "${pspecs[@]}" >/dev/null || exit 1
for _ in $(seq 50); do
	[ "$(cat "$W"/ready-* 2>/dev/null | grep -c '^0')" -ge $((NPROXY + 2)) ] && break
	sleep 0.1
done
sleep 0.5

declare -A URL=([direct]="http://$CIP:8000/" [netd]="http://$HIP:8081/" [proxy]="http://$HIP:8083/"
	[direct6]="http://[$CIP6]:8000/" [netd6]="http://[$HIP6]:8081/")
declare -A IPD=([direct]="$CIP 5201" [netd]="$HIP 5301" [proxy]="$HIP 5302"
	[direct6]="$CIP6 5201" [netd6]="$HIP6 5301")
MODES=${DP_MODES:-direct netd proxy direct6 netd6}
for m in $MODES; do
	[ -n "${URL[$m]:-}" ] || {
		echo "datapath.sh: DP_MODES: no mode \"$m\" (direct netd proxy direct6 netd6)" >&2
		exit 2
	}
	n=$(ip netns exec ext curl -g -s --max-time 5 "${URL[$m]}" | wc -c)
	[ "$n" = 612 ] || {
		echo "datapath.sh: $m (${URL[$m]}) did not serve the page (got $n bytes)" >&2
		exit 1
	}
done

# ---- per published port: processes and RSS ----
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
tot=0
for p in "${EXTRA[@]}"; do tot=$((tot + $(rss_kb "$p"))); done
dp_rss=$((tot / NPROXY))
dp_procs=$(for p in "${EXTRA[@]}"; do [ -d "/proc/$p" ] && echo "$p"; done | wc -l)
ours_procs=0 ours_rss=0
for e in /proc/[0-9]*/exe; do
	x=$(readlink "$e" 2>/dev/null) || continue
	case $x in "$BUILD"/*)
		ours_procs=$((ours_procs + 1))
		p=${e#/proc/}
		ours_rss=$((ours_rss + $(rss_kb "${p%/exe}" || echo 0)))
		;;
	esac
done
ours_listen=$(ss -Htln "( sport >= :9101 and sport <= :$((9100 + NPROXY)) )" | wc -l)
echo "# per port: docker-proxy $dp_procs processes for $NPROXY ports, RSS $dp_rss kB each; ours: $ours_procs processes, $ours_rss kB, $ours_listen listening sockets for $NPROXY ports"
emit_row key=port_procs metric="processes per published port" unit=count ours="$(div "$ours_procs" "$NPROXY" %.2f)" \
	anchor="$(div "$dp_procs" "$NPROXY" %.2f)" anchor_name=docker-proxy ratio= ratio_desc= \
	target="= 0" target_on=ours n="$NPROXY"
emit_row key=port_rss metric="RSS per published port" unit=kB ours="$(div "$ours_rss" "$NPROXY" %.1f)" \
	anchor="$dp_rss" anchor_name=docker-proxy ratio= ratio_desc= target="= 0" target_on=ours n="$NPROXY"

# ---- data path ----
wait_quiet
: >"$OUT/iperf.tsv"
: >"$OUT/wrk.tsv"
for ((r = 1; r <= REPS; r++)); do
	for m in $MODES; do
		set -- ${IPD[$m]}
		ip netns exec ext iperf3 -c "$1" -p "$2" -t "$IPERF_T" -J >"$OUT/iperf-$m-$r.json" 2>&1
		printf '%s\t%s\t%s\n' "$m" "$r" "$(jq -r '.end.sum_received.bits_per_second / 1e9' "$OUT/iperf-$m-$r.json" 2>/dev/null || echo nan)" >>"$OUT/iperf.tsv"
		sleep 1
		ip netns exec ext wrk -t2 -c50 -d"${WRK_D}s" "${URL[$m]}" >"$OUT/wrk-$m-$r.txt" 2>&1
		printf '%s\t%s\t%s\n' "$m" "$r" "$(awk '/^Requests\/sec/{print $2}' "$OUT/wrk-$m-$r.txt")" >>"$OUT/wrk.tsv"
		sleep 1
	done
done
echo "# iperf3 Gbit/s (mode rep value):" $(tr '\t' ' ' <"$OUT/iperf.tsv" | paste -sd,)
echo "# wrk req/s (mode rep value):" $(tr '\t' ' ' <"$OUT/wrk.tsv" | paste -sd,)
med() { awk -F'\t' -v m="$2" '$1==m {print $3}' "$OUT/$1.tsv" | p50; }
ran() { [[ " $MODES " == *" $1 "* ]]; }
for k in iperf wrk; do
	if [ $k = iperf ]; then what="iperf3, one TCP stream" unit=Gbit/s; else what="wrk -c50, nginx keep-alive" unit=req/s; fi
	d=$(med $k direct) o=$(med $k netd) p=$(med $k proxy)
	if ran direct && ran netd; then
		emit_row key="dp_$k" metric="$what: published port vs direct" unit="$unit" ours="$o" anchor="$d" \
			anchor_name="direct to container" ratio="$(div "$o" "$d")" ratio_desc="ours/direct" \
			target=">= 0.95" target_on=ratio n="$REPS"
	fi
	if ran netd && ran proxy; then
		emit_row key="dp_${k}_proxy" metric="$what: published port vs docker-proxy" unit="$unit" ours="$o" \
			anchor="$p" anchor_name="docker-proxy" ratio="$(div "$o" "$p")" ratio_desc="ours/docker-proxy" \
			target= target_on=ratio n="$REPS" note="docker-proxy/direct $(div "$p" "$d")"
	fi
	d=$(med $k direct6) o=$(med $k netd6)
	if ran direct6 && ran netd6; then
		emit_row key="dp6_$k" metric="$what, IPv6: published port vs direct" unit="$unit" ours="$o" \
			anchor="$d" anchor_name="direct to container, IPv6" ratio="$(div "$o" "$d")" \
			ratio_desc="ours/direct" target=">= 0.95" target_on=ratio n="$REPS"
	fi
done
