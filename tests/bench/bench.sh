#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# metrics-ai ingest benchmark: for each series count, a fresh ./metrics-ai on a free loopback
# port, one warm-up round + a measured phase of ./build/rwload, a check that metrics-ai accepted
# exactly what rwload sent, and a table of throughput, CPU, memory and latency.
#
# Run from the project root: tests/bench/bench.sh   (or: make bench)
# Env: DURATION (s, default 20), CONNECTIONS (8), SERIES_LIST ("10000 100000"),
#      SAMPLES_PER_REQUEST (500), IDLE_WAIT (s before the idle RSS reading, 2),
#      MAI_ARGS (extra metrics-ai arguments), KEEP_TMP=1 keeps logs.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-8}
SERIES_LIST=${SERIES_LIST:-"10000 100000"}
SAMPLES_PER_REQUEST=${SAMPLES_PER_REQUEST:-500}
IDLE_WAIT=${IDLE_WAIT:-2}
MAI_ARGS=${MAI_ARGS:-}
RWLOAD=${RWLOAD:-./build/rwload}
MAI=${MAI:-./metrics-ai}

if [[ ! -x $MAI ]]; then
    echo "bench.sh: FAIL: $MAI not found or not executable; build it first (make)" >&2
    exit 1
fi
if [[ ! -x $RWLOAD ]]; then
    echo "bench.sh: FAIL: $RWLOAD not found; build it first (make build/rwload)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mai-bench.XXXXXX")
cleanup() {
    stop_all
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "bench.sh: logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rows=()
for series in $SERIES_LIST; do
    # fresh receiver; a port taken between probe and bind makes it exit: try another (3 tries)
    pid="" port=""
    for try in 1 2 3; do
        port=$(free_port)
        # its own model and plot directories: nothing restored from an earlier run
        # shellcheck disable=SC2086
        start_bg "$TMP/metrics-ai-$series.log" env MODEL_FILES_DIR="$TMP/models-$series" \
            FORECAST_PLOTS_DIR="$TMP/plots-$series" "$MAI" --listen "127.0.0.1:$port" $MAI_ARGS
        pid=$BG_PID
        if wait_ready "http://127.0.0.1:$port/-/ready" "$pid" 30; then
            break
        fi
        stop_pid "$pid"
        pid=""
        echo "bench.sh: metrics-ai on port $port not ready (try $try); log:" >&2
        tail -n 5 "$TMP/metrics-ai-$series.log" >&2 || true
    done
    if [[ -z $pid ]]; then
        echo "FAIL series=$series: metrics-ai never became ready" >&2
        exit 1
    fi
    sleep "$IDLE_WAIT"
    idle_rss=$(rss_bytes "$pid")

    echo "== metrics-ai, $series series, $SAMPLES_PER_REQUEST samples/request, $CONNECTIONS connections, ${DURATION}s (pid $pid, port $port, idle RSS $idle_rss B)"
    out="$TMP/rwload-$series.txt"
    rc=0
    "$RWLOAD" --url "http://127.0.0.1:$port/api/v1/write" --series "$series" \
        --samples-per-request "$SAMPLES_PER_REQUEST" --connections "$CONNECTIONS" \
        --duration "$DURATION" --warmup-rounds 1 --pid "$pid" >"$out" 2>&1 || rc=$?
    grep -v '^RESULT' "$out" || true
    warm=$(grep '^RESULT phase=warmup' "$out" | tail -n 1 || true)
    meas=$(grep '^RESULT phase=measure' "$out" | tail -n 1 || true)
    [[ -n $warm ]] && echo "$warm"
    [[ -n $meas ]] && echo "$meas"
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null && st=0 || st=$?
        echo "FAIL series=$series: metrics-ai exited (status $st) during the run; its last log lines:"
        tail -n 20 "$TMP/metrics-ai-$series.log" || true
        exit 1
    fi
    if [[ -z $meas ]]; then
        echo "FAIL series=$series: rwload printed no result (exit $rc)"
        exit 1
    fi
    w_non=$(kv "$warm" non2xx) m_non=$(kv "$meas" non2xx)
    w_err=$(kv "$warm" errors) m_err=$(kv "$meas" errors)
    non2xx=$(( ${w_non:-0} + ${m_non:-0} ))
    errors=$(( ${w_err:-0} + ${m_err:-0} ))
    if (( rc != 0 || non2xx != 0 || errors != 0 )); then
        echo "FAIL series=$series: rwload exit $rc, $non2xx non-2xx answers, $errors connection errors"
        exit 1
    fi
    sent=$(kv "$meas" samples_2xx_total)

    # the receiver's counters (a few tries in case they lag the 204 slightly)
    metrics_url="http://127.0.0.1:$port/metrics"
    accepted="" active=""
    for ((i = 0; i < 20; i++)); do
        accepted=$(metric_sum "$metrics_url" metrics_ai_samples_accepted_total)
        active=$(metric_sum "$metrics_url" metrics_ai_series_active)
        [[ -n $accepted && $accepted == "$sent" ]] && break
        sleep 0.25
    done
    if [[ -z $accepted || $accepted != "$sent" ]]; then
        echo "FAIL series=$series: metrics_ai_samples_accepted_total=${accepted:-missing} but rwload had $sent samples answered 2xx"
        exit 1
    fi
    if [[ -z $active || $active == 0 ]]; then
        echo "FAIL series=$series: metrics_ai_series_active=${active:-missing}"
        exit 1
    fi
    echo "check: metrics_ai_samples_accepted_total=$accepted == rwload 2xx samples=$sent: ok (series_active=$active)"

    rss_after=$(kv "$meas" receiver_rss_bytes)
    per_series=$(awk -v a="$rss_after" -v b="$idle_rss" -v s="$active" 'BEGIN { printf "%.0f", (a - b) / s }')
    rows+=("$(printf '%8s %12.0f %10s %10s %12s %12s %8s %8s %10s' \
        "$series" "$(kv "$meas" samples_per_s)" "$(kv "$meas" receiver_cpu_s_per_msample)" \
        "$(kv "$meas" receiver_cores)" "$per_series" "$rss_after" \
        "$(kv "$meas" p50_ms)" "$(kv "$meas" p99_ms)" "$(kv "$warm" new_series_per_s)")")
    echo "   gen_cpu_s_per_msample=$(kv "$meas" gen_cpu_s_per_msample) (rwload's own CPU per million samples)"
    stop_pid "$pid"
    sleep 1
done

echo
echo "metrics-ai ingest: $SAMPLES_PER_REQUEST samples/request, $CONNECTIONS connections, ${DURATION}s measured, generator on the same cores"
printf '%8s %12s %10s %10s %12s %12s %8s %8s %10s\n' series samples/s cpu_s/M rx_cores rss_B/series rss_after_B p50_ms p99_ms new_ser/s
for r in "${rows[@]}"; do
    echo "$r"
done
