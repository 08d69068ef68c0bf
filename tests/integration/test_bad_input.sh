#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_bad_input.sh -- the bad-input matrix of POST /api/v1/write against a
# running ./metrics-ai: each case is one request with its exact status and one-line answer, then
# (1) the process still runs, (2) a valid series is written: the canary bi_canary{case="NAME"}
# sent in the same body beside the bad part, or in a request right after a body refused whole,
# is in GET /api/v1/store with its one sample, and (3) nothing of a refused body was written
# (its series is bi_victim{case="NAME"}). Then wrong headers, a huge header set, slow clients
# (a trickled body and slowloris-style header trickles, bounded to a few seconds), and the
# self-metrics that must have moved. Bodies: tests/integration/bad_input_bodies.py.
# Limits of this run: --max-decoded-bytes 64k --max-body-bytes 128k --max-labels-per-series 8
# --max-label-bytes 256. MAI_BIN=path runs another build (e.g. a sanitizer one) of metrics-ai.
# shellcheck disable=SC2016  # check takes expressions evaluated later, in single quotes
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
T0=$(( $(date +%s) * 1000 ))
python3 "$IT_DIR/bad_input_bodies.py" "$B" "$T0" || { echo "  FAIL could not build the bodies"; exit 1; }

start_proc metrics-ai "${MAI_BIN:-$IT_MAI}" --listen "127.0.0.1:$PORT" --max-decoded-bytes 64k \
    --max-body-bytes 128k --max-labels-per-series 8 --max-label-bytes 256 --interval 3600 \
    --request-timeout 3
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 20 || { show_log metrics-ai; exit 1; }

# send NAME CONTENT_TYPE [curl args...]: POSTs $B/NAME.body; STATUS and ANSWER (the body).
send() {
    local name=$1 ct=$2
    shift 2
    STATUS=$(curl -sS --max-time 10 -o "$IT_TMP/answer" -w '%{http_code}' -X POST \
        --data-binary "@$B/$name.body" -H "Content-Type: $ct" -H 'Content-Encoding: snappy' \
        "$@" "$W" 2>"$IT_TMP/curl.err")
    [ -n "$STATUS" ] || STATUS=none
    ANSWER=$(cat "$IT_TMP/answer" 2>/dev/null)
}

# stored METRIC CASE: "samples/last_timestamp_ms" of METRIC{case=CASE} in the store, or "absent".
stored() {
    curl -sS --max-time 5 "$MAI/api/v1/store?metric=$1&points=1" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("bad-json"); sys.exit()
for s in d["data"]["series"]:
    if s["labels"].get("case") == sys.argv[1]:
        print("%d/%d" % (s["samples"], s["last_timestamp_ms"])); break
else:
    print("absent")' "$2"
}

# after NAME: the process runs, the canary of NAME is stored, the victim of NAME is not.
after() {
    local name=$1
    check "$name: metrics-ai still runs" 'alive "$MAI_PID"'
    check_eq "$name: the valid series beside or after it is stored" "$(stored bi_canary "$name")" "1/$T0"
    check_eq "$name: nothing of the refused part is stored" "$(stored bi_victim "$name")" absent
}

# whole NAME CT STATUS ANSWER: a body refused whole; a canary request follows it.
whole() {
    local name=$1 ct=$2 want_status=$3 want=$4
    send "$name" "$ct"
    check_eq "$name -> $want_status" "$STATUS" "$want_status"
    check_eq "$name: answer" "$ANSWER" "$want"
    send "canary_$name" "$CT_V1"
    check_eq "$name: a valid request right after -> 204" "$STATUS" 204
    after "$name"
}

# part NAME CT STATUS ANSWER: the bad series is refused, the canary in the same body written.
part() {
    local name=$1 ct=$2 want_status=$3 want=$4
    send "$name" "$ct"
    check_eq "$name -> $want_status" "$STATUS" "$want_status"
    check_eq "$name: answer" "$ANSWER" "$want"
    after "$name"
}

MAXDEC='over the limit of 65536 (--max-decoded-bytes)'
echo "  -- snappy framing (refused whole)"
whole garbage_snappy "$CT_V1" 400 'corrupt snappy block: unreadable length header'
whole truncated_snappy "$CT_V1" 400 'corrupt snappy block: decompression failed'
whole framed_snappy "$CT_V1" 400 'snappy framed stream: remote write uses the snappy block format'
whole declared_1g "$CT_V1" 413 "snappy block declares 1073741824 bytes uncompressed, $MAXDEC"
whole declared_4g "$CT_V1" 413 "snappy block declares 4294967295 bytes uncompressed, $MAXDEC"
whole declared_2p40 "$CT_V1" 400 'corrupt snappy block: unreadable length header'
whole bomb_512k "$CT_V1" 413 "snappy block declares 524288 bytes uncompressed, $MAXDEC"
whole huge_label_body "$CT_V1" 413 "snappy block declares 70081 bytes uncompressed, $MAXDEC"
whole literal_past_end "$CT_V1" 400 'corrupt snappy block: decompression failed'
whole copy_before_start "$CT_V1" 400 'corrupt snappy block: decompression failed'
whole data_after_empty "$CT_V1" 400 'corrupt snappy block: data after an empty block'
whole empty "$CT_V1" 400 'empty body: expected a snappy-compressed protobuf message'

echo "  -- protobuf framing (refused whole)"
M1='malformed prometheus.WriteRequest'
whole wrong_wire_type "$CT_V1" 400 "$M1: malformed timeseries in WriteRequest"
whole varint_11_bytes "$CT_V1" 400 "$M1: malformed sample timestamp"
whole length_past_end "$CT_V1" 400 "$M1: malformed timeseries in WriteRequest"
whole group_wire_type "$CT_V1" 400 "$M1: malformed unknown field in WriteRequest"
whole field_number_zero "$CT_V1" 400 "$M1: malformed field tag in WriteRequest"
whole v2_symbol0_not_empty "$CT_V2" 400 \
    'malformed io.prometheus.write.v2.Request: symbols[0] must be the empty string'
part deep_nesting "$CT_V1" 204 ''

echo "  -- label rules (the series refused, the rest written)"
R='1 of 2 samples not written; 1 series refused'
part missing_name "$CT_V1" 400 "$R: series without metric name (__name__) (series 0, \"x\")"
part empty_name_value "$CT_V1" 400 "$R: series without metric name (__name__) (series 0, \"\")"
part empty_label_name "$CT_V1" 400 "$R: series with an empty label name (series 0, \"bi_bad\")"
part duplicate_label "$CT_V1" 400 "$R: series with a duplicate label name (series 0, \"bi_bad\")"
part invalid_utf8_value "$CT_V1" 400 "$R: label name or value not valid UTF-8 (series 0, \"bi_bad\")"
part invalid_utf8_name "$CT_V1" 400 "$R: label name or value not valid UTF-8 (series 0, \"bi_bad\")"
part too_many_labels "$CT_V1" 400 \
    "$R: series with more labels than --max-labels-per-series (series 0, \"bi_bad\")"
part huge_label_value "$CT_V1" 400 \
    "$R: label name or value longer than --max-label-bytes (series 0, \"bi_bad\")"
part unsorted_labels "$CT_V1" 204 ''
check_eq "unsorted_labels: stored under its sorted label set" \
    "$(curl -sS --max-time 5 "$MAI/api/v1/store?metric=bi_unsorted" | python3 -c '
import json, sys; print(list(json.load(sys.stdin)["data"]["series"][0]["labels"]))')" \
    "['__name__', 'a', 'z']"
check_eq "no series named bi_bad was stored" \
    "$(curl -sS --max-time 5 "$MAI/api/v1/store?metric=bi_bad" | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["data"]["series"]))')" 0

echo "  -- remote write 2.0 references and histograms"
REF='labels_refs odd or outside the symbols table'
part v2_ref_out_of_range "$CT_V2" 400 "$R: $REF (series 0, \"bi_bad\")"
part v2_odd_refs "$CT_V2" 400 "$R: $REF (series 0, \"bi_bad\")"
part v2_ref_past_32_bits "$CT_V2" 400 "$R: $REF (series 0, \"\")"
part v2_samples_and_histograms "$CT_V2" 400 \
    "$R: series with both samples and histograms (series 0, \"bi_bad\"); 1 native histograms dropped: not supported"
part v2_histograms_only "$CT_V2" 400 '0 of 1 samples not written; 2 native histograms dropped: not supported'

echo "  -- values, timestamps, duplicates"
part nan_inf_stale "$CT_V1" 204 ''
check_eq "nan_inf_stale: the 4 series exist (NaN, +Inf, -Inf, stale marker)" \
    "$(curl -sS --max-time 5 "$MAI/api/v1/store?metric=bi_special" | python3 -c '
import json, sys; print(sorted((s["labels"]["v"], s["stale"]) for s in json.load(sys.stdin)["data"]["series"]))')" \
    "[('nan', False), ('ninf', False), ('pinf', False), ('stale', True)]"
part ts_far_past "$CT_V1" 204 ''
part ts_far_future "$CT_V1" 204 ''
part ts_int64_extremes "$CT_V1" 400 \
    '2 of 3 samples not written; 2 with a timestamp more than 2^53 ms from 1970'
part duplicate_same "$CT_V1" 204 ''
part duplicate_other_value "$CT_V1" 400 \
    "1 of 3 samples not written; 1 with the newest sample's timestamp but another value"
part out_of_order "$CT_V1" 400 \
    "1 of 3 samples not written; 1 out of order (older than the series' newest sample)"

echo "  -- headers"
send canary_content_type_json application/json
check_eq "Content-Type application/json -> 415" "$STATUS" 415
check_eq "Content-Type application/json: answer" "$ANSWER" \
    'unsupported Content-Type "application/json": send application/x-protobuf (proto=prometheus.WriteRequest or io.prometheus.write.v2.Request) with Content-Encoding: snappy'
check_eq "Content-Type application/json: nothing stored" "$(stored bi_canary content_type_json)" absent
STATUS=$(curl -sS --max-time 10 -o "$IT_TMP/answer" -w '%{http_code}' -X POST \
    --data-binary "@$B/canary_content_encoding_gzip.body" -H "Content-Type: $CT_V1" \
    -H 'Content-Encoding: gzip' "$W" 2>/dev/null)
check_eq "Content-Encoding gzip -> 415" "$STATUS" 415
check_eq "Content-Encoding gzip: answer" "$(cat "$IT_TMP/answer")" \
    'unsupported Content-Encoding "gzip": send application/x-protobuf (proto=prometheus.WriteRequest or io.prometheus.write.v2.Request) with Content-Encoding: snappy'
send canary_proto_unknown 'application/x-protobuf;proto=foo.Bar'
check_eq "proto=foo.Bar -> 415" "$STATUS" 415
check_eq "content-type and encoding refusals stored nothing" \
    "$(stored bi_canary content_encoding_gzip) $(stored bi_canary proto_unknown)" "absent absent"

# a huge header set: 64 headers of 4 KiB (256 KiB) and 2000 small ones; libmicrohttpd answers
# 431 when they do not fit its per-connection memory, and the service goes on.
args=()
for ((i = 0; i < 64; i++)); do args+=(-H "X-Pad-$i: $(head -c 4096 /dev/zero | tr '\0' a)"); done
send canary_huge_headers "$CT_V1" "${args[@]}"
check_eq "64 headers of 4 KiB -> 431" "$STATUS" 431
args=()
for ((i = 0; i < 2000; i++)); do args+=(-H "X-H$i: v"); done
send canary_many_headers "$CT_V1" "${args[@]}"
check_eq "2000 headers -> 431" "$STATUS" 431
check_eq "huge header sets stored nothing" \
    "$(stored bi_canary huge_headers) $(stored bi_canary many_headers)" "absent absent"
check "huge header sets: metrics-ai still runs" 'alive "$MAI_PID"'

echo "  -- slow clients (bounded)"
# slowloris: 64 connections each trickle a request's headers a few bytes every 0.2 s for up to
# 5 s; meanwhile a valid write must be answered at once, and --request-timeout 3 must close every
# one of them after 3-4 s. Then a body sent in 16-byte pieces over ~2 s must be taken whole.
cat >"$IT_TMP/slow.py" <<'PY'
import socket, sys, threading, time
port, mode, body_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == 'loris':
    socks = []
    for i in range(64):
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.sendall(b'POST /api/v1/write HTTP/1.1\r\nHost: x\r\n')
        socks.append(s)
    t0 = time.time()
    closed = {}
    n = 0
    while time.time() < t0 + 5 and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.sendall(b'X-%d: a\r\n' % n)
                s.setblocking(False)
                try:
                    got = s.recv(4096)
                except BlockingIOError:
                    got = None
                s.setblocking(True)
                if got is not None:     # b'' (end of stream) or an answer: either ends it
                    closed[i] = time.time() - t0
            except OSError:
                closed[i] = time.time() - t0
        n += 1
        time.sleep(0.2)
    for s in socks:
        s.close()
    t = sorted(closed.values()) or [0]
    print('trickled %d header lines on 64 connections; %d closed by the server after %.1f-%.1f s'
          % (n, len(closed), t[0], t[-1]))
else:
    body = open(body_path, 'rb').read()
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(b'POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n'
              b'Content-Encoding: snappy\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body))
    for i in range(0, len(body), 16):
        s.sendall(body[i:i + 16])
        time.sleep(2.0 / max(1, len(body) // 16))
    print(s.recv(4096).split(b'\r\n')[0].decode())
PY
python3 "$IT_TMP/slow.py" "$PORT" loris - >"$IT_TMP/loris.out" 2>&1 &
LORIS=$!
sleep 1
t_start=$(date +%s%N)
send canary_slowloris "$CT_V1"
ms=$(( ($(date +%s%N) - t_start) / 1000000 ))
check_eq "during 64 slowloris connections a valid write -> 204" "$STATUS" 204
check "during 64 slowloris connections the write took under 1 s (${ms} ms)" '[ "$ms" -lt 1000 ]'
wait "$LORIS"
check "the slowloris clients ran ($(cat "$IT_TMP/loris.out"))" 'grep -q "^trickled" "$IT_TMP/loris.out"'
check "--request-timeout 3 closed all 64 slowloris connections within 3-4.5 s" \
    'python3 - "$IT_TMP/loris.out" <<PY
import re, sys
m = re.search(r"; (\d+) closed by the server after ([\d.]+)-([\d.]+) s", open(sys.argv[1]).read())
sys.exit(not (m and int(m[1]) == 64 and 2.9 <= float(m[2]) and float(m[3]) <= 4.5))
PY'
check_eq "slowloris: the valid series is stored" "$(stored bi_canary slowloris)" "1/$T0"
check_eq "a body trickled in 16-byte pieces -> 204" \
    "$(timeout 20 python3 "$IT_TMP/slow.py" "$PORT" body "$B/canary_slow_body.body" 2>&1)" \
    'HTTP/1.1 204 No Content'
check_eq "slow body: its series is stored" "$(stored bi_canary slow_body)" "1/$T0"

echo "  -- afterwards"
check "metrics-ai is still running" 'alive "$MAI_PID"'
SNAP=$IT_TMP/metrics.txt
snapshot "$MAI/metrics" "$SNAP"
check_eq "no 5xx answers" "$(metric_sum "$SNAP" metrics_ai_remote_write_requests_total 'code="5')" 0
check "metrics_ai_http_connections_timed_out_total counts the 64 slowloris connections" \
    '[ "$(metric_value "$SNAP" metrics_ai_http_connections_timed_out_total)" -ge 64 ]'
for r in no_metric_name empty_label_name duplicate_label too_many_labels label_too_long \
         bad_symbol_ref samples_and_histograms invalid_utf8 timestamp_out_of_range \
         duplicate_timestamp out_of_order; do
    check "metrics_ai_samples_rejected_total{reason=\"$r\"} counted" \
        '[ "$(metric_value "$SNAP" metrics_ai_samples_rejected_total "reason=\"$r\"")" -ge 1 ]'
done
check "/metrics passes promtool check metrics" \
    'curl -fsS --max-time 5 "$MAI/metrics" | promtool check metrics >"$IT_TMP/lint.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/lint.out"; false; }'
check "no sanitizer report in the log" '! grep -q "runtime error\|ERROR: AddressSanitizer" "$IT_TMP/metrics-ai.log"'
kill -TERM "$MAI_PID"
wait_until 20 '! alive "$MAI_PID"' >/dev/null
wait "$MAI_PID"
check_eq "metrics-ai exits with status 0 on SIGTERM" "$?" 0
finish test_bad_input
