# shellcheck shell=bash
# Shared set-up of the real-client tests (test_cni_libcni.sh, test_cni_podman.sh,
# test_cni_containerd.sh): each drives netd-cni through a CNI client this project did not write,
# in single-plugin mode (netd-cni alone stands in for bridge + host-local + portmap).
#
# clients_enter: the lab host of lib.sh plus a PID namespace (conmon, containerd, shims and
# httpd die with the script) and tmpfs over /run, /var/lib and /dev/shm, so the clients' own
# state (libcni's cache in /var/lib/cni, podman's /run/libpod, netns files) never reaches the
# machine. netd-cni runs with its default dirs, /var/lib/netd and /var/lib/netd/cni-networks,
# which are on that tmpfs: podman runs its DEL from `podman container cleanup`, started by
# conmon with an environment of its own, so an NETD_STATE_DIR of ours would not reach it.
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

clients_enter() {
	LAB_PIDNS=1 lab_enter "$@"
	local m
	for m in /run /var/lib /dev/shm; do
		mount -t tmpfs "lab${m//\//-}" "$m" || {
			echo "clients: cannot mount a tmpfs on $m" >&2
			exit 1
		}
	done
	mkdir -p /run/netns /var/lib/cni
	export NETD_STATE_DIR=/var/lib/netd
	unset NETD_CONFIG_DIR
	WORK=$LAB_DIR/work
	mkdir -p "$WORK"
	need_bin "$BUILD/netd-cni"
	# The plugin dir the clients get: a spy named netd-cni that keeps each call's config
	# (calls/NNN-COMMAND.json), logs its command, container id, netns and CNI_ARGS, then execs
	# the real plugin with that config on stdin and the same environment. The reference
	# loopback plugin is beside it for conflists that chain it.
	PLUGINS=$WORK/cni-bin
	CALLS=$WORK/calls
	SPYLOG=$CALLS/log
	mkdir -p "$PLUGINS" "$CALLS"
	: >"$SPYLOG"
	cat >"$PLUGINS/netd-cni" <<EOF
#!/bin/sh
f=$CALLS/\$(printf %03d "\$(wc -l <'$SPYLOG')")-\${CNI_COMMAND:-none}.json
cat >"\$f"
printf '%s id=%s netns=%s args=%s\n' "\${CNI_COMMAND:--}" "\${CNI_CONTAINERID:--}" \\
	"\${CNI_NETNS:--}" "\${CNI_ARGS:--}" >>'$SPYLOG'
exec '$BUILD/netd-cni' "\$@" <"\$f"
EOF
	chmod 755 "$PLUGINS/netd-cni"
	[ -x /usr/lib/cni/loopback ] && ln -s /usr/lib/cni/loopback "$PLUGINS/loopback"
	return 0
}

# need_bin PATH...: ends the test with one failed check when a program is missing.
need_bin() {
	local b
	for b in "$@"; do
		if ! command -v "$b" >/dev/null 2>&1; then
			not_ok "$b is missing (scripts/install-deps.sh installs it)"
			finish
			exit 1
		fi
	done
}

# build_cnirun: CNIRUN, tests/clients/cnirun built offline in GOPATH mode against the libcni
# source that Debian's golang-github-appc-cni-dev puts under /usr/share/gocode (kept in $BUILD
# and rebuilt when its source is newer).
build_cnirun() {
	local src=$TOP/tests/clients/cnirun/main.go out
	CNIRUN=$BUILD/tests/cnirun
	need_bin go
	if [ -x "$CNIRUN" ] && [ ! "$src" -nt "$CNIRUN" ]; then
		return 0
	fi
	mkdir -p "$WORK/gopath/src/cnirun" "$(dirname "$CNIRUN")"
	cp "$src" "$WORK/gopath/src/cnirun/"
	if ! out=$(cd "$WORK/gopath/src/cnirun" && env GO111MODULE=off GOPROXY=off GOFLAGS= \
		GOPATH="$WORK/gopath:/usr/share/gocode" GOCACHE="$WORK/gocache" CGO_ENABLED=0 \
		go build -o "$CNIRUN" . 2>&1); then
		not_ok "cnirun builds offline against /usr/share/gocode"
		printf '%s\n' "$out" | sed 's/^/#   /'
		finish
		exit 1
	fi
	ok "cnirun is built on libcni"
}

# write_conflist FILE NAME BRIDGE SUBNET [EXTRA]: a single-plugin conflist as podman's and
# containerd's own bridge configs are written (default route from ipam.routes); EXTRA is JSON
# text added to the netd-cni entry (", \"key\": value").
write_conflist() {
	cat >"$1" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$2",
  "plugins": [
    { "type": "netd-cni", "bridge": "$3", "isGateway": true, "ipMasq": true,
      "hairpinMode": true$5,
      "ipam": { "type": "netd",
                "ranges": [[ { "subnet": "$4", "gateway": "${4%.*}.1" } ]],
                "routes": [ { "dst": "0.0.0.0/0" } ] } }
  ]
}
EOF
	python3 -m json.tool "$1" >/dev/null
}

# make_rootfs DIR TEXT: a busybox rootfs whose web page (/www/index.html) says TEXT.
make_rootfs() {
	"$TOP/scripts/mkrootfs.sh" "$1" >/dev/null && echo "$2" >"$1/www/index.html"
}

# until_ok N CMD...: retries CMD up to N times, 100 ms apart.
until_ok() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# page_is URL TEXT: the page at URL says TEXT.
page_is() {
	local got
	got=$(curl -fsS -m 3 "$1" 2>&1)
	[ "$got" = "$2" ] || {
		echo "got: $got"
		return 1
	}
}

# nothing_left LABEL: every kernel object and fact netd-cni makes for an attachment is gone.
nothing_left() {
	check_eq "$1: no veth left" 0 "$(count_veths)"
	check_eq "$1: no lease left" 0 "$(count_leases)"
	check_eq "$1: no host-port claim left" 0 "$(count_claims)"
	check_eq "$1: no published-port map element left" 0 "$(count_map_elements)"
	check_eq "$1: no endpoint record left" 0 \
		"$(find "$NETD_STATE_DIR/networks" -path '*/endpoints/*' -type f 2>/dev/null | wc -l)"
}

# calls CMD: how many times netd-cni was called with CNI_COMMAND CMD.
calls() {
	grep -c "^$1 " "$SPYLOG"
}

# configs_with CMD REGEX: how many of the configs netd-cni got with CMD match REGEX.
configs_with() {
	local f n=0
	for f in "$CALLS"/*-"$1".json; do
		[ -f "$f" ] && tr -d '\n' <"$f" | grep -qE -- "$2" && n=$((n + 1))
	done
	echo $n
}
