#!/bin/bash
# make bench: every benchmark, each in its own lab-host namespace; figures, not pass/fail.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
rc=0
for b in tests/bench/netd.sh tests/bench/cni.sh tests/bench/runtime.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	bash "$b" || rc=1
done
exit $rc
