#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/soak/soak.sh -- a bounded soak: real Prometheus 2.42 scrapes node_exporter under
# SOAK_JOBS job names (default 8, about 1 000 series each), itself and metrics-ai every 5 s and
# remote-writes everything into ./metrics-ai (model cycles every 15 s, up to 2 000 models) for
# SOAK_MINUTES (default 10). Every 10 s it prints metrics-ai's resident memory, active series,
# accepted samples and answers other than 204. Passes when resident memory grows less than 2%
# from the end of the warm-up (the first third, at least 1 minute) to the end, no answer other
# than 204 was given, and Prometheus reports no failed, retried or dropped samples and, after its
# flush on SIGTERM, metrics-ai accepted at least as many samples as Prometheus sent.
# `make soak` (not part of make test).
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# the temp dir lives under build/ for the whole run (not in a shared /tmp)
TMPDIR=${TMPDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/tmp}
mkdir -p "$TMPDIR" && export TMPDIR
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"

SOAK_MINUTES=${SOAK_MINUTES:-10}
SOAK_JOBS=${SOAK_JOBS:-8}
for bin in prometheus prometheus-node-exporter python3 curl; do
    command -v "$bin" >/dev/null || { echo "  FAIL $bin not installed (make deps)"; exit 1; }
done
MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT

{
    printf 'global: {scrape_interval: 5s, scrape_timeout: 4s}\nscrape_configs:\n'
    for ((j = 0; j < SOAK_JOBS; j++)); do
        printf '  - job_name: node%d\n    static_configs: [{targets: ["127.0.0.1:%s"]}]\n' "$j" "$NODE_PORT"
    done
    printf '  - job_name: prometheus\n    static_configs: [{targets: ["127.0.0.1:%s"]}]\n' "$PROM_PORT"
    printf '  - job_name: metrics-ai\n    honor_labels: true\n    static_configs: [{targets: ["127.0.0.1:%s"]}]\n' "$MAI_PORT"
    printf 'remote_write:\n  - url: %s\n    remote_timeout: 10s\n' "$MAI/api/v1/write"
    printf '    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n'
    printf '    metadata_config: {send: true, send_interval: 1m}\n'
} >"$IT_TMP/prometheus.yml"

start_proc metrics-ai env MODEL_FILES_DIR="$IT_TMP/models" "$IT_MAI" \
    --listen "127.0.0.1:$MAI_PORT" --max-models 2000 --snapshot-interval 120
MAI_PID=$BG_PID
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
wait_http "$MAI/-/ready" "$MAI_PID" 20 || { show_log metrics-ai; exit 1; }
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --storage.remote.flush-deadline=20s
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 30 || { show_log prometheus; exit 1; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$MAI_PID/status" 2>/dev/null; }
total_s=$((SOAK_MINUTES * 60))
warm_s=$((total_s / 3 < 60 ? 60 : total_s / 3))
log "soak: ${SOAK_MINUTES} min, warm-up ${warm_s} s, $SOAK_JOBS node jobs; every 10 s:"
log "   t_s  rss_MiB  series_active  samples_accepted  samples/s  non_204_answers"
t_start=$(date +%s)
rss_warm='' rss_last='' acc_prev=0 t_prev=$t_start min_after='' max_after=''
while :; do
    now=$(date +%s)
    t=$((now - t_start))
    [ "$t" -gt "$total_s" ] && break
    alive "$MAI_PID" || break
    page=$IT_TMP/m.txt
    snapshot "$MAI/metrics" "$page"
    rss=$(rss_kib)
    acc=$(metric_value "$page" metrics_ai_samples_accepted_total)
    bad=$(metric_sum "$page" metrics_ai_remote_write_requests_total 'code="[^2]')
    rate=$(awk -v a="${acc:-0}" -v b="$acc_prev" -v dt="$((now - t_prev))" 'BEGIN { printf "%.0f", (dt > 0 ? (a - b) / dt : 0) }')
    printf '  %5d  %7.1f  %13s  %16s  %9s  %15s\n' "$t" "$(awk -v r="${rss:-0}" 'BEGIN { print r / 1024 }')" \
        "$(metric_value "$page" metrics_ai_series_active)" "${acc:-?}" "$rate" "$bad" | tee -a "$IT_TMP/soak.tsv"
    acc_prev=${acc:-0} t_prev=$now
    if [ "$t" -ge "$warm_s" ]; then
        [ -z "$rss_warm" ] && rss_warm=$rss
        rss_last=$rss
        { [ -z "$min_after" ] || [ "$rss" -lt "$min_after" ]; } && min_after=$rss
        { [ -z "$max_after" ] || [ "$rss" -gt "$max_after" ]; } && max_after=$rss
    fi
    sleep $((10 - ($(date +%s) - now) > 0 ? 10 - ($(date +%s) - now) : 1))
done
check "metrics-ai ran the whole soak" 'alive "$MAI_PID"'
growth=$(awk -v a="${rss_warm:-0}" -v b="${rss_last:-0}" 'BEGIN { printf "%.2f", (a > 0 ? 100 * (b - a) / a : 100) }')
check "resident memory after warm-up: $((rss_warm / 1024)) MiB -> $((rss_last / 1024)) MiB ($growth%, range $((min_after / 1024))..$((max_after / 1024)) MiB) grows < 2%" \
    'awk -v g="$growth" "BEGIN { exit !(g < 2) }"'
page=$IT_TMP/m.txt
snapshot "$MAI/metrics" "$page"
check_eq "no answer other than 204" "$(metric_sum "$page" metrics_ai_remote_write_requests_total 'code="[^2]')" 0
# Prometheus flushes its queue on SIGTERM; then both sides' counts are final.
snapshot "$PROM/metrics" "$IT_TMP/prom.txt"
stop_proc "$PROM_PID" 30
psum() { metric_sum "$IT_TMP/prom.txt" "$1"; }
sent=$(psum prometheus_remote_storage_samples_total)
check "Prometheus sent samples ($sent)" 'num_gt "$sent" 0'
for k in failed retried dropped; do
    check_eq "Prometheus: prometheus_remote_storage_samples_${k}_total == 0" \
        "$(psum "prometheus_remote_storage_samples_${k}_total")" 0
done
acc=$(metric_value "$MAI/metrics" metrics_ai_samples_accepted_total)
check "metrics-ai accepted ($acc) >= Prometheus sent before its last scrape of itself ($sent)" \
    'num_ge "$acc" "$sent"'
log "$(metric_lines "$MAI/metrics" metrics_ai_remote_write_requests_total | tr '\n' ' ')"
finish soak
