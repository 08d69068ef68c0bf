#!/usr/bin/env bash
# tests/fuzz/build-and-run.sh -- runs libFuzzer targets built by `make fuzz-build`
# (build/fuzz/fuzz_<name>: tests/fuzz/fuzz_<name>.c against build/libmai-fuzz.a, clang with
# ASan+UBSan), each for FUZZ_SECONDS (default 30) from a copy of its committed seed corpus
# tests/fuzz/corpus/fuzz_<name>/ (new inputs go to build/fuzz/corpus/fuzz_<name>/, kept between
# runs, never into the repository). With FUZZ_RUNS=N each target instead runs until it has
# executed N inputs (-runs=N). Prints one line per target: executions, seconds, execs/s, corpus
# size.
# Before fuzzing, every input under tests/fuzz/regressions/fuzz_<name>/ (each once a failure)
# is replayed and must pass.
# Exits non-zero on a crash, a leak, a timeout or an out-of-memory; the input is kept in
# build/fuzz/crashes/ (replay: build/fuzz/fuzz_<name> FILE).
# Usage: build-and-run.sh fuzz_rw_decode fuzz_remote_read ...   (default: every target)
# Needs clang with its fuzzer runtime (Debian bookworm: libclang-rt-14-dev).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
out=build/fuzz
mkdir -p "$out/crashes"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

# Largest input per target (the snapshot seed is 14 KiB).
max_len() {
    case $1 in
    fuzz_snapshot) echo 65536 ;;
    *) echo 4096 ;;
    esac
}

rc=0
for t in "${targets[@]}"; do
    bin=$out/$t
    if [ ! -x "$bin" ]; then
        echo "build-and-run.sh: $bin missing; run make fuzz-build" >&2
        exit 2
    fi
    # every input that once failed (tests/fuzz/regressions/<target>/) must pass first
    # (one process per input: a target may do some work only for the first inputs of a run)
    failed=
    : >"$out/$t.regressions.log"
    for f in tests/fuzz/regressions/"$t"/*; do
        [ -f "$f" ] || continue
        "$bin" "$f" >>"$out/$t.regressions.log" 2>&1 || failed=$f
    done
    if [ -n "$failed" ]; then
        echo "$t: a regression input fails again ($failed); see $out/$t.regressions.log" >&2
        rc=1
        continue
    fi
    work=$out/corpus/$t
    mkdir -p "$work"
    cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
    log=$out/$t.log
    budget=-max_total_time=$FUZZ_SECONDS
    [ -n "${FUZZ_RUNS:-}" ] && budget=-runs=$FUZZ_RUNS
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$bin" "$budget" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
        "$work" >"$log" 2>&1
    r=$?
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
    rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log")
    secs=$(awk '/^Done [0-9]+ runs in/ { print $5 }' "$log")
    printf '%-18s %12s executions in %ss (%s/s), corpus %s inputs%s\n' "$t" "${execs:-?}" \
        "${secs:-$FUZZ_SECONDS}" "${rate:-?}" "$(find "$work" -type f | wc -l)" \
        "$([ "$r" -ne 0 ] && echo ", FAILED (exit $r)")"
    if [ "$r" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|==[0-9]+==|fuzz_' "$log" | head -20 >&2
        echo "  log: $log; inputs kept in $out/crashes/:" >&2
        ls -l "$out/crashes/" >&2
        rc=1
    fi
done
exit "$rc"
