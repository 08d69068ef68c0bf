#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The same rwload load against victoria-metrics, Prometheus' remote-write receiver and
# metrics-ai, back to back, for each series count; prints each receiver's samples/s and CPU s per
# million samples, and metrics-ai's ratios to the other two. Each receiver's own ingest counter
# is checked against rwload's count of samples answered 2xx.
#
# Run from the project root: tests/bench/bench-compare.sh   (or: make bench-compare)
# Env: DURATION (s, default 20), CONNECTIONS (8), SERIES_LIST ("10000 100000"),
#      SAMPLES_PER_REQUEST (500), RECEIVERS ("vm prom mai"), IDLE_WAIT (s, 2),
#      VM_BIN (victoria-metrics), PROM_BIN (prometheus), MAI (./metrics-ai), MAI_ARGS,
#      KEEP_TMP=1 keeps logs and data.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-8}
SERIES_LIST=${SERIES_LIST:-"10000 100000"}
SAMPLES_PER_REQUEST=${SAMPLES_PER_REQUEST:-500}
RECEIVERS=${RECEIVERS:-"vm prom mai"}
IDLE_WAIT=${IDLE_WAIT:-2}
VM_BIN=${VM_BIN:-victoria-metrics}
PROM_BIN=${PROM_BIN:-prometheus}
MAI=${MAI:-./metrics-ai}
MAI_ARGS=${MAI_ARGS:-}
RWLOAD=${RWLOAD:-./build/rwload}

if [[ ! -x $RWLOAD ]]; then
    echo "bench-compare.sh: FAIL: $RWLOAD not found; build it first (make build/rwload)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mai-bench-compare.XXXXXX")
cleanup() {
    stop_all
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "bench-compare.sh: logs and data kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$TMP/prometheus.yml"

declare -A NAME=([vm]=victoria-metrics [prom]=prometheus [mai]=metrics-ai)
declare -A SPS CPU CORES P50 P99 NEWS GEN CHECK
failed=0

# available RECEIVER: 0 if its binary is there, else a message and 1
available() {
    case $1 in
    vm) command -v "$VM_BIN" >/dev/null 2>&1 || { echo "SKIP victoria-metrics: $VM_BIN not installed"; return 1; } ;;
    prom) command -v "$PROM_BIN" >/dev/null 2>&1 || { echo "SKIP prometheus: $PROM_BIN not installed"; return 1; } ;;
    mai) [[ -x $MAI ]] || { echo "SKIP metrics-ai: $MAI not found (not built yet?); comparing the others only"; return 1; } ;;
    *) echo "SKIP $1: unknown receiver (use vm, prom, mai)"; return 1 ;;
    esac
}

# start_receiver RECEIVER SERIES PORT: sets BG_PID, READY_URL, COUNTER_KEY
start_receiver() {
    local r=$1 series=$2 port=$3 log="$TMP/$1-$2.log"
    case $r in
    vm)
        start_bg "$log" "$VM_BIN" "-httpListenAddr=127.0.0.1:$port" \
            "-storageDataPath=$TMP/vm-$series" -loggerLevel=ERROR
        READY_URL="http://127.0.0.1:$port/health"
        COUNTER_KEY='vm_rows_inserted_total{type="promremotewrite"}'
        ;;
    prom)
        start_bg "$log" "$PROM_BIN" "--config.file=$TMP/prometheus.yml" \
            --web.enable-remote-write-receiver "--storage.tsdb.path=$TMP/prom-$series" \
            "--web.listen-address=127.0.0.1:$port"
        READY_URL="http://127.0.0.1:$port/-/ready"
        COUNTER_KEY=prometheus_tsdb_head_samples_appended_total
        ;;
    mai)
        # shellcheck disable=SC2086
        start_bg "$log" env MODEL_FILES_DIR="$TMP/models-$series" FORECAST_PLOTS_DIR="$TMP/plots-$series" \
            "$MAI" --listen "127.0.0.1:$port" $MAI_ARGS
        READY_URL="http://127.0.0.1:$port/-/ready"
        COUNTER_KEY=metrics_ai_samples_accepted_total
        ;;
    esac
}

# run_one RECEIVER SERIES: one fresh receiver, warm-up + measured phase, counter check
run_one() {
    local r=$1 series=$2 key="$1:$2" pid="" port="" try out rc st warm meas sent counter i
    for try in 1 2 3; do
        port=$(free_port)
        start_receiver "$r" "$series" "$port"
        pid=$BG_PID
        if wait_ready "$READY_URL" "$pid" 60; then
            break
        fi
        stop_pid "$pid"
        pid=""
        echo "${NAME[$r]} on port $port not ready (try $try); log tail:" >&2
        tail -n 5 "$TMP/$r-$series.log" >&2 || true
    done
    if [[ -z $pid ]]; then
        echo "FAIL ${NAME[$r]} series=$series: never became ready"
        CHECK[$key]=FAIL
        failed=1
        return 0
    fi
    sleep "$IDLE_WAIT"
    echo "== ${NAME[$r]}, $series series, $SAMPLES_PER_REQUEST samples/request, $CONNECTIONS connections, ${DURATION}s (pid $pid, port $port)"
    out="$TMP/rwload-$r-$series.txt"
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
        echo "FAIL ${NAME[$r]} series=$series: receiver exited (status $st) during the run; its last log lines:"
        tail -n 20 "$TMP/$r-$series.log" || true
        CHECK[$key]=FAIL
        failed=1
    fi
    if [[ -z $meas || $rc != 0 ]]; then
        echo "FAIL ${NAME[$r]} series=$series: rwload exit $rc (non-2xx answers or connection errors above)"
        CHECK[$key]=FAIL
        failed=1
    fi
    if [[ -n $meas ]]; then
        SPS[$key]=$(kv "$meas" samples_per_s)
        CPU[$key]=$(kv "$meas" receiver_cpu_s_per_msample)
        CORES[$key]=$(kv "$meas" receiver_cores)
        P50[$key]=$(kv "$meas" p50_ms)
        P99[$key]=$(kv "$meas" p99_ms)
        NEWS[$key]=$(kv "$warm" new_series_per_s)
        GEN[$key]=$(kv "$meas" gen_cpu_s_per_msample)
        sent=$(kv "$meas" samples_2xx_total)
        counter=""
        for ((i = 0; i < 20; i++)); do
            counter=$(metric_sum "http://127.0.0.1:$port/metrics" "$COUNTER_KEY")
            [[ -n $counter && $counter == "$sent" ]] && break
            sleep 0.25
        done
        if [[ -n $counter && $counter == "$sent" ]]; then
            echo "check: $COUNTER_KEY=$counter == rwload 2xx samples=$sent: ok"
            [[ ${CHECK[$key]:-} == FAIL ]] || CHECK[$key]=ok
        else
            echo "FAIL ${NAME[$r]} series=$series: $COUNTER_KEY=${counter:-missing} but rwload had $sent samples answered 2xx"
            CHECK[$key]=FAIL
            failed=1
        fi
    fi
    stop_pid "$pid"
    rm -rf "$TMP/vm-$series" "$TMP/prom-$series"
    sleep 1
}

active=()
for r in $RECEIVERS; do
    if available "$r"; then
        active+=("$r")
    fi
done
if ((${#active[@]} == 0)); then
    echo "bench-compare.sh: no receiver to run" >&2
    exit 1
fi

echo "load: $SAMPLES_PER_REQUEST samples/request, $CONNECTIONS connections, ${DURATION}s measured after 1 warm-up round; generator shares the cores (loadavg: $(cut -d' ' -f1-3 /proc/loadavg))"
for series in $SERIES_LIST; do
    for r in "${active[@]}"; do
        run_one "$r" "$series"
    done
done

echo
echo "remote-write ingest, back to back: $SAMPLES_PER_REQUEST samples/request, $CONNECTIONS connections, ${DURATION}s"
printf '%8s %-17s %12s %9s %9s %8s %8s %11s %9s %6s\n' series receiver samples/s cpu_s/M rx_cores p50_ms p99_ms new_ser/s gen_cpu/M check
for series in $SERIES_LIST; do
    for r in "${active[@]}"; do
        k="$r:$series"
        printf '%8s %-17s %12s %9s %9s %8s %8s %11s %9s %6s\n' "$series" "${NAME[$r]}" \
            "${SPS[$k]:--}" "${CPU[$k]:--}" "${CORES[$k]:--}" "${P50[$k]:--}" "${P99[$k]:--}" \
            "${NEWS[$k]:--}" "${GEN[$k]:--}" "${CHECK[$k]:--}"
    done
done

if [[ " ${active[*]} " == *" mai "* ]]; then
    echo
    echo "metrics-ai's ratios (samples/s: above 1 is faster; CPU per sample: below 1 is cheaper)"
    for series in $SERIES_LIST; do
        for r in "${active[@]}"; do
            [[ $r == mai ]] && continue
            printf '%8s vs %-17s samples/s x%s   CPU per sample x%s\n' "$series" "${NAME[$r]}" \
                "$(ratio "${SPS[mai:$series]:-}" "${SPS[$r:$series]:-}")" \
                "$(ratio "${CPU[mai:$series]:-}" "${CPU[$r:$series]:-}")"
        done
    done
else
    echo
    echo "metrics-ai skipped ($MAI not found): no ratios; VM vs Prometheus for reference:"
    for series in $SERIES_LIST; do
        if [[ -n ${SPS[vm:$series]:-} && -n ${SPS[prom:$series]:-} ]]; then
            printf '%8s victoria-metrics vs prometheus: samples/s x%s   CPU per sample x%s\n' "$series" \
                "$(ratio "${SPS[vm:$series]}" "${SPS[prom:$series]}")" \
                "$(ratio "${CPU[vm:$series]}" "${CPU[prom:$series]}")"
        fi
    done
fi

if ((failed)); then
    echo "bench-compare.sh: FAIL (see FAIL lines above)"
    exit 1
fi
