#!/usr/bin/env python3
"""Makes a story's screenshot small enough for the README (no image tools are installed here; standard library only):
each channel rounded to a multiple of STEP (4: 64 levels, not visible on a UI), the alpha channel dropped when
opaque, rows re-filtered (none, sub or up, whichever is smallest) and compressed at zlib level 9.

    python3 tests/browser/quantize-png.py tests/browser/screenshots/x-dark.png docs/screenshots/x-dark.png [STEP]
"""
import struct
import sys
import zlib


def chunks(png):
    i = 8
    while i < len(png):
        (n,) = struct.unpack(">I", png[i : i + 4])
        yield png[i + 4 : i + 8], png[i + 8 : i + 8 + n]
        i += 12 + n


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def unfilter(raw, height, stride, bpp):
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[p], bytearray(raw[p + 1 : p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return rows


def main(src, dst, step=4):
    parts = list(chunks(open(src, "rb").read()))
    width, height, depth, color = struct.unpack(">IIBB", dict(parts)[b"IHDR"][:10])
    if depth != 8 or color not in (2, 6):
        sys.exit(f"{src}: an 8-bit RGB or RGBA PNG only")
    bpp = 4 if color == 6 else 3
    raw = zlib.decompress(b"".join(d for k, d in parts if k == b"IDAT"))
    rows = unfilter(raw, height, width * bpp, bpp)
    if bpp == 4 and all(r[i] == 255 for r in rows for i in range(3, len(r), 4)):
        rows = [bytearray(v for i, v in enumerate(r) if i % 4 != 3) for r in rows]
        bpp = 3
    rows = [bytearray(min(255, (v + step // 2) // step * step) for v in r) for r in rows]
    cost = lambda line: sum(v if v < 128 else 256 - v for v in line)
    out, prev = bytearray(), bytearray(width * bpp)
    for r in rows:
        sub = bytearray((r[i] - (r[i - bpp] if i >= bpp else 0)) & 255 for i in range(len(r)))
        up = bytearray((r[i] - prev[i]) & 255 for i in range(len(r)))
        f, line = min(((0, r), (1, sub), (2, up)), key=lambda c: cost(c[1]))
        out.append(f)
        out += line
        prev = r
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if bpp == 4 else 2, 0, 0, 0)
    with open(dst, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(out), 9)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 4)
