#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo/run.sh -- the embedded demo behind `make run`: starts metrics-ai, a local node_exporter
# and a local Prometheus (Debian packages, 127.0.0.1 only, storage in a temp dir, the recording
# rules of `metrics-ai rules` loaded) remote-writing into metrics-ai, replays the bundled NAB
# traces (demo/data/) through remote_write so that forecasts exist at once, and prints where to
# look. Ctrl-C (or SIGTERM) stops every process it started, by pid, and removes the temp dir.
#
# usage: demo/run.sh [--check SECONDS] [metrics-ai flags...]
#   --check SECONDS   non-interactive: wait up to SECONDS for metrics_ai_forecast of the replayed
#                     series on /metrics, print the time it took, stop everything; exit 0 when it
#                     appeared, 1 when not
# Ports (loopback): DEMO_PORT (metrics-ai, default 9201), DEMO_NODE_PORT (default 19100),
# DEMO_PROM_PORT (default 19090). Needs ./metrics-ai and build/replay (make run builds them).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAI_BIN=$ROOT/metrics-ai
REPLAY_BIN=$ROOT/build/replay
DATA=$ROOT/demo/data
MAI_PORT=${DEMO_PORT:-9201}
NODE_PORT=${DEMO_NODE_PORT:-19100}
PROM_PORT=${DEMO_PROM_PORT:-19090}
CHECK=""
if [ "${1:-}" = --check ]; then
    CHECK=${2:-}
    case $CHECK in '' | *[!0-9]*) echo "demo: --check takes seconds" >&2; exit 2 ;; esac
    shift 2
fi
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT
REPLAYED='instance="demo-node:9100"'
T0=$(date +%s.%N)
since() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf 'demo: %s\n' "$*"; }

for bin in "$MAI_BIN" "$REPLAY_BIN"; do
    [ -x "$bin" ] || { say "$bin is not built (make all build/replay)"; exit 2; }
done
for bin in prometheus prometheus-node-exporter curl; do
    command -v "$bin" >/dev/null ||
        { say "$bin is not installed (apt-get install prometheus prometheus-node-exporter curl)"; exit 2; }
done
for p in "$MAI_PORT" "$NODE_PORT" "$PROM_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        say "port $p on 127.0.0.1 is in use (set DEMO_PORT, DEMO_NODE_PORT or DEMO_PROM_PORT)"
        exit 2
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/metrics-ai-demo.XXXXXX") || exit 2
PIDS=()
NAMES=()

# stop_all: TERM every started process, newest first, up to 10 s each, then KILL; remove TMP.
stop_all() {
    local k pid i
    trap - INT TERM EXIT
    for ((k = ${#PIDS[@]} - 1; k >= 0; k--)); do
        pid=${PIDS[k]}
        if ! kill -TERM "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            say "${NAMES[k]} (pid $pid) had exited"
            continue
        fi
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            say "${NAMES[k]} (pid $pid) did not stop in 10 s: KILL"
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        say "stopped ${NAMES[k]} (pid $pid)"
    done
    PIDS=()
    rm -rf "$TMP"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# start NAME CMD...: CMD in the background, cwd TMP, output to TMP/NAME.log.
start() {
    local name=$1
    shift
    (cd "$TMP" && exec "$@") >"$TMP/$name.log" 2>&1 </dev/null &
    PIDS+=("$!")
    NAMES+=("$name")
    say "started $name (pid $!)"
}

# ready NAME URL SECONDS: poll URL until it answers 2xx while the last started process lives.
ready() {
    local name=$1 url=$2 secs=$3 pid=${PIDS[${#PIDS[@]} - 1]} i
    for ((i = 0; i < secs * 10; i++)); do
        curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            say "$name exited; last lines of its log:"
            tail -n 15 "$TMP/$name.log" | sed 's/^/  | /'
            return 1
        fi
        sleep 0.1
    done
    say "$name not ready after ${secs}s ($url)"
    return 1
}

"$MAI_BIN" rules --output "$TMP/rules.yml" || exit 1
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files: ['$TMP/rules.yml']
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
  - job_name: metrics-ai
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$MAI_PORT']}]
remote_write:
  - url: $MAI/api/v1/write
    queue_config: {batch_send_deadline: 5s}
    # metrics-ai's own series stay in Prometheus (for graphs), not sent back to be forecast
    write_relabel_configs: [{source_labels: [job], regex: metrics-ai, action: drop}]
    metadata_config: {send: true}
EOF

# metrics-ai: no backfill source, files under the temp dir.
start metrics-ai env VM_URL= MODEL_FILES_DIR="$TMP/model_files" FORECAST_PLOTS_DIR="$TMP/forecast_plots" \
    "$MAI_BIN" --listen "127.0.0.1:$MAI_PORT" "$@"
ready metrics-ai "$MAI/-/ready" 20 || exit 1
start node_exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
ready node_exporter "http://127.0.0.1:$NODE_PORT/metrics" 20 || exit 1
start prometheus prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
    --storage.tsdb.retention.time=1d --storage.remote.flush-deadline=5s \
    --web.listen-address="127.0.0.1:$PROM_PORT"
ready prometheus "$PROM/-/ready" 30 || exit 1

# The bundled traces, retimed to end now, at the service's 60 s step; their last 24 hours are
# then sent in real time.
start replay "$REPLAY_BIN" --url "$MAI/api/v1/write" --step 60 --live-hours 24 \
    --series "$DATA/nab_ec2_cpu_utilization_5f5533.csv" --metric instance:metrics_ai_host_cpu:ratio \
    --scale 0.01 --label instance=demo-node:9100 \
    --series "$DATA/nab_ec2_network_in_257a54.csv" --metric instance:metrics_ai_net_rx_bw:bytes_per_second \
    --scale "$(awk 'BEGIN { printf "%.12g", 1 / 300 }')" --label instance=demo-node:9100

forecast_lines() {
    curl -fsS --max-time 5 "$MAI/metrics" 2>/dev/null | grep "^metrics_ai_forecast{.*$REPLAYED"
}
limit=${CHECK:-180}
found=0
for ((i = 0; i < limit * 2; i++)); do
    if [ -n "$(forecast_lines)" ]; then found=1; break; fi
    kill -0 "${PIDS[0]}" 2>/dev/null || { say "metrics-ai exited"; tail -n 15 "$TMP/metrics-ai.log"; exit 1; }
    sleep 0.5
done
if [ "$found" = 1 ]; then
    say "first metrics_ai_forecast for the replayed series after $(since) s:"
    forecast_lines | head -n 8 | sed 's/^/  /'
else
    say "no metrics_ai_forecast for the replayed series after ${limit} s"
    tail -n 15 "$TMP/metrics-ai.log" | sed 's/^/  | /'
fi
if [ -n "$CHECK" ]; then
    [ "$found" = 1 ]
    exit
fi

plots="plots are written to $TMP/forecast_plots (the model cycle does not call the plotter yet)"
code=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$MAI/plots/" 2>/dev/null)
[ "$code" = 200 ] && plots="$MAI/plots/        forecast plots (PNG)"
cat <<EOF

metrics-ai demo is running (everything on 127.0.0.1; temp dir $TMP):
  $MAI/metrics       metrics_ai_* series: forecasts, intervals, anomaly scores, ETAs
  $MAI/              status page
  $MAI/api/v1/store?metric=instance:metrics_ai_host_cpu:ratio   a stored series as JSON
  $plots
  $PROM/graph?g0.expr=metrics_ai_forecast   Prometheus (scrapes node_exporter :$NODE_PORT and metrics-ai)
Replayed: NAB ec2_cpu_utilization_5f5533 as instance:metrics_ai_host_cpu:ratio and
ec2_network_in_257a54 as instance:metrics_ai_net_rx_bw:bytes_per_second, instance="demo-node:9100"
(demo/data/README.md). The local node's own series show warm-up forecasts within a minute or two
and fitted ones after 24 points (24 minutes at the 60 s step).
Logs: $TMP/*.log. Press Ctrl-C to stop everything.
EOF

# Runs until Ctrl-C, or until metrics-ai, node_exporter or Prometheus exits.
while :; do
    for k in 0 1 2; do
        if ! kill -0 "${PIDS[k]}" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/${PIDS[k]}/stat" 2>/dev/null)" = Z ]; then
            say "${NAMES[k]} exited; last lines of its log:"
            tail -n 15 "$TMP/${NAMES[k]}.log" | sed 's/^/  | /'
            exit 1
        fi
    done
    sleep 1
done
