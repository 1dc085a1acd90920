#!/usr/bin/python3
"""make_photo.py - writes a real image for the photo tests (Debian's python3-pil).

    make_photo.py FORMAT OUT [--bytes N] [--cut K] [--seed S]

FORMAT is jpeg, png or webp. The picture is noise (seeded: the same bytes
every run), sized so the file comes close to N bytes (default 20000); a
JPEG is then padded with COM segments and a PNG with a private ancillary
chunk to exactly N bytes, both still valid files. --cut K drops the last K
bytes (a file cut short). Prints the size written."""
import argparse
import random
import struct
import sys
import zlib
from io import BytesIO

from PIL import Image


def noise(side, seed):
    rnd = random.Random(seed)
    return Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))


def encode(fmt, img):
    out = BytesIO()
    if fmt == "jpeg":
        img.save(out, "JPEG", quality=90)
    elif fmt == "png":
        img.save(out, "PNG")
    else:
        img.save(out, "WEBP", quality=80)
    return out.getvalue()


def near(fmt, want, seed):
    """The largest noise picture whose file is at most want bytes."""
    side, best = 8, None
    while True:
        data = encode(fmt, noise(side, seed))
        if len(data) > want:
            return best if best is not None else data
        best = data
        side += max(1, side // 8)


def pad_jpeg(data, want):
    """COM segments (FF FE, 16-bit length, text) right after SOI."""
    extra = want - len(data)
    segs = b""
    while extra > 0:            # segments of 4 to 65537 bytes; never 1 to 3 left over
        n = extra if extra <= 65537 else min(65537, extra - 4)
        body = n - 4
        segs += b"\xff\xfe" + struct.pack(">H", body + 2) + b"n" * body
        extra -= n
    return data[:2] + segs + data[2:]


def pad_png(data, want):
    """One private ancillary chunk 'npPd' before IEND (12 bytes + payload)."""
    extra = want - len(data)
    if extra < 12:
        return data
    body = b"p" * (extra - 12)
    chunk = struct.pack(">I", len(body)) + b"npPd" + body
    chunk += struct.pack(">I", zlib.crc32(b"npPd" + body) & 0xFFFFFFFF)
    return data[:-12] + chunk + data[-12:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("format", choices=["jpeg", "png", "webp"])
    ap.add_argument("out")
    ap.add_argument("--bytes", type=int, default=20000)
    ap.add_argument("--cut", type=int, default=0)
    ap.add_argument("--seed", type=int, default=15)
    a = ap.parse_args()
    data = near(a.format, a.bytes - 200, a.seed)
    if a.format == "jpeg":
        data = pad_jpeg(data, a.bytes)
    elif a.format == "png":
        data = pad_png(data, a.bytes)
    if a.cut:
        data = data[:-a.cut]
    with open(a.out, "wb") as f:
        f.write(data)
    print(len(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
