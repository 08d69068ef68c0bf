#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_backfill.sh -- the query_range backfill at start against Debian's
# victoria-metrics: real traces of ../shared/data (NAB, Alibaba), retimed to end now and named as
# catalogue recorded series, are imported into VictoriaMetrics; metrics-ai started with VM_URL
# must hold every series with exactly the points of its START_HOURS_AGO range and their values
# (GET /api/v1/store), and forecast them (/metrics). A bad extra selector is skipped with one
# line; a VM_URL that refuses connections or answers 500 gives one clear line, a bounded number
# of attempts, and the service still starts. Prints the backfill throughput in points/s.
# shellcheck disable=SC2016,SC2034  # check/wait_until evaluate single-quoted expressions later
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_traces test_backfill

STEP=300
HOURS=48

# ---- victoria-metrics with the traces --------------------------------------------------------
start_vm vm || exit 1

# trace_import.py (beside this script) writes the import and the expected points.
NOW=$(date +%s)
END=$(( (NOW / STEP + 2) * STEP ))       # two steps past now: the newest step pulled has a point
ROWS=$(( HOURS * 3600 / STEP + 60 ))    # an extra 5 h before the range, which must not come back
CPU=instance:metrics_ai_host_cpu:ratio
MEM=instance:metrics_ai_host_mem:ratio
NET=instance:metrics_ai_net_rx_bw:bytes_per_second
python3 "$IT_DIR/trace_import.py" "$IT_TMP/import.txt" "$IT_TMP/expect.txt" "$END" "$STEP" "$ROWS" \
    "$CPU|host01:9100|$SERIES/nab_ec2_cpu_utilization_5f5533.csv|0.01" \
    "$CPU|host02:9100|$SERIES/nab_ec2_cpu_utilization_24ae8d.csv|0.01" \
    "$CPU|host03:9100|$SERIES/alibaba2018_cluster_cpu_util_percent.csv|0.01" \
    "$MEM|host03:9100|$SERIES/alibaba2018_cluster_mem_util_percent.csv|0.01" \
    "$NET|host01:9100|$SERIES/nab_ec2_network_in_257a54.csv|0.0033333333333333335"
curl -fsS --max-time 30 --data-binary "@$IT_TMP/import.txt" "$VM/api/v1/import/prometheus"
curl -fsS --max-time 10 -o /dev/null "$VM/internal/force_flush"
loaded=$(curl -fsS --max-time 10 "$VM/api/v1/series" --data-urlencode 'match[]={__name__=~"instance:.*"}' \
    --data-urlencode "start=$((END - ROWS * STEP))" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
check_eq "victoria-metrics holds the 5 imported series" "$loaded" 5

# ---- metrics-ai backfills at start ---------------------------------------------------------
MAI_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
start_proc mai env VM_URL="$VM" STEP=${STEP}s START_HOURS_AGO=$HOURS \
    "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1 --fine-hours $((HOURS + 1)) \
    --backfill-selectors 'rate((;node_load1'
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 60 || { show_log mai; exit 1; }
show_log mai 30 | grep -i backfill
range=$(sed -n 's/.*backfill from .*: range \([0-9]*\)\.\.\([0-9]*\) .*/\1 \2/p' "$IT_TMP/mai.log")
read -r R0 R1 <<<"$range"
check "the log names the range pulled (${R0:-?}..${R1:-?})" '[ -n "${R0:-}" ] && [ -n "${R1:-}" ]'
check "the range is START_HOURS_AGO long and ends at most one step before now" \
    '[ $((R1 - R0)) -eq $((HOURS * 3600)) ] && [ "$R1" -le "$(date +%s)" ] && [ "$R1" -gt "$((NOW - 2 * STEP))" ]'
check "one line per signal with data, counting series and points" \
    'grep -q "backfill HOST_CPU as $CPU: 3 series, $((3 * (HOURS * 3600 / STEP + 1))) points in [0-9]* quer[a-z]*, .* points/s" "$IT_TMP/mai.log"'
check "a signal without data is a warning, not an error" \
    'grep -q "warn .*backfill DISK_USAGE: no data in the last $HOURS h" "$IT_TMP/mai.log"'
check "a bad selector gets one clear line naming the server error, and is skipped" \
    'grep -q "error .*backfill rate((.*HTTP 4[0-9][0-9]: .*; selector skipped" "$IT_TMP/mai.log"'

# store_verdict URL R0 R1: "ok N series, M points" when the store at URL holds every loaded series with
# the points of [R0, R1] and the trace's values, otherwise what differs
cat >"$IT_TMP/verdict.py" <<'PY'
import json, sys
expect, r0, r1, step, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
want = {}
for line in open(expect):
    name, inst, t, v = line.split()
    if r0 <= int(t) <= r1:
        want.setdefault((name, inst), []).append((int(t), float(v)))
bad = []
for (name, inst), pts in sorted(want.items()):
    got = [s for s in json.load(open("%s/store-%s.json" % (tmp, name)))["data"]["series"]
           if s["labels"].get("instance") == inst]
    if len(got) != 1:
        bad.append("%s{%s}: %d series in the store" % (name, inst, len(got))); continue
    s = got[0]
    fine = s["fine"]
    vals = fine["values"]
    times = [fine["start_ms"] // 1000 + i * step for i in range(len(vals))]
    if s["samples"] != len(pts):
        bad.append("%s{%s}: %d samples, want %d" % (name, inst, s["samples"], len(pts)))
    if times != [t for t, _ in pts]:
        bad.append("%s{%s}: ring covers %d..%d (%d), want %d..%d (%d)" % (name, inst, times[0], times[-1], len(times), pts[0][0], pts[-1][0], len(pts)))
        continue
    for (t, v), g in zip(pts, vals):
        if g is None or abs(g - v) > 1e-6 * max(1.0, abs(v)):
            bad.append("%s{%s} at %d: %r, want %r" % (name, inst, t, g, v)); break
print("ok %d series, %d points" % (len(want), sum(len(p) for p in want.values())) if not bad else "; ".join(bad))
PY
store_verdict() {
    local m
    for m in $CPU $MEM $NET; do
        curl -fsS --max-time 5 "$1/api/v1/store?metric=$m&points=100000" >"$IT_TMP/store-$m.json"
    done
    python3 "$IT_TMP/verdict.py" "$IT_TMP/expect.txt" "$2" "$3" "$STEP" "$IT_TMP"
}
verdict=$(store_verdict "$MAI" "$R0" "$R1")
check "every loaded series is in the store with the expected points and values ($verdict)" \
    '[ "${verdict%% *}" = ok ]'

# a forecast for each after a cycle
fc() { metric_lines "$MAI/metrics" metrics_ai_forecast | grep -c "metric=\"$1\".*instance=\"$2\"\|instance=\"$2\".*metric=\"$1\""; }
wait_until 30 '[ "$(fc $CPU host01:9100)" -gt 0 ] && [ "$(fc $MEM host03:9100)" -gt 0 ]'
for s in "$CPU host01:9100" "$CPU host02:9100" "$CPU host03:9100" "$MEM host03:9100" "$NET host01:9100"; do
    read -r m i <<<"$s"
    check "/metrics has metrics_ai_forecast for $m{instance=\"$i\"}" '[ "$(fc "$m" "$i")" -gt 0 ]'
done
stop_proc "$MAI_PID"

# ---- a server with a lower points-per-series limit: refused ranges are asked again, halved ----
VM1=$VM VM1_PID=$VM_PID
start_vm vm-limited -search.maxPointsPerTimeseries=200 || exit 1
VM2=$VM VM2_PID=$VM_PID VM=$VM1 VM_PID=$VM1_PID
curl -fsS --max-time 30 --data-binary "@$IT_TMP/import.txt" "$VM2/api/v1/import/prometheus"
curl -fsS --max-time 10 -o /dev/null "$VM2/internal/force_flush"
L_PORT=$(free_port) || exit 1
start_proc mai-limited env VM_URL="$VM2" STEP=${STEP}s START_HOURS_AGO=$HOURS \
    "$IT_MAI" --listen "127.0.0.1:$L_PORT" --fine-hours $((HOURS + 1)) --max-models 0
L_PID=$BG_PID
wait_http "http://127.0.0.1:$L_PORT/-/ready" "$L_PID" 60 || { show_log mai-limited; exit 1; }
grep "backfill HOST_CPU" "$IT_TMP/mai-limited.log" | sed 's/^/  | /'
check "HOST_CPU refused over its 577 steps (limit 200) is pulled in ranges of 144 steps" \
    'grep -q "backfill HOST_CPU as $CPU: 3 series, $((3 * (HOURS * 3600 / STEP + 1))) points in 5 queries, .*(refused over longer ranges: 144 steps per query)" "$IT_TMP/mai-limited.log"'
read -r L0 L1 <<<"$(sed -n 's/.*backfill from .*: range \([0-9]*\)\.\.\([0-9]*\) .*/\1 \2/p' "$IT_TMP/mai-limited.log")"
verdict=$(store_verdict "http://127.0.0.1:$L_PORT" "${L0:-0}" "${L1:-0}")
check "... and the store holds the same points and values ($verdict)" '[ "${verdict%% *}" = ok ]'
stop_proc "$L_PID"
stop_proc "$VM2_PID"

# ---- throughput: 200 series of 48 h at STEP 60 s -------------------------------------------
TP_STEP=60
TP_ROWS=$(( HOURS * 3600 / TP_STEP ))
python3 - "$IT_TMP/bulk.txt" "$(( (NOW / TP_STEP + 1) * TP_STEP ))" "$TP_STEP" "$((TP_ROWS + 10))" \
    "$SERIES/nab_ec2_cpu_utilization_5f5533.csv" "$SERIES/alibaba2018_cluster_cpu_util_percent.csv" <<'PY'
import csv, sys
out, end, step, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
traces = [[float(r["value"]) / 100 for r in csv.DictReader(open(p))] for p in sys.argv[5:]]
with open(out, "w") as o:
    for k in range(200):
        tr = traces[k % len(traces)]
        for j in range(rows):
            v = tr[(j + 37 * k) % len(tr)]
            o.write('instance:metrics_ai_host_mem:ratio{instance="bulk%03d:9100"} %r %d\n' % (k, v, (end - (rows - 1 - j) * step) * 1000))
PY
curl -fsS --max-time 60 --data-binary "@$IT_TMP/bulk.txt" "$VM/api/v1/import/prometheus"
curl -fsS --max-time 10 -o /dev/null "$VM/internal/force_flush"
TP_PORT=$(free_port) || exit 1
start_proc mai-bulk env VM_URL="$VM/api/v1/query_range" STEP=${TP_STEP}s START_HOURS_AGO=$HOURS \
    "$IT_MAI" --listen "127.0.0.1:$TP_PORT" --interval 60 --max-models 0
TP_PID=$BG_PID
wait_http "http://127.0.0.1:$TP_PORT/-/ready" "$TP_PID" 60 || { show_log mai-bulk; exit 1; }
line=$(grep "backfill HOST_MEM as" "$IT_TMP/mai-bulk.log")
tp_series=$(sed -n 's/.*: \([0-9]*\) series, \([0-9]*\) points in .*/\1/p' <<<"$line")
tp_points=$(sed -n 's/.*: \([0-9]*\) series, \([0-9]*\) points in .*/\1 \2/p' <<<"$line" | awk '{ print $2 }')
tp_rate=$(sed -n 's/.* \([0-9]*\) points\/s.*/\1/p' <<<"$line")
check "the seed's VM_URL form (.../api/v1/query_range) works too: 201 HOST_MEM series" '[ "${tp_series:-0}" = 201 ]'
check "the backfill stored 200 x $TP_ROWS points or more ($tp_points)" 'num_ge "${tp_points:-0}" $((200 * TP_ROWS))'
echo "  BACKFILL THROUGHPUT: ${tp_rate:-?} points/s from victoria-metrics ($line)" | sed 's/  *\[.*\] */ /'
stop_proc "$TP_PID"

# ---- Prometheus 2.42 as the source: the catalogue expression over live node_exporter data ----
# 4 h at STEP 1 s is 14 401 steps: Prometheus refuses one query over 11 000, so the range must
# be split (1 440, then 11 000, then the rest: 3 queries).
NODE_PORT=$(free_port) || exit 1
PROM_PORT=$(free_port) || exit 1
PROM=http://127.0.0.1:$PROM_PORT
cat >"$IT_TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
EOF
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
NODE_PID=$BG_PID
wait_http "http://127.0.0.1:$NODE_PORT/metrics" "$NODE_PID" 10 || { show_log node-exporter; exit 1; }
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT"
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 20 || { show_log prometheus; exit 1; }
CPU_EXPR=$("$IT_MAI" rules | sed -n "/record: $CPU/{n;s/^ *expr: '\(.*\)'\$/\1/p}")
check "the catalogue's HOST_CPU expression is known ($CPU_EXPR)" '[ -n "$CPU_EXPR" ]'
wait_until 30 '[ -n "$(prom_value "$PROM" "$CPU_EXPR")" ]'
sleep 3
P_PORT=$(free_port) || exit 1
start_proc mai-prom env VM_URL="$PROM" STEP=1s START_HOURS_AGO=4 \
    "$IT_MAI" --listen "127.0.0.1:$P_PORT" --fine-hours 1 --max-models 0
P_PID=$BG_PID
wait_http "http://127.0.0.1:$P_PORT/-/ready" "$P_PID" 60 || { show_log mai-prom; exit 1; }
grep -i "backfill HOST_CPU" "$IT_TMP/mai-prom.log" | sed 's/^/  | /'
check "Prometheus answered every split query of HOST_CPU's expression (3 queries, no error)" \
    'grep -q "backfill HOST_CPU as $CPU: 1 series, [1-9][0-9]* points in 3 queries" "$IT_TMP/mai-prom.log" &&
     ! grep -q "error " "$IT_TMP/mai-prom.log"'
curl -fsS --max-time 5 "http://127.0.0.1:$P_PORT/api/v1/store?metric=$CPU&points=1" >"$IT_TMP/prom-store.json"
read -r last_ms last_v <<<"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["data"]["series"][0]; print(s["last_timestamp_ms"], s["fine"]["values"][-1])' "$IT_TMP/prom-store.json" 2>/dev/null)"
want_v=$(curl -fsS --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$CPU_EXPR" \
    --data-urlencode "time=$((${last_ms:-0} / 1000))" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])' 2>/dev/null)
check "the stored newest point (${last_v:-?}) is Prometheus' value of the expression then (${want_v:-?})" \
    '[ -n "$want_v" ] && awk -v a="$last_v" -v b="$want_v" "BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6) }"'
stop_proc "$P_PID"
stop_proc "$PROM_PID"
stop_proc "$NODE_PID"

# ---- a server that refuses connections, and one that answers 500 ----------------------------
DEAD_PORT=$(free_port) || exit 1
R_PORT=$(free_port) || exit 1
t0=$(date +%s)
start_proc mai-refused env VM_URL="http://127.0.0.1:$DEAD_PORT" "$IT_MAI" --listen "127.0.0.1:$R_PORT" -q
R_PID=$BG_PID
check "with VM_URL refusing connections the service still starts" \
    'wait_http "http://127.0.0.1:$R_PORT/-/ready" "$R_PID" 30'
check "... within the bounded retries ($(( $(date +%s) - t0 )) s)" '[ $(( $(date +%s) - t0 )) -le 15 ]'
check "... after one clear line naming the failure" \
    '[ "$(grep -c "error .*backfill HOST_CPU from http://127.0.0.1:$DEAD_PORT/api/v1/query_range: Failed to connect to 127.0.0.1 port $DEAD_PORT .*(after 4 attempts); backfill stopped" "$IT_TMP/mai-refused.log")" = 1 ]'
stop_proc "$R_PID"

# a minimal HTTP server answering every GET with 500 and a Prometheus-style error body
cat >"$IT_TMP/err500.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"error","errorType":"internal","error":"storage unavailable"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(sys.argv[2], "a") as f:
            f.write(self.path + "\n")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
E_PORT=$(free_port) || exit 1
start_proc err500 python3 "$IT_TMP/err500.py" "$E_PORT" "$IT_TMP/err500.requests"
E_PID=$BG_PID
wait_until 10 '(exec 3<>"/dev/tcp/127.0.0.1/$E_PORT") 2>/dev/null'
S_PORT=$(free_port) || exit 1
start_proc mai-500 env VM_URL="http://127.0.0.1:$E_PORT" "$IT_MAI" --listen "127.0.0.1:$S_PORT" -q
S_PID=$BG_PID
check "with VM_URL answering 500 the service still starts" \
    'wait_http "http://127.0.0.1:$S_PORT/-/ready" "$S_PID" 30'
check "... after exactly 4 attempts at the first query, then no more queries" \
    '[ "$(wc -l <"$IT_TMP/err500.requests")" = 4 ]'
check "... and one clear line with the server's error text" \
    'grep -q "error .*backfill HOST_CPU from .*: HTTP 500: internal: storage unavailable (after retries); backfill stopped" "$IT_TMP/mai-500.log"'
stop_proc "$S_PID"
# SIGTERM during the retries' backoff ends the process at once (pull.c stops between attempts
# when the signal stays pending; OpenBLAS' own thread, which does not block it, may take it first)
T_PORT=$(free_port) || exit 1
start_proc mai-term env VM_URL="http://127.0.0.1:$E_PORT" "$IT_MAI" --listen "127.0.0.1:$T_PORT" -q
T_PID=$BG_PID
wait_until 10 '[ "$(wc -l <"$IT_TMP/err500.requests")" -ge 5 ]'
t0=$(date +%s.%N)
stop_proc "$T_PID"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
check "SIGTERM during the backfill's retries ends the process within 2 s (${took} s)" \
    'num_ge 2 "$took" && ! alive "$T_PID"'
stop_proc "$E_PID"

finish test_backfill
