#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_write_protocol.sh -- the remote write endpoint of ./metrics-ai, request
# by request, with hand-made bodies: exact status codes, the X-Prometheus-Remote-Write-*-Written
# headers (v2 only, exact counts) and the self-metrics each request must move.
# The bodies come from a small protobuf + snappy encoder in python3 (standard library only: the
# snappy blocks hold literals only, which every snappy decoder must accept).
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$PORT
W=$MAI/api/v1/write
CT_V1='application/x-protobuf'
CT_V2='application/x-protobuf;proto=io.prometheus.write.v2.Request'
B=$IT_TMP/bodies
mkdir -p "$B"

# ---- request bodies ----
cat >"$IT_TMP/rwenc.py" <<'PYEOF'
import os, sys
from promwire import dbits, dbl, ld, packed, snappy, tag, uv, vi

out, t0 = sys.argv[1], int(sys.argv[2])

# remote write 1.0: WriteRequest{1: TimeSeries{1: Label{1,2}, 2: Sample{1 double, 2 int64}}, 3: MetricMetadata}
def v1_series(labels, samples):
    b = b''.join(ld(1, ld(1, k.encode()) + ld(2, v.encode())) for k, v in labels)
    for v, t in samples:
        val = dbits(1, v) if isinstance(v, int) else dbl(1, v)   # int = raw bit pattern
        b += ld(2, val + vi(2, t))
    return ld(1, b)

def v1_meta(mtype, family, help_, unit):
    return ld(3, vi(1, mtype) + ld(2, family.encode()) + ld(4, help_.encode()) + ld(5, unit.encode()))

# remote write 2.0: Request{4: symbols, 5: TimeSeries{1: packed refs, 2: Sample, 4: Exemplar, 5: Metadata}}
class V2:
    def __init__(self):
        self.syms, self.series = [''], []
    def ref(self, s):
        if s not in self.syms:
            self.syms.append(s)
        return self.syms.index(s)
    def add(self, labels, samples, exemplars=(), meta=None):
        b = packed(1, [self.ref(x) for kv in labels for x in kv])
        for v, t in samples:
            b += ld(2, dbl(1, v) + vi(2, t))
        for elabels, v, t in exemplars:
            b += ld(4, packed(1, [self.ref(x) for kv in elabels for x in kv]) + dbl(2, v) + vi(3, t))
        if meta:
            mtype, help_, unit = meta
            b += ld(5, vi(1, mtype) + vi(3, self.ref(help_)) + vi(4, self.ref(unit)))
        self.series.append(ld(5, b))
    def encode(self):
        return b''.join(ld(4, s.encode()) for s in self.syms) + b''.join(self.series)

def put(name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)

N = lambda name, *kv: [('__name__', name)] + list(kv)
JOB = ('job', 'it')
STALE = 0x7FF0000000000002

put('v1_valid', snappy(v1_series(N('it_a', JOB), [(1.5, t0)]) + v1_series(N('it_b', JOB), [(2.5, t0)])))
put('v1_param', snappy(v1_series(N('it_c', JOB), [(3.0, t0)])))
put('v1_unsorted', snappy(v1_series([JOB, ('__name__', 'it_d'), ('a', 'x')], [(4.0, t0)])))

v2 = V2()
v2.add(N('it_v2_a', JOB), [(1.0, t0), (2.0, t0 + 1000)], meta=(2, 'a gauge', 'seconds'))
v2.add(N('it_v2_b', JOB), [(3.0, t0)], exemplars=[([('trace_id', 'abc123')], 3.0, t0)],
       meta=(1, 'a counter', ''))
put('v2_valid', snappy(v2.encode()))

v2 = V2()
v2.add([JOB, ('instance', 'x')], [(1.0, t0)])
v2.add(N('it_v2_c', JOB), [(1.0, t0)])
put('v2_no_name', snappy(v2.encode()))

put('unused', snappy(v1_series(N('it_never', JOB), [(1.0, t0)])))
put('framed', bytes([0xff, 0x06, 0x00, 0x00]) + b'sNaPpY' + bytes([0x01, 0x09, 0x00, 0x00]) + b'\0\0\0\0hello')
put('garbage', uv(100) + bytes([60 << 2, 99]) + b'only ten b')     # a literal of 100 bytes, 10 present
put('empty', b'')
big = v1_series(N('it_big', ('pad', 'x' * 1400)), [(1.0, t0)])     # ~1.4 KiB decoded, over 1 KiB
put('decoded_over', snappy(big))
put('body_over', snappy(b'\0' * 3000))                              # 3 KiB body, over 2 KiB
put('no_name', snappy(v1_series(N('it_nn_a', JOB), [(1.0, t0)]) +
                      v1_series([JOB, ('instance', 'x')], [(1.0, t0)]) +
                      v1_series(N('it_nn_b', JOB), [(1.0, t0)])))
put('meta_only', snappy(v1_meta(1, 'it_meta_requests', 'Requests.', '') +
                        v1_meta(2, 'it_meta_temperature_celsius', 'Temperature.', 'celsius')))
put('older', snappy(v1_series(N('it_a', JOB), [(9.0, t0 - 1000)])))
put('stale', snappy(v1_series(N('it_a', JOB), [(STALE, t0 + 1000)])))
put('revive', snappy(v1_series(N('it_a', JOB), [(5.0, t0 + 2000)])))
put('special', snappy(v1_series(N('it_nan', JOB), [(float('nan'), t0)]) +
                      v1_series(N('it_pinf', JOB), [(float('inf'), t0)]) +
                      v1_series(N('it_ninf', JOB), [(float('-inf'), t0)])))
put('negative_ts', snappy(v1_series(N('it_neg', JOB), [(1.0, -1000)])))
PYEOF
T0=$(( $(date +%s) * 1000 ))
PYTHONPATH=$IT_DIR python3 "$IT_TMP/rwenc.py" "$B" "$T0" || { echo "  FAIL could not build the request bodies"; exit 1; }

# ---- the receiver ----
start_proc metrics-ai "$IT_MAI" --listen "127.0.0.1:$PORT" --max-decoded-bytes 1k --max-body-bytes 2k -v
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 10 || { show_log metrics-ai; exit 1; }

# post NAME BODYFILE CONTENT_TYPE [CONTENT_ENCODING] [extra curl args...]: POST to /api/v1/write;
# the status goes to STATUS, headers and body to $IT_TMP/NAME.hdr and NAME.out.
# CONTENT_ENCODING defaults to snappy; "-" sends no Content-Encoding header.
post() {
    local name=$1 file=$2 ct=$3 ce=${4:-snappy}
    shift 4 2>/dev/null || shift $#
    local args=(-sS --max-time 10 -o "$IT_TMP/$name.out" -D "$IT_TMP/$name.hdr" -w '%{http_code}'
                -X POST --data-binary "@$file" -H "Content-Type: $ct")
    [ "$ce" != - ] && args+=(-H "Content-Encoding: $ce")
    case $ct in
    *v2*) args+=(-H 'X-Prometheus-Remote-Write-Version: 2.0.0') ;;
    *) args+=(-H 'X-Prometheus-Remote-Write-Version: 0.1.0') ;;
    esac
    STATUS=$(curl "${args[@]}" "$@" "$W" 2>"$IT_TMP/$name.err")
    [ -n "$STATUS" ] || STATUS=none
}

# hdr NAME HEADER: the value of a response header (case-insensitive), or nothing.
hdr() {
    awk -v h="$(tr '[:upper:]' '[:lower:]' <<<"$2")" -F': *' '
        { k = tolower($1); sub(/\r$/, "") } k == h { print substr($0, index($0, ":") + 1); exit }' \
        "$IT_TMP/$1.hdr" | sed 's/^ *//'
}
# written NAME: the three Written headers as "samples/histograms/exemplars" ("//" if none).
written() {
    echo "$(hdr "$1" X-Prometheus-Remote-Write-Samples-Written)/$(hdr "$1" X-Prometheus-Remote-Write-Histograms-Written)/$(hdr "$1" X-Prometheus-Remote-Write-Exemplars-Written)"
}
body_of() { cat "$IT_TMP/$1.out" 2>/dev/null; }
SNAP=$IT_TMP/snap.txt
mv_() { metric_value "$SNAP" "$@"; }
# take: refresh the /metrics snapshot used by mv_.
take() { snapshot "$MAI/metrics" "$SNAP"; }
# delta BEFORE NAME [LABELS]: current value (fresh snapshot must be taken) minus BEFORE.
delta() { local b=$1; shift; echo $(( $(mv_ "$@") - b )); }

take
acc0=$(mv_ metrics_ai_samples_accepted_total)
rcv0=$(mv_ metrics_ai_samples_received_total)

echo "  -- valid requests"
post v1 "$B/v1_valid" "$CT_V1"
check_eq "v1 valid -> 204" "$STATUS" 204
check_eq "v1 valid: no X-Prometheus-Remote-Write-*-Written headers" "$(written v1)" "//"
check "v1 valid: empty body" '[ ! -s "$IT_TMP/v1.out" ]'
take
check_eq "v1 valid: 2 samples accepted" "$(delta "$acc0" metrics_ai_samples_accepted_total)" 2
check_eq "v1 valid: 2 samples received" "$(delta "$rcv0" metrics_ai_samples_received_total)" 2
check_eq "v1 valid: 2 series active" "$(mv_ metrics_ai_series_active)" 2

post v1p "$B/v1_param" 'application/x-protobuf; proto=prometheus.WriteRequest'
check_eq "v1 with proto=prometheus.WriteRequest -> 204, no Written headers" "$STATUS $(written v1p)" "204 //"
post v1u "$B/v1_unsorted" "$CT_V1" -
check_eq "v1 with unsorted labels and no Content-Encoding (defaults to snappy) -> 204" "$STATUS" 204

take; acc=$(mv_ metrics_ai_samples_accepted_total); ex=$(mv_ metrics_ai_exemplars_received_total)
post v2 "$B/v2_valid" "$CT_V2"
check_eq "v2 valid -> 204" "$STATUS" 204
check_eq "v2 valid: Written headers samples/histograms/exemplars = 3/0/1" "$(written v2)" "3/0/1"
take
check_eq "v2 valid: 3 samples accepted" "$(delta "$acc" metrics_ai_samples_accepted_total)" 3
check_eq "v2 valid: 1 exemplar received" "$(delta "$ex" metrics_ai_exemplars_received_total)" 1
check_eq "v2 valid: counted as code=204 version=2.0" \
    "$(mv_ metrics_ai_remote_write_requests_total 'code="204",version="2.0"')" 1

echo "  -- negotiation and framing errors"
take; acc=$(mv_ metrics_ai_samples_accepted_total); rcv=$(mv_ metrics_ai_samples_received_total)
post json "$B/unused" application/json
check_eq "Content-Type application/json -> 415" "$STATUS" 415
post gzip "$B/unused" "$CT_V1" gzip
check_eq "Content-Encoding gzip -> 415" "$STATUS" 415
post foo "$B/unused" 'application/x-protobuf;proto=foo'
check_eq "proto=foo -> 415" "$STATUS" 415
post foo2 "$B/unused" "$CT_V2" gzip
check_eq "v2 with Content-Encoding gzip -> 415" "$STATUS" 415
post framed "$B/framed" "$CT_V1"
check_eq "framed snappy stream -> 400" "$STATUS" 400
check "framed snappy: the 400 body says why" 'grep -qi "framed" "$IT_TMP/framed.out"'
post garbage "$B/garbage" "$CT_V1"
check_eq "garbage snappy -> 400" "$STATUS" 400
post empty "$B/empty" "$CT_V1"
check_eq "empty body -> 400" "$STATUS" 400
post garbage2 "$B/garbage" "$CT_V2"
check_eq "v2 garbage snappy -> 400 with Written headers 0/0/0" "$STATUS $(written garbage2)" "400 0/0/0"
post dec "$B/decoded_over" "$CT_V1"
check_eq "declared uncompressed length over --max-decoded-bytes 1k -> 413" "$STATUS" 413
check "decoded size 413 names --max-decoded-bytes" 'grep -q "max-decoded-bytes" "$IT_TMP/dec.out"'
post body "$B/body_over" "$CT_V1"
check_eq "body over --max-body-bytes 2k (Content-Length) -> 413" "$STATUS" 413
check "body size 413 names --max-body-bytes" 'grep -q "max-body-bytes" "$IT_TMP/body.out"'
post chunked "$B/body_over" "$CT_V1" snappy -H 'Transfer-Encoding: chunked'
check_eq "body over --max-body-bytes 2k (chunked, no Content-Length) -> 413" "$STATUS" 413
GET=$(curl -sS --max-time 5 -o /dev/null -D "$IT_TMP/get.hdr" -w '%{http_code}' "$W" 2>/dev/null)
check_eq "GET /api/v1/write -> 405" "$GET" 405
check_eq "GET /api/v1/write: Allow: POST" "$(hdr get Allow)" POST
take
check_eq "refused requests accepted no samples" "$(delta "$acc" metrics_ai_samples_accepted_total)" 0
check_eq "refused requests decoded no samples" "$(delta "$rcv" metrics_ai_samples_received_total)" 0
check_eq "4 answers counted as code=415" "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="415"')" 4
check_eq "3 answers counted as code=413" "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="413"')" 3

echo "  -- invalid series"
take; acc=$(mv_ metrics_ai_samples_accepted_total); nn=$(mv_ metrics_ai_samples_rejected_total 'reason="no_metric_name"')
post noname "$B/no_name" "$CT_V1"
check_eq "v1 series without __name__ -> 400" "$STATUS" 400
check "v1 series without __name__: the 400 body names __name__" 'grep -q "__name__" "$IT_TMP/noname.out"'
take
check_eq "v1 series without __name__: the other 2 series accepted" "$(delta "$acc" metrics_ai_samples_accepted_total)" 2
check_eq "v1 series without __name__: 1 sample rejected as no_metric_name" \
    "$(delta "$nn" metrics_ai_samples_rejected_total 'reason="no_metric_name"')" 1
post noname2 "$B/v2_no_name" "$CT_V2"
check_eq "v2 series without __name__ -> 400 with Written 1/0/0" "$STATUS $(written noname2)" "400 1/0/0"

echo "  -- metadata, duplicates, ordering, special values"
take; md=$(mv_ metrics_ai_metadata_received_total); fam=$(mv_ metrics_ai_metadata_families)
post meta "$B/meta_only" "$CT_V1"
check_eq "metadata-only request -> 204" "$STATUS" 204
take
check_eq "metadata-only: 2 metadata entries received" "$(delta "$md" metrics_ai_metadata_received_total)" 2
check_eq "metadata-only: 2 more metric families known" "$(delta "$fam" metrics_ai_metadata_families)" 2

take; acc=$(mv_ metrics_ai_samples_accepted_total); dup=$(mv_ metrics_ai_samples_duplicate_total)
post dup "$B/v1_valid" "$CT_V1"
check_eq "exact duplicate of the first request -> 204" "$STATUS" 204
take
check_eq "exact duplicate: 2 samples counted in metrics_ai_samples_duplicate_total" \
    "$(delta "$dup" metrics_ai_samples_duplicate_total)" 2
check_eq "exact duplicate: counted as accepted too" "$(delta "$acc" metrics_ai_samples_accepted_total)" 2

ooo=$(mv_ metrics_ai_samples_rejected_total 'reason="out_of_order"'); acc=$(mv_ metrics_ai_samples_accepted_total)
post older "$B/older" "$CT_V1"
check_eq "sample older than the series' newest -> 400" "$STATUS" 400
take
check_eq "older sample: counted as out_of_order" "$(delta "$ooo" metrics_ai_samples_rejected_total 'reason="out_of_order"')" 1
check_eq "older sample: not accepted" "$(delta "$acc" metrics_ai_samples_accepted_total)" 0

active=$(mv_ metrics_ai_series_active); st=$(mv_ metrics_ai_stale_markers_total)
post stale "$B/stale" "$CT_V1"
check_eq "stale marker (0x7ff0000000000002) -> 204" "$STATUS" 204
take
check_eq "stale marker: metrics_ai_series_active drops by 1" "$(delta "$active" metrics_ai_series_active)" -1
check_eq "stale marker: metrics_ai_stale_markers_total + 1" "$(delta "$st" metrics_ai_stale_markers_total)" 1
post revive "$B/revive" "$CT_V1"
take
check_eq "a new sample after the stale marker -> 204 and the series is active again" \
    "$STATUS $(delta "$active" metrics_ai_series_active)" "204 0"

active=$(mv_ metrics_ai_series_active); acc=$(mv_ metrics_ai_samples_accepted_total)
post special "$B/special" "$CT_V1"
check_eq "NaN, +Inf and -Inf -> 204" "$STATUS" 204
take
check_eq "NaN, +Inf, -Inf: 3 samples accepted" "$(delta "$acc" metrics_ai_samples_accepted_total)" 3
check_eq "NaN, +Inf, -Inf: 3 new active series" "$(delta "$active" metrics_ai_series_active)" 3
post neg "$B/negative_ts" "$CT_V1"
check_eq "negative timestamp (10-byte varint) -> 204" "$STATUS" 204

echo "  -- afterwards"
check "metrics-ai is still running" 'alive "$MAI_PID"'
check_eq "GET /-/healthy -> 200" "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$MAI/-/healthy" 2>/dev/null)" 200
check "/metrics passes promtool check metrics" \
    'curl -fsS --max-time 5 "$MAI/metrics" | promtool check metrics >"$IT_TMP/lint.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/lint.out"; false; }'
take
check_eq "no 5xx answers" "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="5')" 0
echo "  requests by answer:"
metric_lines "$SNAP" metrics_ai_remote_write_requests_total | sed 's/^/  | /'
finish test_write_protocol
