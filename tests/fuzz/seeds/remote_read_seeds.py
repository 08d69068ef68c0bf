#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/seeds/remote_read_seeds.py -- writes the seed corpus of tests/fuzz/fuzz_remote_read.c:
# ReadRequest protobufs shaped as Prometheus 2.42's remote read client sends them (queries with
# start/end, EQ/NEQ/RE/NRE matchers, ReadHints, accepted_response_types), each prefixed with the
# target's mode byte 0 (the target snappy-compresses the rest). Usage: remote_read_seeds.py DIR
import os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'integration'))
from promwire import uv, tag, ld, vi  # noqa: E402

EQ, NEQ, RE, NRE = 0, 1, 2, 3
SAMPLES, STREAMED = 0, 1
T0 = 1700000000000

# LabelMatcher{1 type, 2 name, 3 value}; ReadHints{1 step_ms, 2 func, 3 start_ms, 4 end_ms,
# 5 grouping, 6 by, 7 range_ms}; Query{1 start, 2 end, 3 matchers, 4 hints};
# ReadRequest{1 queries, 2 accepted_response_types (packed enum)}
def matcher(t, name, value): return ld(3, vi(1, t) + ld(2, name.encode()) + ld(3, value.encode()))
def hints(step, func, start, end, rng=0, by=False, grouping=()):
    b = vi(1, step) + ld(2, func.encode()) + vi(3, start) + vi(4, end)
    for g in grouping:
        b += ld(5, g.encode())
    if by:
        b += vi(6, 1)
    if rng:
        b += vi(7, rng)
    return ld(4, b)
def query(start, end, matchers, h=b''): return ld(1, vi(1, start) + vi(2, end) + b''.join(matchers) + h)
def request(queries, types): return b''.join(queries) + (ld(2, b''.join(uv(t) for t in types)) if types else b'')

out = sys.argv[1]
def put(name, body):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(b'\0' + body)

put('samples-eq', request([query(T0, T0 + 1200000, [matcher(EQ, '__name__', 'temp')],
                                 hints(15000, '', T0, T0 + 1200000))], [SAMPLES]))
put('streamed-re', request([query(T0 - 4 * 3600000, T0 + 1200000,
                                  [matcher(EQ, '__name__', 'temp'), matcher(RE, 'host', 'a|b.*')],
                                  hints(60000, 'rate', T0, T0 + 1200000, rng=300000))],
                           [STREAMED, SAMPLES]))
put('neq-nre-two-queries', request([
    query(T0, T0 + 600000, [matcher(RE, '__name__', '.+'), matcher(NRE, 'job', 'node|x'),
                            matcher(NEQ, 'code', '500')],
          hints(0, 'sum', T0, T0 + 600000, by=True, grouping=('code',))),
    query(T0 - 8 * 3600000, T0, [matcher(EQ, '__name__', 'old')])], []))
put('forecast-curve', request([query(T0, T0 + 86400000,
                                     [matcher(EQ, '__name__', 'metrics_ai_forecast_curve'),
                                      matcher(EQ, 'metric', 'temp'), matcher(EQ, 'bound', 'mean')])],
                              [SAMPLES]))
