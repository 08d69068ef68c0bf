#!/usr/bin/env bash
# tests/fuzz/build-and-run.sh -- builds the libFuzzer target tests/fuzz/fuzz_rw_decode.c (rw_decode
# against protobuf-c's unpack) with ASan+UBSan, writes a seed corpus into a temp dir and fuzzes
# for FUZZ_SECONDS (default 30). Exits non-zero on a crash, a hang or a disagreement; the input
# is kept in build/fuzz/crashes/ (replay: build/fuzz/fuzz_rw_decode FILE).
# Needs clang with its fuzzer runtime (Debian bookworm: libclang-rt-14-dev) and libprotobuf-c-dev.
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out/crashes"

probe=$(mktemp -d)
corpus=$(mktemp -d)
trap 'rm -rf "$probe" "$corpus"' EXIT

printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n'\
'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    >"$probe/p.c"
if ! "$CC" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    cat "$probe/err" >&2
    echo "build-and-run.sh: $CC cannot link -fsanitize=fuzzer; install its runtime" \
         "(Debian: apt-get install libclang-rt-14-dev)" >&2
    exit 2
fi

# protoc-c output, as the Makefile makes it.
make --no-print-directory build/gen/remote.pb-c.c build/gen/types.pb-c.c build/gen/write_v2.pb-c.c

PB=$(pkg-config --cflags --libs libprotobuf-c)
STD="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -Ibuild/gen"
SRC="adapter/rw_decode.c models/base.c build/gen/*.pb-c.c"

# shellcheck disable=SC2086  # word splitting of the flag lists is intended
"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $STD \
    -Wall -Wextra -o "$out/fuzz_rw_decode" tests/fuzz/fuzz_rw_decode.c $SRC $PB -lm
# shellcheck disable=SC2086
"$CC" -g -O1 -fsanitize=address,undefined $STD -DRW_FUZZ_SEEDS \
    -o "$out/fuzz_rw_decode_seeds" tests/fuzz/fuzz_rw_decode.c build/gen/*.pb-c.c $PB
"$out/fuzz_rw_decode_seeds" "$corpus"
echo "fuzz_rw_decode: $(find "$corpus" -type f | wc -l) seeds, ${FUZZ_SECONDS}s"

rc=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
"$out/fuzz_rw_decode" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/" "$corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "fuzz_rw_decode: failed (exit $rc); inputs kept in $out/crashes/:" >&2
    ls -l "$out/crashes/" >&2
fi
exit "$rc"
