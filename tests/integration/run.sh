#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/run.sh -- runs every tests/integration/test_*.sh in name order, each under a
# time limit, prints ok/FAIL per test and one total line; exits non-zero on any failure.
# Needs ./metrics-ai and build/rwload built (make integration does that first).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
limit=${IT_TEST_TIMEOUT:-100}   # seconds per test; a test's own waits stay well below this

if [ ! -x "$root/metrics-ai" ]; then
    echo "integration: $root/metrics-ai is not built (make metrics-ai)" >&2
    exit 2
fi

pass=0
fail=0
failed=()
t0=$(date +%s.%N)
shopt -s nullglob
for t in "$here"/test_*.sh; do
    name=$(basename "$t")
    echo "== $name"
    s=$(date +%s.%N)
    # -k: if the test ignores TERM (its trap cleans up on TERM), KILL it 15 s later
    timeout -k 15 "$limit" bash "$t"
    rc=$?
    secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" -eq 0 ]; then
        echo "ok   $name (${secs}s)"
        pass=$((pass + 1))
    else
        [ "$rc" -eq 124 ] && echo "     $name timed out after ${limit}s"
        echo "FAIL $name (exit $rc, ${secs}s)"
        fail=$((fail + 1))
        failed+=("$name")
    fi
done
total=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "integration: $pass passed, $fail failed (${total}s)${failed[*]:+: ${failed[*]}}"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
