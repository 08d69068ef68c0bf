#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_load_short.sh -- the short pass of `make bench` inside the tests: rwload
# sends node_exporter-like load over 8 keep-alive connections for a few seconds; every request
# must get 204 and metrics-ai's accepted counter must equal what rwload sent, exactly. Prints the
# figures (they are not asserted: speed targets live in `make bench`).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

port=$(free_port)
start_proc mai "$IT_MAI" --listen "127.0.0.1:$port" --threads 2
mai_pid=$BG_PID
wait_http "http://127.0.0.1:$port/-/ready" "$mai_pid" 15 || { finish test_load_short; exit 1; }

out=$("$IT_RWLOAD" --url "http://127.0.0.1:$port/api/v1/write" --series 20000 \
      --samples-per-request 500 --connections 8 --duration "${LOAD_SECONDS:-4}" \
      --max-requests 200000 --pid "$mai_pid" 2>"$IT_TMP/rwload.err")
rc=$?
check "rwload finished without errors" '[ "$rc" -eq 0 ]'
measure=$(printf '%s\n' "$out" | grep '^RESULT phase=measure')
field() { printf '%s\n' "$measure" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
sent=$(printf '%s\n' "$out" | grep '^RESULT phase=measure' | tr ' ' '\n' |
       awk -F= '$1 == "samples_2xx_total" { print $2 }')
page="$IT_TMP/metrics.txt"
snapshot "http://127.0.0.1:$port/metrics" "$page"
accepted=$(metric_value "$page" metrics_ai_samples_accepted_total)
active=$(metric_value "$page" metrics_ai_series_active)
non204=$(metric_sum "$page" metrics_ai_remote_write_requests_total 'code="[^2]')
check "every request answered 2xx (non2xx=$(field non2xx))" '[ "$(field non2xx)" = 0 ]'
check_eq "accepted counter equals samples sent" "$accepted" "$sent"
check_eq "all series active" "$active" 20000
check_eq "no request answered other than 204" "$non204" 0
check "process still alive" 'alive "$mai_pid"'
log "samples/s=$(field samples_per_s) receiver_cpu_s_per_msample=$(field receiver_cpu_s_per_msample)" \
    "p50_ms=$(field p50_ms) p99_ms=$(field p99_ms) rss_bytes=$(field receiver_rss_bytes)"
finish test_load_short
