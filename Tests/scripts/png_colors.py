#!/usr/bin/env python3
"""png_colors.py FILE.png HEX...: prints the image size, the share of non-white pixels and, per
colour given, how many pixels are within 40 of it (sum of channel differences), as JSON.
Decodes 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) with the standard library."""
import json, struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = pixels(sys.argv[1])
targets = [tuple(int(x[i:i + 2], 16) for i in (0, 2, 4)) for x in (s.lstrip("#") for s in sys.argv[2:])]
counts, nonwhite = [0] * len(targets), 0
for line in rows:
    for i in range(0, len(line), bpp):
        px = line[i:i + 3]
        if sum(px) < 750: nonwhite += 1
        for k, t in enumerate(targets):
            if abs(px[0] - t[0]) + abs(px[1] - t[1]) + abs(px[2] - t[2]) <= 40: counts[k] += 1
print(json.dumps({"width": w, "height": h, "nonwhite_share": nonwhite / (w * h),
                  "colors": dict(zip(sys.argv[2:], counts))}))
