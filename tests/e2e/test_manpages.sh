#!/bin/bash
# The manual pages (man/): mandoc's lint finds no warning or error in any of them, man renders
# each, and they keep up with the tools: every command of `netd --help` and every long option of
# `nsbox run --help` and of `netd COMMAND --help` is in its page.
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

if ! command -v mandoc >/dev/null; then
	not_ok "mandoc is missing (scripts/install-deps.sh installs it)"
	finish
	exit 1
fi
for p in netd.8 netd-cni.8 nsbox.1 netd-subnet-file.5; do
	check "man/$p exists" test -s "$TOP/man/$p"
done
for p in "$TOP"/man/*.[1-8]; do
	n=$(basename "$p")
	check_eq "mandoc -T lint -W warning $n: nothing to say" "" "$(mandoc -T lint -W warning "$p" 2>&1)"
	check "man renders $n" sh -c "man -l '$p' 2>/dev/null | grep -q '^NAME'"
done

# page PAGE WORD: the page names WORD as a command (.Cm) or a flag (.Fl -WORD).
in_page() {
	grep -qE "^\.(It )?(Cm|Fl) (.* )?$2( |$)" "$TOP/man/$1" ||
		grep -qE "(Cm|Fl) -?$2( |$)" "$TOP/man/$1"
}
missing=()
while read -r cmd; do
	in_page netd.8 "$cmd" || missing+=("$cmd")
done < <("$NETD" --help | awk '/^  [a-z]/ { print ($1 == "network") ? $2 : $1 }' | sort -u)
check_eq "netd.8 describes every command of netd --help" "" "${missing[*]}"
missing=()
seen=0
for cmd in "network create" attach detach check ps gc; do
	while read -r opt; do
		seen=$((seen + 1))
		in_page netd.8 "$opt" || missing+=("$cmd:--$opt")
	done < <("$NETD" $cmd --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u)
done
check "the netd commands' --help name their options ($seen)" test "$seen" -ge 20
check_eq "netd.8 describes every long option of the netd commands" "" "${missing[*]}"
if [ -x "$BUILD/nsbox" ]; then
	missing=()
	while read -r opt; do
		in_page nsbox.1 "$opt" || missing+=("--$opt")
	done < <("$BUILD/nsbox" run --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u)
	check_eq "nsbox.1 describes every option of nsbox run --help" "" "${missing[*]}"
fi
finish
