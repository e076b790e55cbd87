"""Image intake: recognise from bytes, refuse bombs, strip every trace of metadata, resize.

Everything here is blocking CPU work: call it from a worker thread, never the event loop.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from blurhash_rs import blurhash_encode
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from scrapbook.core.errors import ErrorCode, InvalidInput, TooLarge, UnsupportedMedia
from scrapbook.core.units import limit_words, size_words

pillow_heif.register_heif_opener()
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Only these decoders are ever tried, whatever the file name or Content-Type claimed.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/heic")
OUTPUT_TYPE = "image/webp"
WEBP_QUALITY = 82
# libwebp's effort (0-6) for each derivative. The display copy uses 1: on photographs (and
# photographed drawings) it makes files within about 2% of method 4's, at the same quality, in
# less than half the time (clean digital drawings grow by up to about 13%). The thumb, served
# two dozen to a gallery page, keeps 4: its files are up to 8% smaller, for ~35 ms.
WEBP_METHODS = {"display": 1, "thumb": 4}
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class Derivative:
    name: str
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    width: int
    height: int
    blurhash: str
    derivatives: tuple[Derivative, ...]


@contextmanager
def _opened(data: bytes | BinaryIO, max_bytes: int, max_pixels: int,
            label: str) -> Iterator[Image.Image]:
    """The image opened lazily after every check its header allows: not empty, not too many
    bytes, a known format, not too many pixels. Nothing is decoded yet."""
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if not size:
        raise InvalidInput(f"{label} is empty.", code=ErrorCode.empty_file, field="files")
    if size > max_bytes:
        raise TooLarge(
            f"{label} is {size_words(size)}; the limit is {limit_words(max_bytes)}.",
            code=ErrorCode.file_too_large, field="files",
        )
    with warnings.catch_warnings():
        # Pillow's own bomb guard, as a second line behind our pixel check.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            source = Image.open(stream, formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise TooLarge(
                f"{label} has too many pixels to process safely.",
                code=ErrorCode.too_many_pixels, field="files"
            ) from exc
        except Exception as exc:  # Pillow raises many types for unknown or corrupt data
            raise UnsupportedMedia(
                f"{label} is not a JPEG, PNG, WebP, GIF or HEIC image.",
                code=ErrorCode.unsupported_type, field="files"
            ) from exc
        with source:
            width, height = source.size
            if source.format == "HEIF":
                # libheif reports the size after its crop (clap) and rotation, but decodes the
                # whole coded image first: the coded size is the one that costs memory.
                width, height = _heif_coded_size(stream, label, (width, height))
            if width < 1 or height < 1 or width * height > max_pixels:
                raise TooLarge(
                    f"{label} is {width}×{height} pixels; the limit is "
                    f"{max_pixels // 1_000_000} megapixels.",
                    code=ErrorCode.too_many_pixels, field="files",
                )
            yield source


def check_image(
    data: bytes | BinaryIO, *, max_bytes: int, max_pixels: int, label: str = "The image"
) -> tuple[int, int]:
    """Check what the header tells before anything is stored; returns (width, height)."""
    with _opened(data, max_bytes, max_pixels, label) as source:
        return source.size


def process_image(
    data: bytes | BinaryIO,
    *,
    max_bytes: int,
    max_pixels: int,
    display_edge: int,
    thumb_edge: int,
    label: str = "The image",
) -> ProcessedImage:
    """Clean one image, given as bytes or as a seekable file (e.g. a spooled upload)."""
    with _opened(data, max_bytes, max_pixels, label) as source:
        try:
            source.seek(0)  # GIF and animated WebP: the first frame only
            if not isinstance(source, JpegImagePlugin.JpegImageFile):
                source.load()  # a PNG's EXIF may follow its pixels; a JPEG's comes first
            method = _TRANSPOSE.get(_orientation(source))
            upright = _turned(source.size, method)
            display_size = _fitted_size(upright, display_edge)
            # The display size as the picture is stored (a sideways photo is still sideways).
            stored_size = _turned(display_size, method)
            box = None
            if isinstance(source, JpegImagePlugin.JpegImageFile):
                box = _draft(source, stored_size)
            source.load()
            display = _display(source, stored_size, method, box)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise TooLarge(
                f"{label} has too many pixels to process safely.",
                code=ErrorCode.too_many_pixels, field="files"
            ) from exc
        except RuntimeError as exc:  # libheif: its own security limits, allocation failures
            if "limit" in str(exc).lower():
                raise TooLarge(
                    f"{label} has too many pixels to process safely.",
                    code=ErrorCode.too_many_pixels, field="files"
                ) from exc
            raise InvalidInput(
                f"{label} is damaged or incomplete and cannot be read.",
                code=ErrorCode.invalid_image, field="files"
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise InvalidInput(
                f"{label} is damaged or incomplete and cannot be read.",
                code=ErrorCode.invalid_image, field="files"
            ) from exc

    # The thumb is reduced from the display copy, not the full picture again; its size is still
    # fitted to the picture's own proportions.
    thumb = _resized(display, _fitted_size(upright, thumb_edge))
    return ProcessedImage(
        width=display.width,
        height=display.height,
        blurhash=_blurhash(thumb),
        derivatives=(_encode("display", display), _encode("thumb", thumb)),
    )


def _draft(im: JpegImagePlugin.JpegImageFile,
           size: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """Have libjpeg decode at 1/2, 1/4 or 1/8 scale, the largest reduction that still
    leaves at least `size` (the stored orientation's display size), so the full picture is
    never held. Returns the original picture's extent in the reduced image (a side that is not
    a multiple of the scale leaves a part pixel at the edge), for the exact final resize."""
    if im.size == size:
        return None
    drafted = im.draft(None, size)  # the scale only, never a mode change
    if drafted is None:
        return None
    left, top, right, bottom = drafted[1]
    return left, top, right, bottom


def _display(im: Image.Image, size: tuple[int, int], method: Image.Transpose | None,
             box: tuple[float, float, float, float] | None) -> Image.Image:
    """The display copy, `size` as stored: reduced once from the decoded picture (the part of it
    in `box`, when given), then turned upright, converted to sRGB and rebuilt from raw pixels so
    that no metadata survives. Only the reduction touches the full picture; every other step
    works on the display size."""
    icc = im.info.get("icc_profile")
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    target = "RGBA" if has_alpha else "RGB"
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda v: v / 256).convert("L")  # 16-bit grey down to 8 bits
    if im.mode not in ("RGB", "RGBA", "CMYK", "L") or (has_alpha and im.mode != "RGBA"):
        im = im.convert(target)  # palette and colour-key transparency, before any resampling
    im = _resized(im, size, box=box)
    if method is not None:
        im = im.transpose(method)  # the metadata itself is never copied nor re-written
    if icc:
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = ImageCms.profileToProfile(im, source_profile, _SRGB, outputMode=target)
            if out is not None:
                im = out
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: treat the pixels as sRGB
    if im.mode != target:
        im = im.convert(target)
    return Image.frombytes(im.mode, im.size, im.tobytes())


def _turned(size: tuple[int, int], method: Image.Transpose | None) -> tuple[int, int]:
    """A size after (or before) the Orientation's transpose: a quarter turn swaps the sides."""
    return (size[1], size[0]) if method in _SWAPS else size


_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SWAPS = (
    Image.Transpose.TRANSPOSE, Image.Transpose.ROTATE_270,
    Image.Transpose.TRANSVERSE, Image.Transpose.ROTATE_90,
)


def _orientation(im: Image.Image) -> int:
    """The EXIF Orientation, or 1 when the metadata cannot be read (mistyped tags, IFDs of the
    wrong type, damaged offsets): unreadable metadata is ignored, never an error. (HEIC: libheif
    has already applied its own rotation, and pillow_heif reports 1 here.)"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = im.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 (Pillow raises many types for malformed EXIF)
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _heif_coded_size(stream: BinaryIO, label: str, shown: tuple[int, int]) -> tuple[int, int]:
    """The largest coded size (`ispe`) of any image item in a HEIF file, at least the size
    libheif shows. A crop (`clap`) can make a huge coded image look small."""
    sizes = [shown]
    try:
        stream.seek(0)
        data = stream.read()  # pillow_heif has read it all into memory too
        meta = _child(data, 0, len(data), b"meta")
        iprp = meta and _child(data, meta[0] + 4, meta[1], b"iprp")  # meta is a FullBox
        ipco = iprp and _child(data, iprp[0], iprp[1], b"ipco")
        if ipco:
            for kind, start, end in _boxes(data, *ipco):
                if kind == b"ispe" and end - start >= 12:
                    sizes.append(struct.unpack(">II", data[start + 4:start + 12]))
    except (struct.error, ValueError) as exc:
        raise UnsupportedMedia(
            f"{label} is not a JPEG, PNG, WebP, GIF or HEIC image.",
            code=ErrorCode.unsupported_type, field="files"
        ) from exc
    if len(sizes) == 1:  # no coded size that we can read: not a HEIC we can vouch for
        raise UnsupportedMedia(
            f"{label} is not a JPEG, PNG, WebP, GIF or HEIC image.",
            code=ErrorCode.unsupported_type, field="files"
        )
    return max(sizes, key=lambda size: size[0] * size[1])


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """ISOBMFF boxes between start and end: (type, payload start, payload end)."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[at + 8:at + 16])
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise ValueError("box runs past its parent")
        yield kind, at + header, at + size
        at += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload, stop in _boxes(data, start, end):
        if found == kind:
            return payload, stop
    return None


def _fitted_size(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size within an edge x edge box, never larger than size: `Image.thumbnail`'s own
    arithmetic, so that every path gives the sizes it always gave."""
    width, height = size
    if edge >= width and edge >= height:
        return size
    aspect = width / height
    if aspect >= 1:
        rounded = min(math.floor(edge / aspect), math.ceil(edge / aspect),
                      key=lambda n: 0 if n == 0 else abs(aspect - edge / n))
        return edge, max(rounded, 1)
    rounded = min(math.floor(edge * aspect), math.ceil(edge * aspect),
                  key=lambda n: abs(aspect - n / edge))
    return max(rounded, 1), edge


def _resized(im: Image.Image, size: tuple[int, int],
             resample: Image.Resampling = Image.Resampling.LANCZOS,
             box: tuple[float, float, float, float] | None = None) -> Image.Image:
    """A new image of `size` (`Image.thumbnail`'s resampling), or the same one if it already
    is that size: never a needless copy."""
    if im.size == size and box is None:
        return im
    return im.resize(size, resample, box=box, reducing_gap=2.0)


def _encode(name: str, im: Image.Image) -> Derivative:
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHODS[name])
    return Derivative(name, buf.getvalue(), OUTPUT_TYPE, im.width, im.height)


def _blurhash(im: Image.Image) -> str:
    """From the thumb, reduced to 32 px first (alpha dropped, as the encoder would)."""
    if im.mode != "RGB":
        im = im.convert("RGB")  # before reducing: transparent pixels keep their colour
    small = _resized(im, _fitted_size(im.size, 32), Image.Resampling.BICUBIC)
    x, y = (4, 3) if small.width >= small.height else (3, 4)
    return blurhash_encode(small, x_components=x, y_components=y)
