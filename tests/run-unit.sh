#!/usr/bin/env bash
# Runs each unit test binary given, prints its cmocka output and one aggregate line.
set -u
label=$1; shift
pass=0; fail=0; failed=()
for t in "$@"; do
  if "$t" 2>&1; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$t"); fi
done
echo "unit ($label): $pass binaries passed, $fail failed ${failed[*]:-}"
[ "$fail" -eq 0 ]
