#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_remote_read.sh -- metrics-ai as a remote_read endpoint of a real
# Prometheus 2.42 on loopback. metrics-ai gets three hours of a ramp, rr_ramp{job="rread"}, by
# remote write (one sample a minute, a hand-made protobuf + snappy body); its model cycle runs
# every second. Prometheus has two remote_read entries with read_recent: true: one with
# required_matchers {__name__: metrics_ai_forecast_curve} for the forecast curves, one with
# {job: rread} for the stored series. Checks, through Prometheus' own HTTP API: query_range over
# a future range returns the forecast curve (points at most 5 min apart, near the ramp's
# continuation, lower <= mean <= upper), also past the fine part's hour; the stored series comes
# back with the exact values sent; a selector without the required matchers is not forwarded.
# Then, without Prometheus (2.42 never asks for them): a read listing STREAMED_XOR_CHUNKS first
# gets CRC-32C framed XOR chunks holding the stored samples.
# Waits are bounded: at most 60 s from start to the last check.
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for bin in prometheus promtool python3 curl; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed (make deps installs prometheus)"
        exit 1
    fi
done

MAI_PORT=$(free_port) && PROM_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT
NOW=$(date +%s)
M0=$(( NOW / 60 * 60 - 179 * 60 ))     # first sample: 179 minutes before the current minute

# ---- three hours of rr_ramp: value 10 + 0.5 * minute (exact in a float ring) ----
PYTHONPATH=$IT_DIR python3 - "$IT_TMP/ramp.snappy" "$M0" <<'PYEOF' || { echo "  FAIL could not build the body"; exit 1; }
import sys
from promwire import series, snappy
out, m0 = sys.argv[1], int(sys.argv[2])
labels = {'__name__': 'rr_ramp', 'instance': 'it', 'job': 'rread'}
samples = [((m0 + 60 * i) * 1000, 10 + 0.5 * i) for i in range(180)]
open(out, 'wb').write(snappy(series(labels, samples)))
PYEOF

cat >"$IT_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
  evaluation_interval: 15s
remote_read:
  - name: forecast-curves
    url: $MAI/api/v1/read
    read_recent: true
    required_matchers: {__name__: metrics_ai_forecast_curve}
  - name: stored
    url: $MAI/api/v1/read
    read_recent: true
    required_matchers: {job: rread}
EOF
check "promtool check config accepts the remote_read blocks" \
    'promtool check config "$IT_TMP/prometheus.yml" >"$IT_TMP/promtool.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/promtool.out"; false; }'

start_proc metrics-ai "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 10 || { show_log metrics-ai; exit 1; }
status=$(curl -sS --max-time 5 -o "$IT_TMP/write.out" -w '%{http_code}' \
    -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' \
    --data-binary @"$IT_TMP/ramp.snappy" "$MAI/api/v1/write")
check_eq "remote write of 180 rr_ramp samples -> 204" "$status" 204

# the cycle publishes a forecast for rr_ramp within a few cycles
forecast_published() { page_has "$MAI/metrics" '^metrics_ai_forecast{.*metric="rr_ramp"'; }
wait_until 20 forecast_published
check "metrics-ai published a forecast for rr_ramp" forecast_published

start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --storage.remote.flush-deadline=5s
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 15 || { show_log prometheus; exit 1; }
log "metrics-ai :$MAI_PORT, prometheus :$PROM_PORT ready after $(elapsed)s"

# query_range QUERY START END STEP > file
query_range() {
    curl -fsS --max-time 10 "$PROM/api/v1/query_range" --data-urlencode "query=$1" \
        --data-urlencode "start=$2" --data-urlencode "end=$3" --data-urlencode "step=$4"
}

# ---- the forecast curve over the next two hours, one point a minute ----
NOW=$(date +%s)
CURVE='metrics_ai_forecast_curve{metric="rr_ramp",bound=~"mean|lower|upper"}'
query_range "$CURVE" $(( NOW + 60 )) $(( NOW + 7200 )) 60 >"$IT_TMP/curve.json" 2>"$IT_TMP/curve.err"
check "query_range over now+1m..now+2h returns the mean, lower and upper curves, a point every minute, near the ramp" \
    'python3 - "$IT_TMP/curve.json" "$M0" "$NOW" <<'"'"'PY'"'"'
import json, sys
d = json.load(open(sys.argv[1]))
m0, now = int(sys.argv[2]), int(sys.argv[3])
assert d["status"] == "success", d
res = {r["metric"]["bound"]: r for r in d["data"]["result"]}
assert sorted(res) == ["lower", "mean", "upper"], sorted(res)
for b, r in res.items():
    m = r["metric"]
    assert m["__name__"] == "metrics_ai_forecast_curve" and m["job"] == "rread" and m["instance"] == "it", m
    assert len(r["values"]) == 120, (b, len(r["values"]))        # no gap at a 1-minute step
mean = {int(t): float(v) for t, v in res["mean"]["values"]}
lo = {int(t): float(v) for t, v in res["lower"]["values"]}
hi = {int(t): float(v) for t, v in res["upper"]["values"]}
assert all(lo[t] <= mean[t] <= hi[t] for t in mean), "interval does not hold the mean"
t = min(mean, key=lambda x: abs(x - (now + 1800)))
want = 10 + 0.5 * (t - m0) / 60                                   # the ramp continued
assert abs(mean[t] - want) < 0.1 * want, (t, mean[t], want)
print("  mean at now+30m %.2f (ramp continued: %.2f), 80%% interval [%.2f, %.2f]" % (mean[t], want, lo[t], hi[t]))
PY' || { head -c 600 "$IT_TMP/curve.json"; cat "$IT_TMP/curve.err"; false; }

# ---- past the fine part's hour: the coarse path, interpolated every 5 minutes ----
query_range 'metrics_ai_forecast_curve{metric="rr_ramp",bound="mean"}' $(( NOW + 3 * 3600 )) \
    $(( NOW + 6 * 3600 )) 60 >"$IT_TMP/far.json" 2>/dev/null
check "query_range over now+3h..now+6h returns the coarse curve without gaps at a 1-minute step" \
    'python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))[\"data\"][\"result\"]
assert len(r) == 1 and len(r[0][\"values\"]) == 181, [len(x[\"values\"]) for x in r]
" "$IT_TMP/far.json"'

# ---- the stored series, with the exact values sent ----
query_range 'rr_ramp{job="rread"}' "$M0" $(( M0 + 179 * 60 )) 60 >"$IT_TMP/stored.json" 2>/dev/null
check "query_range of rr_ramp{job=\"rread\"} returns the 180 samples sent, exactly" \
    'python3 - "$IT_TMP/stored.json" "$M0" <<'"'"'PY'"'"'
import json, sys
d = json.load(open(sys.argv[1]))
m0 = int(sys.argv[2])
r = d["data"]["result"]
assert len(r) == 1 and r[0]["metric"] == {"__name__": "rr_ramp", "instance": "it", "job": "rread"}, r
vals = r[0]["values"]
assert len(vals) == 180, len(vals)
bad = [(t, v) for t, v in vals if float(v) != 10 + 0.5 * (int(t) - m0) / 60]
assert not bad, bad[:5]
PY' || head -c 600 "$IT_TMP/stored.json"

# ---- required_matchers keep other selectors away from metrics-ai ----
check 'rr_ramp without job="rread" is not forwarded (empty answer)' \
    '[ "$(curl -fsS --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=rr_ramp" |
         python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"data\"][\"result\"]))")" = 0 ]'

# ---- the endpoint itself: wrong method and bad bodies ----
check_eq "GET /api/v1/read -> 405" \
    "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$MAI/api/v1/read")" 405
check_eq "POST /api/v1/read with a body that is not snappy -> 400 and its one-line reason" \
    "$(curl -sS --max-time 5 -w ' %{http_code}' --data-binary 'not snappy' "$MAI/api/v1/read")" \
    "corrupt snappy block: decompression failed
 400"

# ---- streamed XOR chunks (Prometheus >= 2.55 asks for them first; 2.42 never does) ----
PYTHONPATH=$IT_DIR python3 - "$IT_TMP/streamed.req" "$M0" <<'PYEOF' || { echo "  FAIL could not build the read request"; exit 1; }
import sys
from promwire import ld, snappy, vi
out, m0 = sys.argv[1], int(sys.argv[2])
matcher = ld(2, b'__name__') + ld(3, b'rr_ramp')              # type EQ (0) left out
query = vi(1, m0 * 1000) + vi(2, (m0 + 180 * 60) * 1000) + ld(3, matcher)
req = ld(1, query) + ld(2, bytes([1, 0]))                      # STREAMED_XOR_CHUNKS, then SAMPLES
open(out, 'wb').write(snappy(req))
PYEOF
curl -sS --max-time 5 -D "$IT_TMP/streamed.hdr" -o "$IT_TMP/streamed.out" \
    -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' \
    --data-binary @"$IT_TMP/streamed.req" "$MAI/api/v1/read" 2>/dev/null
check "a read that lists STREAMED_XOR_CHUNKS first gets CRC-32C frames holding rr_ramp's 180 samples in XOR chunks" \
    'grep -qi "^Content-Type: application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse" "$IT_TMP/streamed.hdr" &&
     PYTHONPATH=$IT_DIR python3 - "$IT_TMP/streamed.out" "$M0" <<'"'"'PY'"'"'
import sys
from promwire import read_uv as uv
data, m0 = open(sys.argv[1], "rb").read(), int(sys.argv[2])
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF
def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = uv(b, i)
        f, wt = k >> 3, k & 7
        if wt == 0:
            v, i = uv(b, i)
        elif wt == 2:
            n, i = uv(b, i); v = b[i:i + n]; i += n
        else:
            raise SystemExit("unexpected wire type %d" % wt)
        out.append((f, v))
    return out
i, samples, frames, tmin, tmax = 0, 0, 0, None, None
while i < len(data):
    n, i = uv(data, i)
    crc, msg = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 4 + n]
    i += 4 + n
    assert crc == crc32c(msg), "bad CRC-32C"
    frames += 1
    for f, series in fields(msg):
        if f != 1:
            continue
        labels = {}
        for g, v in fields(series):
            if g == 1:
                l = dict(fields(v)); labels[l[1].decode()] = l[2].decode()
            elif g == 2:
                c = dict(fields(v))
                assert c[3] == 1, "not an XOR chunk"
                samples += int.from_bytes(c[4][:2], "big")
                tmin = c[1] if tmin is None else min(tmin, c[1]); tmax = c[2] if tmax is None else max(tmax, c[2])
        assert labels == {"__name__": "rr_ramp", "instance": "it", "job": "rread"}, labels
assert frames == 1 and samples == 180, (frames, samples)
assert tmin == m0 * 1000 and tmax == (m0 + 179 * 60) * 1000, (tmin, tmax)
PY' || { sed "s/^/  | /" "$IT_TMP/streamed.hdr"; false; }

check "metrics-ai still running" 'alive "$MAI_PID" || { show_log metrics-ai; false; }'
finish test_remote_read
