#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/leak/valgrind.sh -- the integration path under valgrind memcheck: ./metrics-ai runs under
# `valgrind --leak-check=full --error-exitcode=9` (definite, indirect and possible leaks count as
# errors), build/rwload feeds it remote write (312 series, hours of history) for VG_SECONDS
# (default 60) while model cycles fit up to 20 models (horizons 15m and 1h),
# then a remote read, /metrics, /api/v1/store, a few refused bodies, and SIGTERM (which writes the
# shutdown snapshot). Passes when memcheck reports no error and no leak and the process exits 0.
# `make valgrind` runs 60 s; `make test` runs VG_SECONDS=15. The report is kept in
# build/valgrind/memcheck.log.
# shellcheck disable=SC2016  # check takes expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"

VG_SECONDS=${VG_SECONDS:-60}
command -v valgrind >/dev/null || { echo "  FAIL valgrind is not installed (apt-get install valgrind)"; exit 1; }
OUT=$IT_ROOT/build/valgrind
mkdir -p "$OUT"
PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$PORT

start_proc metrics-ai valgrind --leak-check=full --error-exitcode=9 \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --track-origins=yes --num-callers=30 --log-file="$OUT/memcheck.log" \
    "$IT_MAI" --listen "127.0.0.1:$PORT" --interval 5 --max-models 20 --horizons 15m,1h --threads 2 \
    --snapshot-interval 10
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 120 || { show_log metrics-ai; exit 1; }
log "ready under valgrind after $(elapsed) s"

"$IT_RWLOAD" --url "$MAI/api/v1/write" --series 312 --samples-per-request 312 --connections 2 \
    --duration "$VG_SECONDS" --warmup-rounds 1 --warmup-max-seconds 120 --timeout 30 \
    --start-hours-ago 8 >"$IT_TMP/rwload.out" 2>&1
check "rwload ran against the valgrind-hosted receiver" 'grep -qi "samples" "$IT_TMP/rwload.out"'
sed 's/^/  | /' "$IT_TMP/rwload.out" | tail -4

# the other request paths: remote read (snappy ReadRequest from the fuzz seed), store API,
# metrics, refused bodies
python3 - "$IT_TMP/read.body" <<'PY'
import struct, sys
def uv(n):
    b = bytearray()
    while True:
        if n < 0x80:
            b.append(n); return bytes(b)
        b.append((n & 0x7F) | 0x80); n >>= 7
def ld(f, b): return uv(f << 3 | 2) + uv(len(b)) + b
import time
now = int(time.time() * 1000)
m = ld(3, uv(1 << 3) + uv(0) + ld(2, b'__name__') + ld(3, b'node_load1'))
q = ld(1, uv(1 << 3) + uv(now - 7200000) + uv(2 << 3) + uv(now) + m)
msg = q + ld(2, uv(0))
open(sys.argv[1], 'wb').write(uv(len(msg)) + bytes([(len(msg) - 1) << 2]) + msg)
PY
st=$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' -X POST --data-binary "@$IT_TMP/read.body" \
    -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' "$MAI/api/v1/read")
check_eq "remote read under valgrind -> 200" "$st" 200
check_eq "GET /metrics -> 200" "$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' "$MAI/metrics")" 200
check_eq "GET /api/v1/store -> 200" \
    "$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' "$MAI/api/v1/store?metric=node_load1")" 200
printf 'garbage' >"$IT_TMP/garbage"
check_eq "a garbage body -> 400" "$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' -X POST \
    --data-binary "@$IT_TMP/garbage" -H 'Content-Type: application/x-protobuf' "$MAI/api/v1/write")" 400

snapshot "$MAI/metrics" "$IT_TMP/m.txt"
log "before SIGTERM: $(metric_value "$IT_TMP/m.txt" metrics_ai_series_active) series, models ready:" \
    "$(metric_value "$IT_TMP/m.txt" metrics_ai_models 'state="ready"'), accepted samples:" \
    "$(metric_value "$IT_TMP/m.txt" metrics_ai_samples_accepted_total)"
check "model cycles fitted models under valgrind" \
    'num_gt "$(metric_value "$IT_TMP/m.txt" metrics_ai_models "state=\"ready\"")" 0'
kill -TERM "$MAI_PID"
wait_until 120 '! alive "$MAI_PID"' >/dev/null
wait "$MAI_PID"
rc=$?
check_eq "metrics-ai under valgrind exits 0 (9 = memcheck errors or leaks)" "$rc" 0
summary=$(grep -E 'ERROR SUMMARY|in use at exit|total heap usage|All heap blocks|definitely lost|indirectly lost|possibly lost' "$OUT/memcheck.log" |
          sed 's/^==[0-9]*== *//')
printf "%s\n" "$summary" | sed "s/^/  | /"  # indented
check "memcheck: ERROR SUMMARY: 0 errors" 'grep -q "ERROR SUMMARY: 0 errors" "$OUT/memcheck.log"'
check "the shutdown snapshot was written" 'grep -q "snapshot written (shutdown)" "$IT_TMP/metrics-ai.log"'
[ "$IT_FAIL" -eq 0 ] || { grep -B2 -A30 -m3 'Invalid\|uninitialised\|lost in loss record' "$OUT/memcheck.log" | head -120; }
finish valgrind
