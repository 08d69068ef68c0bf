# SPDX-License-Identifier: Apache-2.0
# tests/integration/png_info.py -- reads a PNG with the standard library only: checks the chunk
# CRCs, prints "WIDTH HEIGHT INK TITLE" where INK counts the non-white pixels in the left part
# of the plot area (x 20-40%, y 20-80%: blank on a "no data" chart). Exit 1 when unsound.
import struct
import sys
import zlib


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG: " + path)
    i, chunks = 8, []
    while i + 12 <= len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if struct.unpack(">I", data[i + 8 + n:i + 12 + n])[0] != zlib.crc32(kind + body):
            sys.exit("bad CRC in " + kind.decode("latin-1"))
        chunks.append((kind, body))
        i += 12 + n
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        sys.exit("IHDR not first or IEND not last")
    w, h, depth, ctype = struct.unpack(">IIBB", chunks[0][1][:10])
    if depth != 8 or ctype != 2:
        sys.exit("not 8-bit RGB")
    title = ""
    for kind, body in chunks:
        if kind == b"tEXt" and body.split(b"\0", 1)[0] == b"Title":
            title = body.split(b"\0", 1)[1].decode("latin-1")
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = 3 * w
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(line)
        prev = line
    ink = 0
    for y in range(h // 5, h * 4 // 5):
        r = rows[y]
        for x in range(w // 5, w * 2 // 5):
            if r[3 * x:3 * x + 3] != b"\xff\xff\xff":
                ink += 1
    print(w, h, ink, title)


main(sys.argv[1])
