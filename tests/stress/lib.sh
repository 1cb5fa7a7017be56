# shellcheck shell=bash
# Helpers shared by the stress and chaos scenarios (sourced after tests/lib.sh and lab_enter).
# Every count below is read from the kernel (ip, nft) or from the state dir, never assumed.

NETD=$BUILD/netd
export CNI=$BUILD/netd-cni NSBOX=$BUILD/nsbox # used by the scenarios that source this file
# Under ASan a leak report at exit would turn a kill-free run into a failure we want to see,
# but killed processes never get to report: that is fine.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

SEED=${STRESS_SEED:-42}
RANDOM=$SEED
T0=$SECONDS

say() { echo "# $*"; }

elapsed() { echo $((SECONDS - T0)); }

# Endpoint records: files in networks/*/endpoints whose name is a record name (no temp files).
count_records() {
	find "$NETD_STATE_DIR/networks" -path '*/endpoints/*' -type f ! -name '.*' ! -name '*.tmp.*' 2>/dev/null | wc -l
}

# Empty or not, every ports/PROTO-PORT directory that is still there.
count_port_dirs() {
	find "$NETD_STATE_DIR/ports" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l
}

# Temp files of interrupted atomic writes: ips/.tmp-PID-N, ports/*/.tmp-PID-N, FILE.tmp.PID.
count_tmp() {
	find "$NETD_STATE_DIR" \( -name '.tmp-*' -o -name '*.tmp.*' \) 2>/dev/null | wc -l
}

# Any link whose alias says netd owns it (a veth of a crashed attach has one even without a name
# we would recognise), plus our nd* veths.
count_owned_links() {
	ip -o link show 2>/dev/null | grep -c ' alias netd:'
}

# Elements of the named sets/maps of table ip netd (all of them when no name is given). jq, not
# python: on a busy 2-core machine a python start costs up to a second.
count_set_elements() {
	local names=""
	[ $# -gt 0 ] && names=$(printf '"%s",' "$@")
	nft -j list table ip netd 2>/dev/null | jq -r --argjson want "[${names%,}]" '
		[.nftables[] | (.map // .set) | select(. != null)
		 | select(($want | length) == 0 or (.name as $n | $want | index($n)))
		 | (.elem // []) | length] | add // 0' 2>/dev/null || echo 0
}

# Published ports: elements of the pub* maps (tests/lib.sh has the same count through python).
count_map_elements() {
	count_set_elements pub_any pub_ip
}

# Lock files of networks that are no longer defined (a network's own lock lives as long as it does).
count_dangling_locks() {
	local n=0 l net
	for l in "$NETD_STATE_DIR"/networks/*/lock; do
		[ -e "$l" ] || continue
		net=$(basename "$(dirname "$l")")
		[ -f "$NETD_CONFIG_DIR/$net.conf" ] || n=$((n + 1))
	done
	echo $n
}

# The leftovers line: every kind of object an attachment owns, counted where it lives.
leftovers() {
	echo "veths=$(count_veths) owned_links=$(count_owned_links) leases=$(count_leases)" \
		"map_elements=$(count_map_elements) records=$(count_records) claims=$(count_claims)" \
		"port_dirs=$(count_port_dirs) tmp_files=$(count_tmp)"
}
ZERO="veths=0 owned_links=0 leases=0 map_elements=0 records=0 claims=0 port_dirs=0 tmp_files=0"

# check_zero NAME: prints the counts, fails the check when any is not 0.
check_zero() {
	local l
	l=$(leftovers)
	say "$1: $l"
	check_eq "$1: zero leftovers" "$ZERO" "$l"
	if [ "$l" != "$ZERO" ]; then # name what is left, for the report
		find "$NETD_STATE_DIR" -type f \( -path '*/ips/*' -o -path '*/endpoints/*' -o -path '*/ports/*' -o -name '*.tmp.*' \) 2>/dev/null | head -5 | sed 's/^/#   left: /'
		ip -o link show type veth 2>/dev/null | head -3 | sed 's/^/#   left: /'
	fi
}

# After `netd network rm`: nothing of the network in nft or on disk.
network_gone_counts() {
	echo "set_elements=$(count_set_elements nets masq_nets bridges bridge_self pub_any pub_ip)" \
		"dangling_locks=$(count_dangling_locks) bridges=$(ip -o link show type bridge 2>/dev/null | wc -l)"
}

# State files are never corrupt: every record file parses (ps --json lists exactly the record
# files), no two records or leases share an address, every lease names its owner, every record
# of a ready endpoint has its lease (a teardown marks the record "removing" before it takes
# anything away, so no reader ever sees a ready record without its lease).
# With "strict" (after a gc) a stale second lease of one owner is an error too; before gc it is
# only noted: an attach killed between leasing and recording leaves one for gc to release.
# The snapshot (ps --json, then the record and lease files) is taken holding every network's
# lock, the lock gc and every writer of leases and records take: with `netd serve` collecting in
# the background, a ps snapshot followed by a directory listing would otherwise see endpoints
# that serve removed in between, and their leases gone.
check_state_sane() {
	local what=$1 strict=${2:-}
	python3 - "$NETD_STATE_DIR" "$what" "$strict" "$NETD" <<'EOF'
import fcntl, json, os, subprocess, sys
state, what, strict, netd = sys.argv[1], sys.argv[2], sys.argv[3] == "strict", sys.argv[4]
notes = []
nets = os.path.join(state, "networks")
held = []
for net in sorted(os.listdir(nets) if os.path.isdir(nets) else []):
    try:
        fd = os.open(os.path.join(nets, net, "lock"), os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        continue  # no lock file yet: no lease or record either
    fcntl.flock(fd, fcntl.LOCK_EX)
    held.append(fd)
p = subprocess.run([netd, "ps", "--json"], capture_output=True, timeout=60)
if p.returncode != 0:
    print("#   %s: netd ps --json fails (%d): %s" % (what, p.returncode, p.stderr.decode()[-300:]))
    sys.exit(1)
ps = json.loads(p.stdout)
files = []
for net in (os.listdir(nets) if os.path.isdir(nets) else []):
    ed = os.path.join(nets, net, "endpoints")
    for f in (os.listdir(ed) if os.path.isdir(ed) else []):
        if not f.startswith(".") and ".tmp." not in f:
            files.append((net, f))
bad = []
if len(ps) != len(files):
    bad.append("ps --json lists %d endpoints, %d record files exist" % (len(ps), len(files)))
ips = {}
for e in ps:
    ip = e.get("address")
    if ip:
        ip = ip.split("/")[0]
        if ip in ips:
            bad.append("address %s in two records: %s and %s" % (ip, ips[ip], e.get("id")))
        ips[ip] = e.get("id")
owners = {}
leased_ips = {}
for net in (os.listdir(nets) if os.path.isdir(nets) else []):
    idir = os.path.join(nets, net, "ips")
    for f in (os.listdir(idir) if os.path.isdir(idir) else []):
        if f.startswith("."):
            continue
        key = open(os.path.join(idir, f)).read().strip()
        if not key.startswith(net + "/") or "@" not in key:
            bad.append("lease %s/%s has a malformed owner %r" % (net, f, key))
        if key in owners:
            (bad if strict else notes).append("owner %s holds two leases: %s and %s" % (key, owners[key], f))
        owners[key] = f
        leased_ips[f] = key
for e in ps:
    if e.get("state") == "ready":
        key = "%s/%s@%s" % (e.get("network"), e.get("id"), e.get("ifname"))
        ip = (e.get("address") or "").split("/")[0]
        if leased_ips.get(ip) != key:
            bad.append("ready endpoint %s: its address %s is leased to %s" % (key, ip, leased_ips.get(ip)))
for fd in held:
    os.close(fd)
print("# %s: %d records, %d leases, all parse" % (what, len(ps), len(owners)))
for b in notes:
    print("#   note (gc releases it): " + b)
for b in bad:
    print("#   " + b)
sys.exit(1 if bad else 0)
EOF
	if [ $? -eq 0 ]; then ok "$what: state files parse, no duplicate address"; else not_ok "$what: state files"; fi
}

# wait_until SECONDS CMD...: polls CMD every 100 ms, at most SECONDS.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# rand_ms MAX: a seeded random delay in seconds with millisecond resolution, 0..MAX ms.
rand_delay() {
	local ms=$((RANDOM % ($1 + 1)))
	printf '0.%03d' "$ms"
}
