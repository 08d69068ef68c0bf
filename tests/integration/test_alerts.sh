#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_alerts.sh -- alert delivery end to end: ./metrics-ai (--interval 1) gets
# an alerting scenario by remote write (tests/integration/alert_scenario.py: a disk past 90%, an
# I/O device saturating, a network and a golden signal spiking, a node under host pressure that
# the classifier flags) and POSTs the seed's webhook payload to a local receiver (python3
# http.server) and PUTs the nine gauges to the real Debian prometheus-pushgateway. Checks every
# field of the seed's payload with its JSON type, the log lines (host only, never the secret
# path), and the gauges read back from the Pushgateway's /metrics; then a second run fed only
# healthy data pushes zeros and sends no webhook.
# shellcheck disable=SC2016,SC2034  # check/wait_until evaluate expressions later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

PG_BIN=${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}
if [ ! -x "$PG_BIN" ]; then
    check "prometheus-pushgateway is installed ($PG_BIN; .ci/install-deps.sh)" false
    finish test_alerts
    exit 1
fi
RECV_PORT=$(free_port) || exit 1
PG_PORT=$(free_port) || exit 1
MAI_PORT=$(free_port) || exit 1
HOOKS=$IT_TMP/hooks.jsonl
SECRET_PATH=/services/T000/B000/SECRETTOKEN
: >"$HOOKS"

# The webhook receiver: one JSON line per POST (path, Content-Type, body), answers 200.
cat >"$IT_TMP/receiver.py" <<'PYEOF'
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(out, 'a') as f:
            f.write(json.dumps({'path': self.path, 'content_type': self.headers.get('Content-Type'),
                                'body': body.decode('utf-8')}) + '\n')
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', port), Hook).serve_forever()
PYEOF
start_proc receiver python3 "$IT_TMP/receiver.py" "$RECV_PORT" "$HOOKS"
RECV_PID=$BG_PID
start_proc pushgateway "$PG_BIN" --web.listen-address="127.0.0.1:$PG_PORT" \
    --persistence.file="$IT_TMP/pushgateway.db"
PG_PID=$BG_PID
wait_http "http://127.0.0.1:$PG_PORT/-/ready" "$PG_PID" 15 || { show_log pushgateway; exit 1; }
for ((i = 0; i < 50; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$RECV_PORT") 2>/dev/null && break
    alive "$RECV_PID" || break
    sleep 0.1
done

export INSTANCE_ALIAS_MAP='{"192.168.10.82": "host02", "192.168.10.83": "host03",
  "192.168.10.84": "host04", "192.168.10.85": "host05", "192.168.10.200": "pi"}'
start_mai() {   # start_mai NAME PORT
    start_proc "$1" env STEP=300s "$IT_MAI" --listen "127.0.0.1:$2" --interval 1 \
        --alert-webhook "http://127.0.0.1:$RECV_PORT$SECRET_PATH" \
        --pushgateway "http://127.0.0.1:$PG_PORT"
    MAI_PID=$BG_PID
    wait_http "http://127.0.0.1:$2/metrics" "$MAI_PID" 15 || { show_log "$1"; exit 1; }
}
pushes() { grep -c "Metrics pushed to 127.0.0.1:$PG_PORT: HTTP 200" "$IT_TMP/$1.log" 2>/dev/null; }
hooks() { wc -l <"$HOOKS" | tr -d ' '; }
# the Pushgateway's value of a gauge for job metrics_ai and this host
pg_value() {
    metric_value "http://127.0.0.1:$PG_PORT/metrics" "$1" "instance=\"$(hostname)\",job=\"metrics_ai\""
}

# ---- run 1: alerting data ----
start_mai mai-alerting "$MAI_PORT"
python3 "$IT_DIR/alert_scenario.py" "http://127.0.0.1:$MAI_PORT/api/v1/write" alerting \
    >"$IT_TMP/scenario.out" 2>&1
rc=$?
check "the alerting scenario was accepted ($(tail -1 "$IT_TMP/scenario.out"))" '[ "$rc" -eq 0 ]'
# a payload where every category fired
full() {
    tail -n 1 "$HOOKS" | python3 -c '
import json, sys
b = json.loads(json.loads(sys.stdin.read())["body"])
sys.exit(0 if all(b[k]["total"] > 0 for k in ("disk", "io_network_crisis", "io_network_anomaly",
         "golden_anomaly", "classification_anomaly", "host_pressure")) else 1)' 2>/dev/null
}
wait_until 60 full
check "a webhook payload with all six categories arrived ($(hooks) payloads, $(elapsed)s)" full

verdict=$(tail -n 1 "$HOOKS" | python3 -c '
import datetime, json, re, sys
req = json.loads(sys.stdin.read())
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
want(req["path"] == sys.argv[1], "POSTed to the configured path")
want(req["content_type"] == "application/json", "Content-Type application/json")
b = json.loads(req["body"])
want(list(b) == ["timestamp", "summary_text", "text", "disk", "io_network_crisis",
                 "io_network_anomaly", "golden_anomaly", "classification_anomaly", "host_pressure"],
     "top-level keys in order: %s" % list(b))
ts = b["timestamp"]
want(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", ts), "timestamp ISO with microseconds")
age = (datetime.datetime.utcnow() - datetime.datetime.fromisoformat(ts)).total_seconds()
want(-5 < age < 60, "timestamp is now in UTC (age %.1f s)" % age)
c = {k: b[k]["total"] for k in ("io_network_crisis", "io_network_anomaly", "golden_anomaly",
                                "classification_anomaly", "host_pressure")}
d = b["disk"]
summary = ("Disk \u2192 %d critical, %d warning, %d soon | I/O+Network Crisis \u2192 %d | "
           "I/O+Network Anomaly \u2192 %d | Golden Signals \u2192 %d | Classification Anomalies "
           "\u2192 %d | Host Pressure \u2192 %d") % (
    d["critical"], d["warning"], d["soon"], c["io_network_crisis"], c["io_network_anomaly"],
    c["golden_anomaly"], c["classification_anomaly"], c["host_pressure"])
want(b["summary_text"] == summary, "summary_text exact: %r" % b["summary_text"])
want("\u2192".encode() in req["body"].encode() and "\\u2192" not in req["body"],
     "arrows sent as raw UTF-8")
want(b["text"] == b["summary_text"], "text equals summary_text")

def typed(obj, spec, where):
    want(list(obj) == list(spec), "%s keys %s" % (where, list(obj)))
    for k, t in spec.items():
        want(type(obj.get(k)) is t, "%s.%s is %s (got %r)" % (where, k, t.__name__, obj.get(k)))

typed(d, {"critical": int, "warning": int, "soon": int, "total": int, "samples": list}, "disk")
want((d["critical"], d["warning"], d["soon"], d["total"]) == (1, 0, 0, 1), "disk counts 1/0/0/1")
want(len(d["samples"]) == 1, "one disk sample (the OK disk is left out)")
s = d["samples"][0]
typed(s, {"instance": str, "mountpoint": str, "current_%": float, "days_to_90pct": float,
          "ensemble_eta": float, "linear_eta": float, "prophet_eta": float, "alert": str}, "disk sample")
want(s["instance"] == "host02 (192.168.10.82)" and s["mountpoint"] == "/", "disk sample names host02 /")
want(90 < s["current_%"] <= 100 and round(s["current_%"], 2) == s["current_%"], "current_% over 90, 2 decimals")
want(s["days_to_90pct"] == s["ensemble_eta"] == s["linear_eta"] == s["prophet_eta"] == 0.0,
     "past 90%: every ETA 0.0")
want(s["alert"] == "CRITICAL", "alert CRITICAL")

for cat in ("io_network_crisis", "io_network_anomaly", "golden_anomaly", "classification_anomaly",
            "host_pressure"):
    typed(b[cat], {"total": int, "samples": list}, cat)
    want(len(b[cat]["samples"]) == b[cat]["total"] == 1, "%s: one alert, one sample" % cat)

s = b["io_network_crisis"]["samples"][0]
typed(s, {"instance": str, "signal": str, "device": str, "current": float, "threshold": float,
          "days_to_threshold": float, "ensemble_eta": float, "linear_eta": float,
          "prophet_eta": float, "severity": str}, "crisis sample")
want((s["instance"], s["signal"], s["device"]) == ("host02 (192.168.10.82)", "DISK_IO_UTIL", "sda"),
     "crisis on host02 sda DISK_IO_UTIL")
want(s["current"] > 0.9 and s["threshold"] == 0.9 and s["days_to_threshold"] == 0.0
     and s["severity"] == "CRITICAL", "crisis: past 0.9 now, 0.0 days, CRITICAL")

at = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
for cat, inst, sig, lo, hi in (("io_network_anomaly", "host04 (192.168.10.84)", "NET_RX_BW", 1e7, 3e7),
                               ("golden_anomaly", "host05 (192.168.10.85)", "CPU_IOWAIT", 0.5, 0.7)):
    s = b[cat]["samples"][0]
    typed(s, {"instance": str, "signal": str, "current": float, "anomaly_score": float,
              "severity": str, "detected_at": str}, cat + " sample")
    want(s["instance"] == inst and s["signal"] == sig, "%s on %s %s" % (cat, inst, sig))
    want(lo < s["current"] < hi, "%s current is the spike (%r)" % (cat, s["current"]))
    want(0.9 <= s["anomaly_score"] <= 1, "%s score at or over the threshold" % cat)
    want(s["severity"] == ("CRITICAL" if s["anomaly_score"] >= 0.99 else "WARNING"),
         "%s severity from the score" % cat)
    want(at.fullmatch(s["detected_at"]) and s["detected_at"] == ts[:19].replace("T", " "),
         "%s detected_at is the payload time" % cat)

s = b["classification_anomaly"]["samples"][0]
typed(s, {"instance": str, "host_cpu": float, "host_mem": float, "pod_cpu": float,
          "pod_mem": float, "severity": str, "signal": str, "detected_at": str, "kind": str,
          "contributions": dict}, "classification sample")
want(s["instance"] == "pi (192.168.10.200)", "the classifier flags pi")
want(0.1 < s["host_cpu"] < 0.3 and 0.8 < s["host_mem"] < 0.9 and s["pod_cpu"] == 0.0
     and s["pod_mem"] == 0.0, "pi vector %r" % [s[k] for k in ("host_cpu", "host_mem", "pod_cpu", "pod_mem")])
want(s["severity"] in ("WARNING", "CRITICAL") and s["signal"] == "anomalous_node"
     and at.fullmatch(s["detected_at"]) and s["kind"], "classification severity/signal/detected_at/kind")
typed(s["contributions"], {"host_cpu": float, "host_mem": float, "pod_cpu": float, "pod_mem": float},
      "contributions")
want(abs(sum(s["contributions"].values()) - 1) < 0.01, "contributions sum to 1")

s = b["host_pressure"]["samples"][0]
typed(s, {"instance": str, "host_cpu": float, "host_mem": float, "severity": str, "signal": str,
          "detected_at": str}, "host pressure sample")
want(s["instance"] == "pi (192.168.10.200)" and s["host_mem"] > 0.8 and s["severity"] == "WARNING"
     and s["signal"] == "host_pressure" and at.fullmatch(s["detected_at"]), "host pressure on pi")
print("; ".join(bad) if bad else "PASS")
' "$SECRET_PATH")
check "every field and type of the seed's payload ($verdict)" '[ "$verdict" = PASS ]'

check "log: \"Alert webhook sent\" with the receiver's host and status 200" \
    'grep -q "Alert webhook sent to 127.0.0.1:$RECV_PORT: HTTP 200" "$IT_TMP/mai-alerting.log"'
check "log: the webhook's secret path is never logged" \
    '! grep -q SECRETTOKEN "$IT_TMP/mai-alerting.log"'
wait_until 10 '[ "$(pg_value metrics_ai_host_pressure_total)" = 1 ]'
check "log: \"Metrics pushed\" with the Pushgateway's host and status 200 ($(pushes mai-alerting) pushes)" \
    '[ "$(pushes mai-alerting)" -ge 1 ]'
# the nine gauges as the Pushgateway exposes them, against the newest payload's counts
want=$(tail -n 1 "$HOOKS" | python3 -c '
import json, sys
b = json.loads(json.loads(sys.stdin.read())["body"])
d = b["disk"]
print(d["critical"], d["warning"], d["soon"], d["total"], *(b[k]["total"] for k in (
    "io_network_crisis", "io_network_anomaly", "golden_anomaly", "classification_anomaly",
    "host_pressure")))')
GAUGES="metrics_ai_disk_alerts_critical metrics_ai_disk_alerts_warning metrics_ai_disk_alerts_soon
 metrics_ai_disk_alerts_total metrics_ai_io_network_crisis_total metrics_ai_io_network_anomaly_total
 metrics_ai_golden_anomaly_total metrics_ai_classification_anomaly_total metrics_ai_host_pressure_total"
got=$(for g in $GAUGES; do pg_value "$g"; done | tr '\n' ' ' | sed 's/ $//')
check_eq "the Pushgateway holds the nine gauges (job metrics_ai, instance $(hostname))" "$got" "$want"
check_eq "the gauges are the scenario's counts" "$got" "1 0 0 1 1 1 1 1 1"
check "the Pushgateway types them as gauges" \
    '[ "$(curl -fsS "http://127.0.0.1:$PG_PORT/metrics" | grep -c "^# TYPE metrics_ai_.* gauge$")" = 9 ]'
stop_proc "$MAI_PID"

# ---- run 2: healthy data only ----
MAI2_PORT=$(free_port) || exit 1
n_hooks=$(hooks)
start_mai mai-healthy "$MAI2_PORT"
python3 "$IT_DIR/alert_scenario.py" "http://127.0.0.1:$MAI2_PORT/api/v1/write" healthy \
    >"$IT_TMP/scenario2.out" 2>&1
rc=$?
check "the healthy scenario was accepted ($(tail -1 "$IT_TMP/scenario2.out"))" '[ "$rc" -eq 0 ]'
# cycles that saw the data: the disk forecasts are out, then three more pushes
wait_until 20 '[ -n "$(metric_lines "http://127.0.0.1:$MAI2_PORT/metrics" metrics_ai_forecast | grep disk_usage)" ]'
p0=$(pushes mai-healthy)
wait_until 20 '[ "$(pushes mai-healthy)" -ge $((p0 + 3)) ]'
check "healthy cycles were pushed ($(pushes mai-healthy) pushes)" '[ "$(pushes mai-healthy)" -ge $((p0 + 3)) ]'
got=$(for g in $GAUGES; do pg_value "$g"; done | tr '\n' ' ' | sed 's/ $//')
check_eq "healthy: the Pushgateway's gauges are all 0 (the group replaced)" "$got" "0 0 0 0 0 0 0 0 0"
check_eq "healthy: no webhook was sent" "$(hooks)" "$n_hooks"
check "healthy: no \"Alert webhook sent\" in the log" \
    '! grep -q "Alert webhook" "$IT_TMP/mai-healthy.log"'
stop_proc "$MAI_PID"
finish test_alerts
