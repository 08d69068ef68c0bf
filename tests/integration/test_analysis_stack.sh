#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_analysis_stack.sh -- the infrastructure analysis on real data: a real
# Prometheus 2.42 evaluates the rules of `metrics-ai rules` over a real node_exporter and
# remote-writes everything to metrics-ai, which runs on one-second fine buckets and ten-second
# coarse buckets (STEP=1s, --coarse-step 10s) so that rings fill within the test. Checks: the
# local node's disk row for / in disk_full_prediction.csv and the console table, named the way
# the seed's payloads show it ("<nodename> (127.0.0.1)", learned from node_uname_info); time to
# 90% exported per method for DISK_USAGE on /; node classification and host pressure for the
# node; the alert counts; the console tables and -v DEBUG lines; promtool accepts /metrics.
# Waits are bounded: at most 90 s from start to the last check.
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for bin in prometheus promtool prometheus-node-exporter python3 curl; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed (make deps installs prometheus and prometheus-node-exporter)"
        exit 1
    fi
done

MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT
NODENAME=$(uname -n)
NODENAME=${NODENAME%%.*}

"$IT_MAI" rules --interval 1s --output "$IT_TMP/rules.yml" || exit 1
cat >"$IT_TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$IT_TMP/rules.yml']
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
remote_write:
  - url: $MAI/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
EOF

mkdir -p "$IT_TMP/reports"
start_proc metrics-ai env STEP=1s LOOKBACK_HRS=1 FORECAST_PLOTS_DIR="$IT_TMP/reports" \
    "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 2 -v --fine-hours 1 --admin-open \
    --coarse-step 10s --coarse-days 1 --horizons 30s,5m,1h --max-models 0
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

CSV=$IT_TMP/reports/disk_full_prediction.csv
SNAP=$IT_TMP/metrics.txt
# The coarse ring needs a finished 10 s bucket of the recorded DISK_USAGE series, and the node's
# name comes with node_uname_info: both within a few scrape and evaluation rounds.
arrived() {
    grep -q "^$NODENAME (127.0.0.1),/," "$CSV" 2>/dev/null &&
        snapshot "$MAI/metrics" "$SNAP" &&
        grep -q "^metrics_ai_node_anomaly_score{node=\"$NODENAME\"}" "$SNAP" &&
        grep -q '^metrics_ai_time_to_threshold_seconds{.*mountpoint="/".*signal="DISK_USAGE".*method="linear"}' "$SNAP"
}
wait_until 50 arrived
log "analysis results after $(elapsed)s"

check "disk_full_prediction.csv has the seed's header" \
    '[ "$(head -1 "$CSV")" = "instance,mountpoint,current_%,days_to_90pct,ensemble_eta,linear_eta,prophet_eta,alert" ]'
check "disk_full_prediction.csv has a row for / of \"$NODENAME (127.0.0.1)\" with a current % and an alert level" \
    'python3 - "$CSV" "$NODENAME (127.0.0.1)" <<'"'"'PY'"'"'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["mountpoint"] == "/"]
assert rows and rows[0]["instance"] == sys.argv[2], rows
r = rows[0]
assert 0 < float(r["current_%"]) <= 100, r
for k in ("days_to_90pct", "ensemble_eta", "linear_eta", "prophet_eta"):
    v = float(r[k])
    assert v == 9999.0 or 0 <= v <= 30, (k, r)
assert r["alert"] in ("OK", "SOON", "WARNING", "CRITICAL"), r
assert r["days_to_90pct"] == r["ensemble_eta"], r
print("  disk / row:", dict(r))
PY'
for method in ensemble linear prophet; do
    check "metrics_ai_time_to_threshold_seconds for DISK_USAGE on / by $method (a number or +Inf)" \
        "grep -E '^metrics_ai_time_to_threshold_seconds\\{.*mountpoint=\"/\".*signal=\"DISK_USAGE\",threshold=\"0.9\",method=\"$method\"\\} ([0-9.e+]+|\\+Inf)\$' \"\$SNAP\" >/dev/null"
done
score=$(metric_value "$SNAP" metrics_ai_node_anomaly_score "node=\"$NODENAME\"")
flag=$(metric_value "$SNAP" metrics_ai_node_anomaly "node=\"$NODENAME\"")
pressure=$(metric_value "$SNAP" metrics_ai_host_pressure "node=\"$NODENAME\"")
check "metrics_ai_node_anomaly_score{node=\"$NODENAME\"} in [0,1] (got ${score:-none})" \
    'num_ge "$score" 0 && num_ge 1 "$score"'
check "metrics_ai_node_anomaly{node=\"$NODENAME\"} is 0, 1 or 2 (got ${flag:-none})" \
    '[[ "$flag" =~ ^[012]$ ]]'
check "metrics_ai_host_pressure{node=\"$NODENAME\"} is 0 or 1 (got ${pressure:-none})" \
    '[[ "$pressure" =~ ^[01]$ ]]'
# the shares sum to 1, or are all 0 while every training vector is the same (no tree can split)
check "the node's feature contributions sum to 1 (or 0 before the forest can split)" \
    'num_ge "$(metric_sum "$SNAP" metrics_ai_node_anomaly_contribution "node=\"$NODENAME\"" | awk "{ print ((\$1 > 0.999 && \$1 < 1.001) || \$1 == 0) }")" 1'
for fam in disk_alerts_critical disk_alerts_warning disk_alerts_soon io_network_crisis \
           io_network_anomalies golden_anomalies classification_anomalies host_pressure_nodes; do
    check "metrics_ai_$fam exported" '[ -n "$(metric_value "$SNAP" metrics_ai_'"$fam"')" ]'
done
check "the alert counts agree with the node gauges (classification $flag, host pressure $pressure)" \
    '[ "$(metric_value "$SNAP" metrics_ai_classification_anomalies)" = "$([ "$flag" = 0 ] && echo 0 || echo 1)" ] &&
     [ "$(metric_value "$SNAP" metrics_ai_host_pressure_nodes)" = "$pressure" ]'
check "console: disk forecast, classification, host pressure, anomaly and prediction tables" \
    'for t in "Disk forecast:" "Classification anomalies:" "Host pressure:" "I/O+Network anomalies:" "Predictions:"; do
         grep -q "^$t" "$IT_TMP/metrics-ai.log" || { echo "  missing: $t"; false; }; done'
check "console: the disk row shows the node's display name" \
    'grep -qE "^  $NODENAME \(127\.0\.0\.1\) +/ " "$IT_TMP/metrics-ai.log"'
check "console at -v: the seed's DEBUG disk_alerts lines" \
    'grep -qE "^DEBUG: disk_alerts(=\[\]|\[0\]=\{)" "$IT_TMP/metrics-ai.log"'
# Selective retraining on the running service: the seed's grammar, applied by the next cycle.
# A forced fit needs the 24 points of a first fit: wait for the first fits.
wait_until 40 'num_gt "$(metric_value "$MAI/metrics" metrics_ai_model_fits_total)" 0'
post() { curl -sS --max-time 5 -X POST -w ' %{http_code}' "$1" | tr -d '\n'; }
fits_before=$(metric_value "$MAI/metrics" metrics_ai_model_fits_total)
retrain=$(post "$MAI/api/v1/admin/retrain?disk=$NODENAME:/")
check "POST /api/v1/admin/retrain?disk=$NODENAME:/ names the one disk series (got: $retrain)" \
    '[ "$retrain" = "{\"status\":\"applied\",\"matched\":1} 200" ]'
retrain=$(post "$MAI/api/v1/admin/retrain?io_net=$NODENAME")
check "POST /api/v1/admin/retrain?io_net=$NODENAME names the node's I/O and network series (got: $retrain)" \
    '[[ "$retrain" =~ ^\{\"status\":\"applied\",\"matched\":[1-9][0-9]*\}\ 200$ ]]'
retrain=$(post "$MAI/api/v1/admin/retrain?io_net=$NODENAME:DISK_USAGE")
check "a bad retrain target is refused with 400 and one line (got: $retrain)" \
    '[[ "$retrain" == *"unknown I/O or network signal"*" 400" ]]'
wait_until 10 'num_gt "$(metric_value "$MAI/metrics" metrics_ai_model_fits_total)" "$fits_before"'
fits_after=$(metric_value "$MAI/metrics" metrics_ai_model_fits_total)
check "the retrained series were fitted again (fits $fits_before -> $fits_after)" \
    'num_gt "$fits_after" "$fits_before"'
check "the retrain is logged with what it named" \
    'grep -q "retrain: 1 catalogue series named (disk requested, I/O and network -)" "$IT_TMP/metrics-ai.log"'
check "metrics-ai /metrics passes promtool check metrics" \
    'promtool check metrics <"$SNAP" >"$IT_TMP/lint.out" 2>&1 || { sed "s/^/  | /" "$IT_TMP/lint.out"; false; }'
if [ "$IT_FAIL" -gt 0 ]; then
    show_log metrics-ai 30
    grep -E "^metrics_ai_(time_to|node_|host_pressure)" "$SNAP" | head -20 | sed 's/^/  | /'
fi
finish test_analysis_stack
