#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_overload.sh -- back-pressure with real Prometheus 2.42: metrics-ai's
# ingest is slowed on purpose (the test-only --debug-ingest-delay-ms) and only one request may be
# in flight (--max-inflight 1), while Prometheus scrapes node_exporter every second and sends with
# 4 shards at once. metrics-ai answers the excess 503 + Retry-After; Prometheus backs off and
# retries. After LOAD_S seconds the scrape job is removed (config reload, SIGHUP), Prometheus'
# queue drains (prometheus_remote_storage_samples_pending == 0, counters still), and the two
# sides are compared: Prometheus' distinct samples sent (samples_total counts every attempt, so
# minus retried_total) == metrics-ai's metrics_ai_samples_accepted_total (duplicates and stale
# markers included, counted apart), with failed == dropped == 0 and no 4xx answer. Bounded:
# LOAD_S (default 30) + at most DRAIN_S (default 50) seconds, inside run.sh's 100 s per test.
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

LOAD_S=${LOAD_S:-30}
DRAIN_S=${DRAIN_S:-50}
DELAY_MS=${DELAY_MS:-100}

for bin in prometheus prometheus-node-exporter curl; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed"
        exit 1
    fi
done

MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT

write_config() {   # write_config yes|no: with or without the scrape job
    {
        echo "global: {scrape_interval: 1s, scrape_timeout: 1s}"
        if [ "$1" = yes ]; then
            echo "scrape_configs:"
            echo "  - job_name: node"
            echo "    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]"
        else
            echo "scrape_configs: []"
        fi
        cat <<EOF
remote_write:
  - url: $MAI/api/v1/write
    remote_timeout: 10s
    queue_config: {min_shards: 8, max_shards: 8, max_samples_per_send: 50, capacity: 500,
                   batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 500ms}
EOF
    } >"$IT_TMP/prometheus.yml.new" && mv "$IT_TMP/prometheus.yml.new" "$IT_TMP/prometheus.yml"
}
write_config yes

start_proc metrics-ai "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 5 --threads 8 \
    --max-inflight 1 --debug-ingest-delay-ms "$DELAY_MS" --max-models 100
MAI_PID=$BG_PID
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
NODE_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 10 || { show_log metrics-ai; exit 1; }
wait_http "http://127.0.0.1:$NODE_PORT/metrics" "$NODE_PID" 10 || { show_log node-exporter; exit 1; }
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT"
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 15 || { show_log prometheus; exit 1; }
log "metrics-ai (--max-inflight 1, ingest delayed ${DELAY_MS} ms), node_exporter, prometheus ready after $(elapsed)s; load for ${LOAD_S}s"

# psum NAME: Prometheus' own counter NAME summed over its label sets, from $IT_TMP/prom.txt.
psum() { awk -v n="$1" '/^#/ { next } { m = $1; sub(/\{.*/, "", m); if (m == n) { s += $2; f = 1 } }
                        END { if (f) printf "%.0f\n", s }' "$IT_TMP/prom.txt"; }
read_both() {
    curl -fsS --max-time 5 "$PROM/metrics" >"$IT_TMP/prom.txt" 2>/dev/null &&
        snapshot "$MAI/metrics" "$IT_TMP/mai.txt"
}

sleep "$LOAD_S"
read_both
mid_503=$(metric_sum "$IT_TMP/mai.txt" metrics_ai_remote_write_requests_total 'code="503"')
mid_pending=$(psum prometheus_remote_storage_samples_pending)
log "after ${LOAD_S}s of load: ${mid_503:-0} answers 503 so far, $mid_pending samples pending in Prometheus"

# Stop producing: reload Prometheus without the scrape job (its last scrape's stale markers are
# sent too), then wait for the queue to drain and both sides' counters to stand still.
write_config no
kill -HUP "$PROM_PID"
t_stop=$(elapsed)
last=""
drained() {
    read_both || return 1
    local now
    now="$(psum prometheus_remote_storage_samples_pending) $(psum prometheus_remote_storage_samples_total) $(metric_value "$IT_TMP/mai.txt" metrics_ai_samples_accepted_total)"
    # drained: nothing pending, and the same counters as 2 s ago (the poll runs every 0.5 s)
    if [ "${now%% *}" = 0 ] && [ "$now" = "$last" ]; then return 0; fi
    [ "${now%% *}" = 0 ] && sleep 1.5
    last=$now
    return 1
}
wait_until "$DRAIN_S" drained
t_drained=$(elapsed)
check "Prometheus' queue drained within ${DRAIN_S}s of the reload (pending $(psum prometheus_remote_storage_samples_pending))" \
    '[ "$(psum prometheus_remote_storage_samples_pending)" = 0 ]'
check "Prometheus dropped the scrape job (the reload took)" \
    'grep -q "Completed loading of configuration file" "$IT_TMP/prometheus.log" &&
     [ "$(grep -c "Completed loading of configuration file" "$IT_TMP/prometheus.log")" -ge 2 ]'

p_total=$(psum prometheus_remote_storage_samples_total)
p_failed=$(psum prometheus_remote_storage_samples_failed_total)
p_dropped=$(psum prometheus_remote_storage_samples_dropped_total)
p_retried=$(psum prometheus_remote_storage_samples_retried_total)
p_in=$(psum prometheus_remote_storage_samples_in_total)
p_sent=$(( ${p_total:-0} - ${p_retried:-0} ))
m_received=$(metric_value "$IT_TMP/mai.txt" metrics_ai_samples_received_total)
m_accepted=$(metric_value "$IT_TMP/mai.txt" metrics_ai_samples_accepted_total)
m_dup=$(metric_value "$IT_TMP/mai.txt" metrics_ai_samples_duplicate_total)
m_stale=$(metric_value "$IT_TMP/mai.txt" metrics_ai_stale_markers_total)
m_rejected=$(metric_sum "$IT_TMP/mai.txt" metrics_ai_samples_rejected_total)
m_503=$(metric_sum "$IT_TMP/mai.txt" metrics_ai_remote_write_requests_total 'code="503"')
m_2xx=$(metric_sum "$IT_TMP/mai.txt" metrics_ai_remote_write_requests_total 'code="2')
m_4xx=$(metric_sum "$IT_TMP/mai.txt" metrics_ai_remote_write_requests_total 'code="4')

check "metrics-ai pushed back: answers 503 ($m_503) beside 2xx ($m_2xx)" 'num_gt "$m_503" 0 && num_gt "$m_2xx" 0'
check "Prometheus retried samples ($p_retried)" 'num_gt "$p_retried" 0'
check "Prometheus failed no sample ($p_failed) and dropped none ($p_dropped)" \
    '[ "$p_failed" = 0 ] && [ "$p_dropped" = 0 ]'
check "no 4xx answer ($m_4xx) and no sample rejected ($m_rejected)" '[ "$m_4xx" = 0 ] && [ "$m_rejected" = 0 ]'
check "Prometheus' distinct samples sent (samples_total $p_total - retried $p_retried = $p_sent) > $((LOAD_S * 200)) (node_exporter: ~400 a second)" \
    'num_gt "$p_sent" $((LOAD_S * 200))'
check_eq "nothing lost: metrics-ai accepted == Prometheus sent (distinct)" "$m_accepted" "$p_sent"
check_eq "every sample metrics-ai decoded was accepted (received == accepted)" "$m_received" "$m_accepted"
check "metrics-ai healthy after the run" 'curl -fsS --max-time 2 -o /dev/null "$MAI/-/healthy" && alive "$MAI_PID"'

echo "  summary: ${LOAD_S}s load, ingest delayed ${DELAY_MS} ms, --max-inflight 1: Prometheus read" \
     "${p_in:-?} samples in, sent $p_total attempts = $p_sent distinct + $p_retried retried" \
     "(failed ${p_failed:-?}, dropped ${p_dropped:-?}); metrics-ai answered $m_2xx 2xx / $m_503 503," \
     "received $m_received, accepted $m_accepted (duplicates ${m_dup:-?}, stale markers ${m_stale:-?});" \
     "drained $(awk -v a="$t_stop" -v b="$t_drained" 'BEGIN { printf "%.1f", b - a }')s after the reload"
finish test_overload
