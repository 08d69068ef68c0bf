# SPDX-License-Identifier: Apache-2.0
"""tests/integration/promwire.py -- the wire formats the tests write and read by hand, with the
standard library only: protobuf fields (varints, length-delimited, fixed 64-bit), snappy block
bodies (literals only, which every decoder must accept), remote write 1.0 series, and reading a
varint back. Imported by the test scripts beside it (PYTHONPATH or sys.path)."""
import struct


def uv(n):
    """An unsigned varint (negative numbers as their 64-bit two's complement)."""
    n &= 0xFFFFFFFFFFFFFFFF
    b = bytearray()
    while True:
        if n < 0x80:
            b.append(n)
            return bytes(b)
        b.append((n & 0x7F) | 0x80)
        n >>= 7


def tag(f, wt):
    return uv(f << 3 | wt)


def ld(f, b):
    """A length-delimited field."""
    return tag(f, 2) + uv(len(b)) + b


def vi(f, n):
    """A varint field."""
    return tag(f, 0) + uv(n)


def dbl(f, x):
    """A double field."""
    return tag(f, 1) + struct.pack('<d', x)


def dbits(f, bits):
    """A fixed 64-bit field with the given bits (NaN payloads, the stale marker)."""
    return tag(f, 1) + struct.pack('<Q', bits)


def packed(f, ns):
    return ld(f, b''.join(uv(n) for n in ns))


def snappy(data):
    """Snappy block format: the length, then literals of at most 64 KiB."""
    o = bytearray(uv(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            o.append(n << 2)
        elif n < 256:
            o += bytes([60 << 2, n])
        else:
            o += bytes([61 << 2]) + struct.pack('<H', n)
        o += chunk
    return bytes(o)


def series(labels, samples):
    """A remote write 1.0 TimeSeries field: labels (a dict, written sorted) and (ms, value)."""
    b = b''.join(ld(1, ld(1, k.encode()) + ld(2, v.encode())) for k, v in sorted(labels.items()))
    for t, v in samples:
        b += ld(2, dbl(1, v) + vi(2, t))
    return ld(1, b)


def read_uv(b, i):
    """The varint at b[i:]: (value, index after it)."""
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i
