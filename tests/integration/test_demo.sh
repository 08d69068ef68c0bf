#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_demo.sh -- the embedded demo (demo/run.sh, what `make run` starts), on
# free loopback ports. 1: --check mode: metrics_ai_forecast for the replayed NAB series appears on
# /metrics, and on exit every process the demo started is gone and its temp dir removed. 2: the
# interactive mode in its own process group, stopped as Ctrl-C stops it (SIGINT to the group):
# the replayed series' forecasts and the local node's remote-written series arrive first, and
# afterwards no process of the group is left. Waits are bounded (60 s each).
# shellcheck disable=SC2016,SC2034  # check takes expressions (using rc) evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for bin in prometheus prometheus-node-exporter curl; do
    command -v "$bin" >/dev/null || { echo "  FAIL $bin not installed (make deps)"; exit 1; }
done
[ -x "$IT_ROOT/build/replay" ] || { echo "  FAIL build/replay not built (make build/replay)"; exit 1; }

DEMO_PORT=$(free_port) && DEMO_NODE_PORT=$(free_port) && DEMO_PROM_PORT=$(free_port) || exit 1
export DEMO_PORT DEMO_NODE_PORT DEMO_PROM_PORT
export TMPDIR=$IT_TMP    # the demo's temp dir goes under the test's
MAI=http://127.0.0.1:$DEMO_PORT

# pids_of LOG: the pids the demo reported starting.
pids_of() { sed -n 's/^demo: started .* (pid \([0-9]*\))$/\1/p' "$1"; }
none_alive() {
    local p
    for p in $(pids_of "$1"); do alive "$p" && { echo "  pid $p still running" >&2; return 1; }; done
    return 0
}

# 1: --check
timeout -k 5 90 "$IT_ROOT/demo/run.sh" --check 60 >"$IT_TMP/check.log" 2>&1
rc=$?
sed 's/^/  | /' "$IT_TMP/check.log" | head -n 20
check "demo --check exits 0 (a forecast for the replayed series appeared)" '[ "$rc" = 0 ]'
check "demo --check reported the replayed CPU series' forecast" \
    'grep -q "^  metrics_ai_forecast{instance=\"demo-node:9100\",metric=\"instance:metrics_ai_host_cpu:ratio\"" "$IT_TMP/check.log"'
check "demo --check started 4 processes (metrics-ai, node_exporter, prometheus, replay)" \
    '[ "$(pids_of "$IT_TMP/check.log" | wc -l)" = 4 ]'
check "after --check no started process is left" 'none_alive "$IT_TMP/check.log"'
check "after --check the demo's temp dir is removed" \
    '[ -z "$(find "$IT_TMP" -maxdepth 1 -name "metrics-ai-demo.*")" ]'
check "after --check the loopback ports are free again" \
    '! (exec 3<>"/dev/tcp/127.0.0.1/$DEMO_PORT") 2>/dev/null'

# 2: interactive, stopped by SIGINT to its process group (what Ctrl-C in a terminal sends).
set -m
"$IT_ROOT/demo/run.sh" >"$IT_TMP/run.log" 2>&1 </dev/null &
DEMO_PID=$!
set +m
IT_PIDS+=("$DEMO_PID")
wait_until 60 'grep -q "Press Ctrl-C" "$IT_TMP/run.log" || ! alive "$DEMO_PID"'
check "interactive demo prints where to look (/metrics, /, Prometheus)" \
    'grep -q "$MAI/metrics" "$IT_TMP/run.log" && grep -q "$MAI/ " "$IT_TMP/run.log" &&
     grep -q "127.0.0.1:$DEMO_PROM_PORT/graph" "$IT_TMP/run.log"'
forecast_n() { metric_lines "$MAI/metrics" metrics_ai_forecast | grep -c 'instance="demo-node:9100"'; }
check "metrics_ai_forecast for both replayed series, 4 horizons each (got $(forecast_n))" \
    '[ "$(forecast_n)" = 8 ]'
node_arrived() {
    page_has "$MAI/api/v1/store?metric=node_load1&points=1" '"job":"node"'
}
wait_until 40 node_arrived
check "the local node_exporter's series arrive through Prometheus' remote_write" 'node_arrived'
check "the replayed CPU series' forecasts are ratios in [0, 1]" \
    'metric_lines "$MAI/metrics" metrics_ai_forecast | grep "demo-node:9100.*host_cpu" |
     awk "{ n++; if (\$2 < 0 || \$2 > 1) bad++ } END { exit !(n == 4 && !bad) }"'
# The replayed CPU series as stored: at least the 18,716 history points (14 days at 60 s minus the
# 24 h held back), its newest sample within two minutes of now, and its newest fine values equal
# to the trace's rows / 100, linearly interpolated to 60 s, at the position where the history ends.
# (The rings hold float32: compared to 1e-6.)
replay_matches() {
    curl -fsS --max-time 5 "$MAI/api/v1/store?metric=instance:metrics_ai_host_cpu:ratio&points=3" \
        >"$IT_TMP/cpu-store.json" &&
    python3 - "$IT_TMP/cpu-store.json" "$IT_ROOT/demo/data/nab_ec2_cpu_utilization_5f5533.csv" <<'PY'
import csv, json, sys, time
s = json.load(open(sys.argv[1]))["data"]["series"]
assert len(s) == 1, f"{len(s)} series"
s = s[0]
rows = [(int(r[0]), float(r[1])) for r in list(csv.reader(open(sys.argv[2])))[1:]]
grid = []
for (t0, y0), (t1, y1) in zip(rows, rows[1:]):
    for k in range(0, t1 - t0, 60):
        grid.append((y0 + (y1 - y0) * k / (t1 - t0)) / 100)
grid.append(rows[-1][1] / 100)
hist = len(grid) - 24 * 60
assert s["samples"] >= hist, f'{s["samples"]} samples stored, want >= {hist}'
age = time.time() - s["last_timestamp_ms"] / 1000
assert -60 <= age <= 120, f"newest sample {age:.0f} s old"
got = s["fine"]["values"]
live = s["samples"] - hist        # live points sent after the history
want = grid[hist + live - 3: hist + live]
assert all(abs(a - b) <= 1e-6 * max(1, abs(b)) for a, b in zip(got, want)) and len(got) == 3, f"stored {got}, trace {want}"
print(f"  stored {s['samples']} samples, newest {age:.0f} s old, last values {got}")
PY
}
check "the replayed CPU series is the trace: retimed to end now, scaled to a ratio, interpolated to 60 s" \
    'replay_matches'
store_count() {
    curl -fsS --max-time 5 "$MAI/api/v1/store?metric=$1&points=1" 2>/dev/null |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["series"]))'
}
check "Prometheus does not send metrics-ai's own series back (write_relabel_configs): no metrics_ai_build_info stored" \
    '[ "$(store_count metrics_ai_build_info)" = 0 ] && [ "$(store_count node_load1)" = 1 ]'
kill -INT -- "-$DEMO_PID"
for ((i = 0; i < 300; i++)); do alive "$DEMO_PID" || break; sleep 0.1; done
check "the demo exits within 30 s of SIGINT" '! alive "$DEMO_PID"'
wait "$DEMO_PID" 2>/dev/null
check "after SIGINT no started process is left" 'none_alive "$IT_TMP/run.log"'
check "after SIGINT no process of the demo's group is left" \
    '! pgrep -g "$DEMO_PID" >/dev/null'
check "after SIGINT the demo's temp dir is removed" \
    '[ -z "$(find "$IT_TMP" -maxdepth 1 -name "metrics-ai-demo.*")" ]'
tail -n 6 "$IT_TMP/run.log" | sed 's/^/  | /'
finish test_demo
