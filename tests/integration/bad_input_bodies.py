#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/integration/bad_input_bodies.py -- writes the request bodies of test_bad_input.sh into a
# directory: each case NAME gets NAME.body (the bytes to POST) and canary_NAME.body, a valid request
# of the one series bi_canary{case="NAME"} = 7 at T0 (sent after a body refused whole; a body
# refused in part holds that series itself, beside the bad part). A body refused whole holds
# bi_victim{case="NAME"}, which must never be stored.
# Standard library only: protobuf by hand, snappy blocks of literals (valid for every decoder)
# or of copies (the decompression bomb).   Usage: bad_input_bodies.py DIR T0_MS
import os, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promwire import uv, tag, ld, vi, dbits, dbl, packed, snappy  # noqa: E402

out, t0 = sys.argv[1], int(sys.argv[2])

def snappy_zeros(n):
    """n zero bytes as one literal byte and copies of 64 bytes at offset 1 (3 bytes each)."""
    o = bytearray(uv(n)) + bytes([0, 0])
    left = n - 1
    while left >= 64:
        o += bytes([(63 << 2) | 2]) + struct.pack('<H', 1)
        left -= 64
    if left:
        o += bytes([((left - 1) << 2) | 2]) + struct.pack('<H', 1)
    return bytes(o)

def enc(x): return x if isinstance(x, bytes) else x.encode()

def v1_series(labels, samples, raw=b''):
    b = b''.join(ld(1, ld(1, enc(k)) + ld(2, enc(v))) for k, v in labels)
    for v, t in samples:
        val = dbits(1, v) if isinstance(v, int) else dbl(1, v)
        b += ld(2, val + vi(2, t))
    return ld(1, b + raw)

def canary(case, t=None): return v1_series([('__name__', 'bi_canary'), ('case', case)], [(7.0, t0 if t is None else t)])

class V2:
    def __init__(self, syms=None):
        self.syms, self.series = list(syms) if syms else [''], []
    def ref(self, s):
        if s not in self.syms:
            self.syms.append(s)
        return self.syms.index(s)
    def add_raw(self, body): self.series.append(ld(5, body))
    def add(self, labels, samples, hist=0):
        b = packed(1, [self.ref(x) for kv in labels for x in kv])
        for v, t in samples:
            b += ld(2, dbl(1, v) + vi(2, t))
        for _ in range(hist):
            b += ld(3, vi(1, 1) + dbl(3, 1.0) + vi(15, t0))     # count_int=1, sum=1, timestamp
        self.series.append(ld(5, b))
    def canary(self, case): self.add([('__name__', 'bi_canary'), ('case', case)], [(7.0, t0)])
    def encode(self): return b''.join(ld(4, enc(s)) for s in self.syms) + b''.join(self.series)

def put(name, data):
    with open(os.path.join(out, name + '.body'), 'wb') as f:
        f.write(data)

N = lambda name, *kv: [('__name__', name)] + list(kv)
STALE = 0x7FF0000000000002
victim = lambda case: v1_series(N('bi_victim', ('case', case)), [(1.0, t0)])

# ---- snappy framing: the whole body is refused, nothing of it is written ----
put('garbage_snappy', b'\xff' * 11 + b'not snappy at all')
good = snappy(victim('truncated_snappy') * 4)
put('truncated_snappy', good[:len(good) // 2])
put('framed_snappy', bytes([0xff, 0x06, 0, 0]) + b'sNaPpY' + bytes([0x01, 0x09, 0, 0]) + b'\0\0\0\0hello')
put('declared_1g', uv(1 << 30) + bytes([0]) + b'x')                        # header says 1 GiB
put('declared_4g', uv((1 << 32) - 1) + bytes([0]) + b'x')                  # just under 4 GiB
put('declared_2p40', uv(1 << 40) + bytes([0]) + b'x')                      # past 32 bits
put('bomb_512k', snappy_zeros(512 * 1024))                                 # 24 KiB of copies
put('literal_past_end', uv(100) + bytes([60 << 2, 99]) + b'ten bytes!')
put('copy_before_start', uv(8) + bytes([(3 << 2) | 2]) + struct.pack('<H', 40))
put('data_after_empty', uv(0) + b'junk')
put('empty', b'')

# ---- protobuf framing: refused whole ----
put('wrong_wire_type', snappy(victim('wrong_wire_type') + vi(1, 5)))
put('varint_11_bytes', snappy(victim('varint_11_bytes') +
                              ld(1, ld(1, ld(1, b'__name__') + ld(2, b'x')) +
                                    ld(2, dbl(1, 1.0) + tag(2, 0) + b'\xff' * 10 + b'\x01'))))
put('length_past_end', snappy(victim('length_past_end') + tag(1, 2) + uv(100) + b'abc'))
put('group_wire_type', snappy(victim('group_wire_type') + tag(9, 3) + tag(9, 4)))
put('field_number_zero', snappy(victim('field_number_zero') + bytes([0x02, 0x00])))
deep = b''
for _ in range(3000):                      # 3000 nested messages in an unknown field: skipped
    deep = ld(15, deep)
put('deep_nesting', snappy(deep + canary('deep_nesting')))

# ---- label rules: the bad series is refused, the canary beside it written ----
put('missing_name', snappy(v1_series([('job', 'x')], [(1.0, t0)]) + canary('missing_name')))
put('empty_name_value', snappy(v1_series(N(''), [(1.0, t0)]) + canary('empty_name_value')))
put('empty_label_name', snappy(v1_series(N('bi_bad', ('', 'x')), [(1.0, t0)]) + canary('empty_label_name')))
put('duplicate_label', snappy(v1_series(N('bi_bad', ('a', '1'), ('a', '2')), [(1.0, t0)]) + canary('duplicate_label')))
put('unsorted_labels', snappy(v1_series([('z', '1'), ('__name__', 'bi_unsorted'), ('a', '2')], [(3.0, t0)]) + canary('unsorted_labels')))
put('invalid_utf8_value', snappy(v1_series(N('bi_bad', ('a', b'\xc3\x28')), [(1.0, t0)]) + canary('invalid_utf8_value')))
put('invalid_utf8_name', snappy(v1_series(N('bi_bad', (b'\xed\xa0\x80', '1')), [(1.0, t0)]) + canary('invalid_utf8_name')))
put('too_many_labels', snappy(v1_series(N('bi_bad', *[('l%d' % i, 'v') for i in range(8)]), [(1.0, t0)]) + canary('too_many_labels')))
put('huge_label_value', snappy(v1_series(N('bi_bad', ('a', 'x' * 300)), [(1.0, t0)]) + canary('huge_label_value')))
put('huge_label_body', snappy(v1_series(N('bi_victim', ('case', 'huge_label_body'), ('a', 'x' * 70000)), [(1.0, t0)])))

# ---- sample values and timestamps ----
put('nan_inf_stale', snappy(v1_series(N('bi_special', ('v', 'nan')), [(float('nan'), t0)]) +
                            v1_series(N('bi_special', ('v', 'pinf')), [(float('inf'), t0)]) +
                            v1_series(N('bi_special', ('v', 'ninf')), [(float('-inf'), t0)]) +
                            v1_series(N('bi_special', ('v', 'stale')), [(STALE, t0)]) +
                            canary('nan_inf_stale')))
put('ts_far_past', snappy(v1_series(N('bi_time', ('when', 'past')), [(1.0, 1000)]) + canary('ts_far_past')))
put('ts_far_future', snappy(v1_series(N('bi_time', ('when', 'future')), [(1.0, 4102444800000)]) + canary('ts_far_future')))
put('ts_int64_extremes', snappy(v1_series(N('bi_time', ('when', 'min')), [(1.0, -(1 << 63))]) +
                                v1_series(N('bi_time', ('when', 'max')), [(1.0, (1 << 63) - 1)]) +
                                canary('ts_int64_extremes')))
put('duplicate_same', snappy(v1_series(N('bi_dup', ('k', 'same')), [(1.0, t0)]) +
                             v1_series(N('bi_dup', ('k', 'same')), [(1.0, t0)]) + canary('duplicate_same')))
put('duplicate_other_value', snappy(v1_series(N('bi_dup', ('k', 'other')), [(1.0, t0), (2.0, t0)]) + canary('duplicate_other_value')))
put('out_of_order', snappy(v1_series(N('bi_dup', ('k', 'ooo')), [(1.0, t0), (2.0, t0 - 60000)]) + canary('out_of_order')))

# ---- remote write 2.0 references ----
r = V2(); r.add_raw(packed(1, [1, 2, 3, 99]) + ld(2, dbl(1, 1.0) + vi(2, t0))); r.syms += ['__name__', 'bi_bad', 'a']; r.canary('v2_ref_out_of_range')
put('v2_ref_out_of_range', snappy(r.encode()))
r = V2(['', '__name__', 'bi_bad']); r.add_raw(packed(1, [1, 2, 1]) + ld(2, dbl(1, 1.0) + vi(2, t0))); r.canary('v2_odd_refs')
put('v2_odd_refs', snappy(r.encode()))
r = V2(); r.add(N('bi_bad'), [(1.0, t0)], hist=1); r.canary('v2_samples_and_histograms')
put('v2_samples_and_histograms', snappy(r.encode()))
r = V2(); r.add(N('bi_hist'), [], hist=2); r.canary('v2_histograms_only')
put('v2_histograms_only', snappy(r.encode()))
r = V2(['x']); r.add(N('bi_victim', ('case', 'v2_symbol0_not_empty')), [(1.0, t0)])
put('v2_symbol0_not_empty', snappy(r.encode()))
r = V2(); r.add_raw(packed(1, [1, 1 << 33]) + ld(2, dbl(1, 1.0) + vi(2, t0))); r.syms += ['__name__']; r.canary('v2_ref_past_32_bits')
put('v2_ref_past_32_bits', snappy(r.encode()))

# ---- valid bodies: sent after each body refused whole, and by the header and slow-client cases
cases = [f[:-5] for f in os.listdir(out) if f.endswith('.body')]
for case in cases + ['content_type_json', 'content_encoding_gzip', 'proto_unknown',
                     'huge_headers', 'many_headers', 'slow_body', 'slowloris']:
    put('canary_' + case, snappy(canary(case)))
