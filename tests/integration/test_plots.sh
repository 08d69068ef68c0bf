#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_plots.sh -- the cycle's plots on real data: a real Prometheus 2.42
# evaluates the rules of `metrics-ai rules` over a real node_exporter and remote-writes to
# metrics-ai, which runs on one-second fine and ten-second coarse buckets with one-hour plot
# windows, --interval 1 --plot-interval 1 and --show-backtest. Checks: the host and pod layer
# forecast and backtest plots, the local node's disk plot for / and the classification scatter
# appear in FORECAST_PLOTS_DIR as sound PNGs of the configured sizes, with the window in their
# Title tEXt chunk; the host layer and disk plots show data; GET /plots/ lists them and
# GET /plots/<file> serves them (image/png, text/csv); traversal is refused; the status page
# links /plots/. Bounded: at most 90 s from start to the last check.
# shellcheck disable=SC2016,SC2034  # check/wait_until take expressions evaluated later, in single
# quotes (so variables they use look unused)
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for bin in prometheus prometheus-node-exporter python3 curl; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed (make deps installs prometheus and prometheus-node-exporter)"
        exit 1
    fi
done

PNGINFO="$(dirname "$0")/png_info.py"
MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT
NODENAME=$(uname -n)
NODENAME=${NODENAME%%.*}
PLOTS=$IT_TMP/plots
WINDOW="1 hour Historical + 1 hour Forecast"

"$IT_MAI" rules --interval 1s --output "$IT_TMP/rules.yml" || exit 1
cat >"$IT_TMP/prometheus.yml" <<EOT
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$IT_TMP/rules.yml']
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
remote_write:
  - url: $MAI/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
EOT

start_proc metrics-ai env STEP=1s LOOKBACK_HRS=1 FORECAST_PLOTS_DIR="$PLOTS" \
    PLOT_HISTORY_HOURS=1 PLOT_FORECAST_HOURS=1 \
    "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1 --plot-interval 1 --show-backtest -v \
    --fine-hours 1 --coarse-step 10s --coarse-days 1 --horizons 30s,5m,1h --max-models 0
MAI_PID=$BG_PID
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
NODE_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 10 || { show_log metrics-ai; exit 1; }
wait_http "http://127.0.0.1:$NODE_PORT/metrics" "$NODE_PID" 10 || { show_log node-exporter; exit 1; }
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT"
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 15 || { show_log prometheus; exit 1; }
log "metrics-ai :$MAI_PORT, node_exporter :$NODE_PORT, prometheus :$PROM_PORT ready after $(elapsed)s"

DISK=disk_${NODENAME}_root_forecast.png
FILES="host_layer_forecast.png pod_layer_forecast.png host_layer_backtest.png
       pod_layer_backtest.png $DISK classification_host_vs_pod.png"
# The backtest needs 24 training points of the host layer mean (about 30 s of one-second
# buckets), the disk file the node's name from node_uname_info.
all_there() {
    for f in $FILES; do [ -s "$PLOTS/$f" ] || return 1; done
    python3 "$PNGINFO" "$PLOTS/host_layer_backtest.png" 2>/dev/null | grep -q "test MAE"
}
wait_until 60 all_there
log "plots after $(elapsed)s: $(find "$PLOTS" -maxdepth 1 -type f -printf '%f ' | sort)"

# one sound PNG: size, title with the window, data drawn (or not)
png_ok() {  # file width height title-pattern drawn(1|0)
    local info
    info=$(python3 "$PNGINFO" "$1") || { echo "  $1: $info"; return 1; }
    read -r w h ink title <<<"$info"
    if [ "$w" = "$2" ] && [ "$h" = "$3" ] && [[ "$title" == *$4* ]] &&
        { [ "$5" = 0 ] || [ "$ink" -ge 100 ]; }; then
        return 0
    fi
    echo "  $1: ${w}x$h ink $ink title \"$title\""
    return 1
}
check "host_layer_forecast.png: 1200x500, the window and the layer mean in the Title, data drawn" \
    'png_ok "$PLOTS/host_layer_forecast.png" 1200 500 "HOST_CPU, mean of 1 node*$WINDOW" 1'
check "host_layer_backtest.png: 1200x500, train | test and the test MAE in the Title, drawn" \
    'png_ok "$PLOTS/host_layer_backtest.png" 1200 500 "1 hours Historical, train | test, test MAE" 1'
check "pod_layer_forecast.png and pod_layer_backtest.png: written without pod data" \
    'png_ok "$PLOTS/pod_layer_forecast.png" 1200 500 "POD_CPU*$WINDOW" 0 &&
     png_ok "$PLOTS/pod_layer_backtest.png" 1200 500 "POD_CPU" 0'
check "$DISK: 1200x500, the node and / with the window in the Title, data drawn" \
    'png_ok "$PLOTS/$DISK" 1200 500 "Disk $NODENAME (127.0.0.1) /*$WINDOW" 1'
check "classification_host_vs_pod.png: 900x650, the node drawn" \
    'png_ok "$PLOTS/classification_host_vs_pod.png" 900 650 "" 1'
check "no temporary files left behind" '! ls -A "$PLOTS" | grep -q "^\."'

# served over HTTP
INDEX=$IT_TMP/index.html
curl -fsS --max-time 5 "$MAI/plots/" -o "$INDEX"
check "GET /plots/ links every plot" \
    'for f in $FILES; do
         grep -q "<a href=\"/plots/$f\">$f</a>" "$INDEX" || { echo "  missing $f"; false; }
     done'
hdr=$(curl -sS --max-time 5 -D - -o "$IT_TMP/served.png" "$MAI/plots/host_layer_forecast.png")
check "GET /plots/host_layer_forecast.png: 200 image/png, a sound PNG with the Title" \
    '[[ "$hdr" == *" 200 "* ]] && grep -qi "^content-type: image/png" <<<"$hdr" &&
     png_ok "$IT_TMP/served.png" 1200 500 "$WINDOW" 1'
wait_until 20 '[ -s "$PLOTS/disk_full_prediction.csv" ]'
hdr=$(curl -sS --max-time 5 -D - -o "$IT_TMP/served.csv" "$MAI/plots/disk_full_prediction.csv")
check "GET /plots/disk_full_prediction.csv: text/csv with the seed's header" \
    'grep -qi "^content-type: text/csv" <<<"$hdr" &&
     head -1 "$IT_TMP/served.csv" | grep -q "^instance,mountpoint,"'
for path in "/plots/../" "/plots/../metrics-ai.log" "/plots/..%2fmetrics-ai.log" \
            "/plots/%2e%2e/metrics-ai.log"; do
    out=$(curl -sS --max-time 5 --path-as-is -w ' %{http_code}' "$MAI$path")
    check "GET $path is refused with 400 and one line (got: ${out:0:80})" \
        '[[ "$out" == "bad plot file name"*" 400" ]] && [ "$(wc -l <<<"$out")" = 2 ]'
done
out=$(curl -sS --max-time 5 -w ' %{http_code}' "$MAI/plots/nope.png")
check "GET /plots/nope.png is 404" '[[ "$out" == *" 404" ]]'
check "the status page links /plots/" 'page_has "$MAI/" "href=\"/plots/\""'
secs=$(grep -oE "plots: [0-9]+ files in [0-9.]+ s" "$IT_TMP/metrics-ai.log" | tail -1)
check "the cycle logs its plot writes (${secs:-none})" '[ -n "$secs" ]'
[ "$IT_FAIL" -gt 0 ] && show_log metrics-ai 30
finish test_plots
