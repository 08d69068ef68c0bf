#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_prometheus_stack.sh -- metrics-ai behind a real Prometheus 2.42 and
# node_exporter on loopback: Prometheus scrapes node_exporter (job "node") and metrics-ai's
# /metrics (job "metrics-ai") every second and remote-writes everything to metrics-ai.
# Checks: the generated config passes promtool; both targets up; samples, series and metadata
# arrive; nothing rejected except possibly out_of_order; no 4xx/5xx answers; Prometheus reports no
# failed or dropped samples and, after it has flushed on SIGTERM, metrics-ai accepted at least as
# many samples as Prometheus had sent; metrics-ai's /metrics passes `promtool check metrics`.
# Waits are bounded: at most 60 s from start to the last check.
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

BUDGET=60   # seconds for the whole test, start-up included

for bin in prometheus promtool prometheus-node-exporter python3 curl; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed (make deps installs prometheus and prometheus-node-exporter)"
        exit 1
    fi
done

# remaining: seconds left of the budget (at least 1).
remaining() { awk -v a="$IT_T0" -v b="$(date +%s.%N)" -v n="$BUDGET" 'BEGIN { r = int(n - (b - a)); print (r < 1 ? 1 : r) }'; }

MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
NODE=http://127.0.0.1:$NODE_PORT
PROM=http://127.0.0.1:$PROM_PORT

"$IT_MAI" rules --interval 1s --output "$IT_TMP/rules.yml" || exit 1
cat >"$IT_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['$IT_TMP/rules.yml']
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
  - job_name: metrics-ai
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$MAI_PORT']}]
remote_write:
  - url: $MAI/api/v1/write
    remote_timeout: 10s
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
    metadata_config: {send: true, send_interval: 5s}
EOF

check "promtool check config accepts the generated prometheus.yml" \
    'promtool check config "$IT_TMP/prometheus.yml" >"$IT_TMP/promtool-config.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/promtool-config.out"; false; }'

start_proc metrics-ai "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1
MAI_PID=$BG_PID
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
NODE_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 10 || { show_log metrics-ai; exit 1; }
wait_http "$NODE/metrics" "$NODE_PID" 10 || { show_log node-exporter; exit 1; }
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --storage.remote.flush-deadline=5s
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 15 || { show_log prometheus; exit 1; }
log "metrics-ai :$MAI_PORT, node_exporter :$NODE_PORT, prometheus :$PROM_PORT ready after $(elapsed)s"

# Everything the checks below need, polled together (the first scrape comes ~5 s after start,
# the first metadata send after a further send_interval).
all_arrived() {
    [ "$(prom_value "$PROM" 'up{job="metrics-ai"}')" = 1 ] &&
        [ "$(prom_value "$PROM" 'up{job="node"}')" = 1 ] &&
        num_gt "$(metric_value "$MAI/metrics" metrics_ai_samples_accepted_total)" 0 &&
        num_gt "$(metric_value "$MAI/metrics" metrics_ai_series_active)" 100 &&
        num_gt "$(metric_value "$MAI/metrics" metrics_ai_metadata_received_total)" 0 &&
        num_gt "$(metric_value "$MAI/metrics" metrics_ai_metadata_families)" 0
}
wait_until "$(( $(remaining) - 12 ))" all_arrived
log "data arrived after $(elapsed)s"

check 'Prometheus: up{job="metrics-ai"} == 1' '[ "$(prom_value "$PROM" "up{job=\"metrics-ai\"}")" = 1 ]'
check 'Prometheus: up{job="node"} == 1' '[ "$(prom_value "$PROM" "up{job=\"node\"}")" = 1 ]'
# a second scrape round so metrics-ai's own counters have also made the round trip
check 'Prometheus has scraped metrics-ai samples (metrics_ai_build_info)' \
    '[ "$(prom_value "$PROM" "metrics_ai_build_info")" = 1 ]'

SNAP=$IT_TMP/mai-metrics.txt
snapshot "$MAI/metrics" "$SNAP"
accepted=$(metric_value "$SNAP" metrics_ai_samples_accepted_total)
active=$(metric_value "$SNAP" metrics_ai_series_active)
meta=$(metric_value "$SNAP" metrics_ai_metadata_received_total)
families=$(metric_value "$SNAP" metrics_ai_metadata_families)
check "metrics_ai_samples_accepted_total > 0 (got ${accepted:-none})" 'num_gt "$accepted" 0'
check "metrics_ai_series_active > 100 (got ${active:-none})" 'num_gt "$active" 100'
check "metrics_ai_metadata_received_total > 0 (got ${meta:-none})" 'num_gt "$meta" 0'
check "metrics_ai_metadata_families > 0 (got ${families:-none})" 'num_gt "$families" 0'

ooo=$(metric_value "$SNAP" metrics_ai_samples_rejected_total 'reason="out_of_order"')
rejected_other=$(metric_sum "$SNAP" metrics_ai_samples_rejected_total '^reason="' )
rejected_other=$(( rejected_other - ${ooo:-0} ))
check "no samples rejected except out_of_order (other reasons: $rejected_other)" \
    '[ "$rejected_other" = 0 ] || { metric_lines "$SNAP" metrics_ai_samples_rejected_total | grep -v " 0$" | sed "s/^/  | /"; false; }'
if num_gt "$ooo" 0; then
    log "note: $ooo samples rejected as out_of_order:"
    metric_lines "$SNAP" metrics_ai_samples_rejected_total | grep out_of_order | sed 's/^/  | /'
fi
bad_requests=$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="[45]')
ok_requests=$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="2')
check "no 4xx/5xx answers in metrics_ai_remote_write_requests_total ($ok_requests 2xx, $bad_requests 4xx/5xx)" \
    '[ "$bad_requests" = 0 ] && num_gt "$ok_requests" 0 ||
     { metric_lines "$SNAP" metrics_ai_remote_write_requests_total | sed "s/^/  | /"; false; }'
check 'Prometheus sent remote write 1.0 only (every request counted as version="1.0")' \
    '[ "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total "version=\"1.0\"")" = "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total)" ]'

# Real node_exporter values as metrics-ai holds them (GET /api/v1/store): idle CPU is a counter,
# so metrics-ai holds its per-second rate, which lies in [0, 1] per CPU and sums to at most the
# core count; MemAvailable <= MemTotal.
NCPU=$(nproc)
sane_values() {
    curl -fsS --max-time 5 "$MAI/api/v1/store?metric=node_cpu_seconds_total&limit=10000&points=5" \
        >"$IT_TMP/cpu.json" &&
    curl -fsS --max-time 5 "$MAI/api/v1/store?metric=node_memory_MemAvailable_bytes&points=5" \
        >"$IT_TMP/memavail.json" &&
    curl -fsS --max-time 5 "$MAI/api/v1/store?metric=node_memory_MemTotal_bytes&points=5" \
        >"$IT_TMP/memtotal.json" &&
    python3 - "$IT_TMP" "$NCPU" <<'PY'
import json, sys
d, ncpu = sys.argv[1], int(sys.argv[2])
def last(s):
    vals = [v for v in s["fine"]["values"] if v is not None]
    return vals[-1] if vals else None
cpu = json.load(open(d + "/cpu.json"))["data"]["series"]
idle = [s for s in cpu if s["labels"].get("mode") == "idle"]
assert len(idle) == ncpu, f"{len(idle)} idle series for {ncpu} CPUs"
assert all(s["kind"] == "counter" for s in idle), "node_cpu_seconds_total not held as a counter"
rates = [last(s) for s in idle]
assert all(r is not None for r in rates), f"no idle rate yet: {rates}"
assert all(0 <= r <= 1.05 for r in rates), f"idle rate per CPU out of [0, 1]: {rates}"
assert sum(rates) <= ncpu * 1.05, f"idle rates sum {sum(rates)} > {ncpu} cores"
avail = last(json.load(open(d + "/memavail.json"))["data"]["series"][0])
total = last(json.load(open(d + "/memtotal.json"))["data"]["series"][0])
assert 0 < avail <= total, f"MemAvailable {avail} vs MemTotal {total}"
print(f"  idle CPU rates {['%.3f' % r for r in rates]}, MemAvailable/MemTotal {avail/total:.3f}")
PY
}
wait_until 15 'sane_values >"$IT_TMP/sane.out" 2>&1'
check "node_exporter values arrive sane (idle CPU rate per CPU in [0,1], sum <= $NCPU; MemAvailable <= MemTotal)" \
    'sane_values'

# Forecasts of the real node_exporter series, exported and scraped back by Prometheus.
forecast_seen() {
    [ -n "$(prom_value "$PROM" 'count(metrics_ai_forecast{metric="node_load1",job="node"})')" ]
}
wait_until 10 forecast_seen
check 'Prometheus scraped metrics_ai_forecast for node_load1 (15m and 1h horizons at least)' \
    'num_ge "$(prom_value "$PROM" "count(metrics_ai_forecast{metric=\"node_load1\",job=\"node\"})")" 2'
check 'forecast intervals hold the forecast (lower <= forecast <= upper) for every series' \
    '[ -z "$(prom_query "$PROM" "metrics_ai_forecast_lower > on(instance,job,metric,horizon) group_left() metrics_ai_forecast{metric=\"node_load1\"}")" ]'

# The catalogue's recording rules, evaluated by Prometheus and remote-written: HOST_CPU, HOST_MEM
# and DISK_USAGE for the local node, with a disk row for /.
check "promtool check rules accepts the rules metrics-ai printed" \
    'promtool check rules "$IT_TMP/rules.yml" >"$IT_TMP/rules.out" 2>&1 || { sed "s/^/  | /" "$IT_TMP/rules.out"; false; }'
signals_arrived() {
    for m in instance:metrics_ai_host_cpu:ratio instance:metrics_ai_host_mem:ratio \
             instance_mountpoint:metrics_ai_disk_usage:ratio; do
        curl -fsS --max-time 5 "$MAI/api/v1/store?metric=$m&points=3" >"$IT_TMP/sig-$m.json" || return 1
        grep -q '"values":\[[^]]*[0-9]' "$IT_TMP/sig-$m.json" || return 1
    done
}
wait_until 15 signals_arrived
check "HOST_CPU, HOST_MEM and DISK_USAGE recorded series arrive, ratios in [0,1], with a row for /" \
    'signals_arrived && python3 - "$IT_TMP" <<'"'"'PY'"'"'
import json, sys
d = sys.argv[1]
def series(m):
    return json.load(open(f"{d}/sig-{m}.json"))["data"]["series"]
for m in ("instance:metrics_ai_host_cpu:ratio", "instance:metrics_ai_host_mem:ratio",
          "instance_mountpoint:metrics_ai_disk_usage:ratio"):
    vals = [v for s in series(m) for v in s["fine"]["values"] if v is not None]
    assert vals and all(0 <= v <= 1 for v in vals), (m, vals)
disk = series("instance_mountpoint:metrics_ai_disk_usage:ratio")
assert any(s["labels"].get("mountpoint") == "/" for s in disk), [s["labels"] for s in disk]
root = [s for s in disk if s["labels"].get("mountpoint") == "/"][0]
print("  host cpu %.3f, host mem %.3f, disk / %.3f" % tuple(
    [v for v in s["fine"]["values"] if v is not None][-1]
    for s in (series("instance:metrics_ai_host_cpu:ratio")[0],
              series("instance:metrics_ai_host_mem:ratio")[0], root)))
PY'

check "metrics-ai /metrics passes promtool check metrics" \
    'curl -fsS --max-time 5 "$MAI/metrics" | promtool check metrics >"$IT_TMP/lint.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/lint.out"; false; }'

# Prometheus' side, read from its own /metrics: which prometheus_remote_storage_samples_* names
# this version exposes is printed (2.42: samples_total, _failed_total, _dropped_total,
# _retried_total, _in_total, _pending).
curl -fsS --max-time 5 "$PROM/metrics" >"$IT_TMP/prom-metrics.txt" 2>/dev/null
names=$(grep -o '^prometheus_remote_storage_samples_[a-z_]*' "$IT_TMP/prom-metrics.txt" | sort -u | tr '\n' ' ')
log "Prometheus exposes: ${names:-no prometheus_remote_storage_samples_* metrics}"
psum() { awk -v n="$1" '/^#/ { next } { m = $1; sub(/\{.*/, "", m); if (m == n) { s += $2; f = 1 } }
                        END { if (f) printf "%.0f\n", s }' "$IT_TMP/prom-metrics.txt"; }
p_total=$(psum prometheus_remote_storage_samples_total)
p_failed=$(psum prometheus_remote_storage_samples_failed_total)
p_dropped=$(psum prometheus_remote_storage_samples_dropped_total)
p_retried=$(psum prometheus_remote_storage_samples_retried_total)
check "prometheus_remote_storage_samples_total > 0 (got ${p_total:-absent})" 'num_gt "$p_total" 0'
check "prometheus_remote_storage_samples_failed_total == 0 (got ${p_failed:-absent})" '[ "$p_failed" = 0 ]'
check "prometheus_remote_storage_samples_dropped_total == 0 (got ${p_dropped:-absent})" '[ "$p_dropped" = 0 ]'
[ -n "$p_retried" ] && [ "$p_retried" != 0 ] && log "note: prometheus_remote_storage_samples_retried_total = $p_retried"

# Stop Prometheus first: on SIGTERM it flushes its queues (bounded by --storage.remote.flush-deadline),
# so metrics-ai must then hold at least what Prometheus had counted as sent before the stop.
stop_proc "$PROM_PID" 15
check "Prometheus exited on SIGTERM" '! alive "$PROM_PID"'
snapshot "$MAI/metrics" "$SNAP"
final_accepted=$(metric_value "$SNAP" metrics_ai_samples_accepted_total)
final_received=$(metric_value "$SNAP" metrics_ai_samples_received_total)
check "after the flush, metrics-ai accepted ($final_accepted) >= Prometheus samples sent ($p_total)" \
    'num_ge "$final_accepted" "$p_total"'
final_bad=$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="[45]')
final_ooo=$(metric_value "$SNAP" metrics_ai_samples_rejected_total 'reason="out_of_order"')
final_rej=$(( $(metric_sum "$SNAP" metrics_ai_samples_rejected_total '^reason="') - ${final_ooo:-0} ))
check "after the flush: still no 4xx/5xx answers ($final_bad) and no rejects but out_of_order ($final_rej)" \
    '[ "$final_bad" = 0 ] && [ "$final_rej" = 0 ]'
dup=$(metric_value "$SNAP" metrics_ai_samples_duplicate_total)
stale=$(metric_value "$SNAP" metrics_ai_stale_markers_total)
check "metrics-ai still healthy after Prometheus left" \
    'curl -fsS --max-time 2 -o /dev/null "$MAI/-/healthy" && alive "$MAI_PID"'

echo "  summary: prometheus sent $p_total samples (failed ${p_failed:-?}, dropped ${p_dropped:-?}," \
     "retried ${p_retried:-?}); metrics-ai received $final_received, accepted $final_accepted" \
     "(duplicates ${dup:-?}, stale markers ${stale:-?}, out_of_order ${final_ooo:-0});" \
     "series active $active; metadata $meta entries, $families families;" \
     "requests $ok_requests 2xx / $bad_requests 4xx+5xx"
finish test_prometheus_stack
