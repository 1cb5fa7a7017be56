#!/bin/bash
# contrib/bash-completion/netd, driven as bash drives it (COMP_WORDS, COMP_CWORD, then _netd):
# commands, network subcommands, network names from the subnet files, options per command.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

# shellcheck source=../../contrib/bash-completion/netd
source "$TOP/contrib/bash-completion/netd"
check_eq "completion is registered for netd" "complete -F _netd netd" "$(complete -p netd 2>&1)"
NETD_CONFIG_DIR=$(mktemp -d /tmp/netd-comp.XXXXXX)
NETD_STATE_DIR=$NETD_CONFIG_DIR/state
export NETD_CONFIG_DIR NETD_STATE_DIR
trap 'rm -rf "$NETD_CONFIG_DIR"' EXIT
touch "$NETD_CONFIG_DIR/lab.conf" "$NETD_CONFIG_DIR/web.conf"
PATH=$BUILD:$PATH

# comp WORD...: the completions of the last word
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_netd
	echo "${COMPREPLY[*]}"
}
check_eq "netd <tab>: the commands" "network attach detach connect disconnect check ps gc doctor serve --help --version" \
	"$(comp netd "")"
check_eq "netd net<tab>" network "$(comp netd net)"
check_eq "netd network <tab>: subcommands" "create ls inspect rm --help" "$(comp netd network "")"
check_eq "netd network rm <tab>: network names" "lab web" "$(comp netd network rm "")"
check_eq "netd attach <tab>: network names" "lab web" "$(comp netd attach "")"
check_eq "netd attach lab --n<tab>" "--netns --name" "$(comp netd attach lab --n)"
check_eq "netd network create x --<tab>" \
	"--subnet --gateway --range --ip-range --bridge --mtu --no-masquerade --routed --internal --icc --explain --dry-run --help" \
	"$(comp netd network create x --)"
check_eq "netd ps --network <tab>" "lab web" "$(comp netd ps --network "")"
check_eq "netd serve -<tab>" "--once --help" "$(comp netd serve -)"
# every option the completion offers is one netd accepts: its help names it
for c in attach detach check ps gc doctor serve; do
	for o in $(comp netd "$c" -); do
		[ "$o" = --help ] && continue
		check "netd $c --help names $o" grep -q -- "$o" <<<"$("$BUILD/netd" "$c" --help)"
	done
done
# contrib/bash-completion/nsbox offers every long option of nsbox run --help.
# shellcheck source=../../contrib/bash-completion/nsbox
source "$TOP/contrib/bash-completion/nsbox"
ncomp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_nsbox
	printf '%s\n' "${COMPREPLY[@]}"
}
offered=$(ncomp nsbox run -)
missing=()
while read -r o; do
	grep -qx -- "$o" <<<"$offered" || missing+=("$o")
done < <("$BUILD/nsbox" run --help 2>&1 | grep -v '^ *nsbox --version' | grep -oE -- '--[a-z][a-z-]*' | sort -u)
check_eq "nsbox run -<tab> offers every option of nsbox run --help" "" "${missing[*]}"
check_eq "nsbox run --network-alias <tab>: a name, nothing offered" "" "$(ncomp nsbox run --network-alias "")"
finish
