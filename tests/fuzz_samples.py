"""Hand-built hostile images: HEIC with a crop box hiding its coded size, JPEG with mistyped
EXIF tags. Made by editing bytes, so each is exactly the fault it names."""

from __future__ import annotations

import io
import struct

from PIL import Image

from tests.samples import heic_image

ORIENTATION, X_RESOLUTION, SUB_IFDS, INTEROP_IFD = 0x0112, 0x011A, 0x014A, 0xA005
ASCII, SHORT, RATIONAL = 2, 3, 5


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _children(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, box start, box end) of the plain 32-bit-sized boxes between start and end."""
    out, at = [], start
    while at < end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        out.append((kind, at, at + size))
        at += size
    return out


def _find(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int]:
    return next((s, e) for k, s, e in _children(data, start, end) if k == kind)


def heic_with_clap(width: int = 64, height: int = 64, crop: tuple[int, int] = (16, 16),
                   coded: tuple[int, int] | None = None) -> bytes:
    """A HEIC whose primary image carries a clean-aperture (`clap`) crop to `crop`; with
    `coded`, its `ispe` also claims that coded size (the stream itself stays width x height)."""
    data = bytearray(heic_image(width, height))
    meta = _find(data, 0, len(data), b"meta")
    iprp = _find(data, meta[0] + 12, meta[1], b"iprp")
    ipco = _find(data, iprp[0] + 8, iprp[1], b"ipco")
    ipma = _find(data, ipco[1], iprp[1], b"ipma")
    properties = _children(data, ipco[0] + 8, ipco[1])
    if coded:
        ispe = next(s for k, s, _ in properties if k == b"ispe")
        data[ispe + 12:ispe + 20] = struct.pack(">II", *coded)
    cw, ch = crop
    clap = _box(b"clap", struct.pack(">IIIIiIiI", cw, 1, ch, 1, 0, 1, 0, 1))
    # ipma (version 0, flags 0): entry count, then per item: id (u16), count (u8), 1-byte indices.
    body = bytes(data[ipma[0] + 12:ipma[1]])
    (entries,) = struct.unpack(">I", body[:4])
    assert entries == 1 and not data[ipma[0] + 8:ipma[0] + 12].strip(b"\0"), "one item, v0"
    item, count = struct.unpack(">HB", body[4:7])
    associations = body[7:7 + count] + bytes([0x80 | (len(properties) + 1)])  # essential
    new_ipma = _box(b"ipma", bytes(4) + struct.pack(">IHB", 1, item, count + 1) + associations)
    new_ipco = _box(b"ipco", bytes(data[ipco[0] + 8:ipco[1]]) + clap)
    new_iprp = _box(b"iprp", new_ipco + new_ipma)
    grown = len(new_iprp) - (iprp[1] - iprp[0])
    head = bytearray(data[:iprp[0]] + new_iprp + data[iprp[1]:meta[1]])
    struct.pack_into(">I", head, meta[0], meta[1] - meta[0] + grown)
    _shift_iloc(head, meta, grown)
    return bytes(head) + bytes(data[meta[1]:])


def _shift_iloc(data: bytearray, meta: tuple[int, int], by: int) -> None:
    """Move every file-offset extent in `iloc` (versions 0/1) by `by` bytes."""
    start, _ = _find(data, meta[0] + 12, meta[1] + by, b"iloc")
    version = data[start + 8]
    at = start + 12
    sizes, more = data[at], data[at + 1]
    offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
    index_size = more & 15 if version else 0
    at += 2
    (items,) = struct.unpack(">H", data[at:at + 2])
    at += 2
    fmt = {0: "", 4: ">I", 8: ">Q"}
    for _ in range(items):
        at += 2  # item id
        method = 0
        if version:
            method = struct.unpack(">H", data[at:at + 2])[0] & 15
            at += 2
        at += 2  # data reference index
        base = at
        at += base_size
        (extents,) = struct.unpack(">H", data[at:at + 2])
        at += 2
        if method == 0 and base_size:
            struct.pack_into(fmt[base_size], data, base,
                             struct.unpack(fmt[base_size], data[base:base + base_size])[0] + by)
        for _ in range(extents):
            at += index_size
            if method == 0 and not base_size and offset_size:
                value = struct.unpack(fmt[offset_size], data[at:at + offset_size])[0]
                struct.pack_into(fmt[offset_size], data, at, value + by)
            at += offset_size + length_size


def _ifd_entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
    return struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\0")


def jpeg_with_mistyped_exif(fault: str, orientation: int = 6,
                            width: int = 80, height: int = 60) -> bytes:
    """A JPEG (red left half, blue right) whose hand-written EXIF has an Orientation and one
    mistyped tag: `rational_as_text` (XResolution as ASCII), `ifd_as_text` (the Interop IFD
    pointer as ASCII), `ifd_as_rational` (SubIFDs as a RATIONAL)."""
    entries = [_ifd_entry(ORIENTATION, SHORT, 1, struct.pack(">H", orientation))]
    tail = b""
    out_of_line = 8 + 2 + 12 * 2 + 4  # just after the IFD
    if fault == "rational_as_text":
        entries.append(_ifd_entry(X_RESOLUTION, ASCII, 3, b"72\0"))
    elif fault == "ifd_as_text":
        entries.append(_ifd_entry(INTEROP_IFD, ASCII, 8, struct.pack(">I", out_of_line)))
        tail = b"R98\0\0\0\0\0"
    elif fault == "ifd_as_rational":
        entries.append(_ifd_entry(SUB_IFDS, RATIONAL, 1, struct.pack(">I", out_of_line)))
        tail = struct.pack(">II", 72, 1)
    else:
        raise ValueError(fault)
    tiff = b"MM\0*" + struct.pack(">IH", 8, len(entries)) + b"".join(entries) + bytes(4) + tail
    im = Image.new("RGB", (width, height), (255, 0, 0))
    im.paste((0, 0, 255), (width // 2, 0, width, height))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=b"Exif\0\0" + tiff)
    return buf.getvalue()
