"""Benchmark 4 of issue 10: the image pipeline on a 12-megapixel photo beside libvips.

Run: .venv/bin/python -m bench.images [--repeats N]

`process_image` (ours) and a libvips pipeline (pyvips) producing the same outputs from the same
bytes: the display WebP (long edge at most 2048 px), the thumb WebP (at most 640 px) and the
blurhash, each WebP at the same quality and effort with every piece of metadata left out, the
picture turned upright by its EXIF Orientation. They run interleaved (ours, vips, ours,
vips, ...) after one warm-up each, and each side's median is reported with the ratio.

The anchor is libvips used as its documentation advises (`thumbnail_buffer`, which shrinks
while decoding, or a load with the same shrink as our JPEG draft where that is further; then
the thumb from the display copy kept in memory), at its default thread
count; its single-threaded time and both sides' CPU time are reported too, so that two cores
lent to libvips cannot hide or invent a difference. On a shared machine the CPU ratio is the
steadier figure; the load average at start and end is printed. `--stages` times each stage
alone (decode, reduce, turn, encode), Pillow beside libvips: the profile behind the ratio.

The photo is made here (nothing binary is committed): 4000x3000, gradients, shapes, soft
edges and mild grain (not pure noise, which compresses unlike any photograph), saved as a
quality 90 JPEG with camera EXIF (Orientation 6: stored sideways, as phones do) and GPS. The
benchmark checks that neither side's output carries any of it.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

from PIL import Image, ImageChops, ImageDraw, ImageFilter
from PIL.ExifTags import IFD

from scrapbook.media import images
from scrapbook.media.images import process_image

DISPLAY_EDGE = 2048
THUMB_EDGE = 640
# The anchor encodes exactly as ours does: libwebp's `method` is libvips's `effort`. (Read from
# the module, so that the benchmark also measures older commits fairly: they used 82 and 4.)
WEBP_QUALITY: int = getattr(images, "WEBP_QUALITY", 82)
WEBP_EFFORT: dict[str, int] = getattr(images, "WEBP_METHODS", {"display": 4, "thumb": 4})
SECRETS = (b"BenchCam", b"Exif\0\0")  # the camera name, the EXIF block's own header


@dataclass(frozen=True)
class Outputs:
    display: bytes
    display_size: tuple[int, int]
    thumb: bytes
    thumb_size: tuple[int, int]
    blurhash: str


def make_photo(width: int = 4000, height: int = 3000, seed: int = 10) -> bytes:
    """A photograph-like JPEG: sky and ground gradients, hills, blocks and discs with soft
    edges, fine grain; EXIF with a camera name, Orientation 6 and GPS coordinates."""
    rng = random.Random(seed)
    ramp = Image.linear_gradient("L").resize((width, height))
    glow = Image.radial_gradient("L").resize((width, height))
    sky = Image.merge(
        "RGB",
        (ramp.point(lambda v: 70 + v // 3), ramp.point(lambda v: 120 + v // 3),
         glow.point(lambda v: 235 - v // 4)),
    )
    im = sky
    draw = ImageDraw.Draw(im)
    horizon = int(height * 0.55)
    for layer in range(4):  # hills, darker towards the front
        base = horizon + layer * height // 14
        points = [(0, height)]
        for x in range(0, width + 200, 200):
            points.append((x, base + rng.randint(-height // 12, height // 12)))
        points.append((width, height))
        shade = 40 + layer * 25
        draw.polygon(points, fill=(shade // 2, 90 + layer * 20 - shade // 3, shade // 3))
    for _ in range(60):  # houses, walls, windows
        x, y = rng.randrange(width), rng.randrange(horizon - 200, height)
        w, h = rng.randint(40, 400), rng.randint(40, 300)
        colour = tuple(rng.randint(60, 230) for _ in range(3))
        draw.rectangle((x, y, x + w, y + h), fill=colour)
        for _ in range(rng.randint(0, 6)):
            wx, wy = x + rng.randint(0, w), y + rng.randint(0, h)
            draw.rectangle((wx, wy, wx + 20, wy + 28), fill=(30, 30, 40))
    for _ in range(40):  # trees, clouds, a sun
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randint(20, 260)
        colour = tuple(rng.randint(20, 250) for _ in range(3))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(1.5))  # a lens, not a vector drawing
    # Texture at several scales (foliage, grass, brick, cloud), strong below the horizon and
    # faint in the sky, then fine sensor grain everywhere.
    texture = Image.new("L", (width, height), 128)
    for scale, sigma in ((64, 40), (16, 30), (4, 26), (2, 20)):
        noise = Image.effect_noise((width // scale, height // scale), sigma)
        noise = noise.resize((width, height), Image.Resampling.BICUBIC)
        texture = ImageChops.add(texture, noise, offset=-128)
    ground = Image.new("L", (width, height), 40)
    ImageDraw.Draw(ground).rectangle((0, horizon - height // 12, width, height), fill=255)
    ground = ground.filter(ImageFilter.GaussianBlur(40))
    shaded = ImageChops.overlay(im, Image.merge("RGB", (texture, texture, texture)))
    im = Image.composite(shaded, im, ground)
    grain = Image.effect_noise((width, height), 6)
    im = ImageChops.add(im, Image.merge("RGB", (grain, grain, grain)), offset=-128)
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "BenchCam Model 12"  # Model
    exif[0x0112] = 6  # Orientation: stored sideways
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[1], gps[2] = "N", (Fraction(50), Fraction(43), Fraction(3141, 100))
    gps[3], gps[4] = "W", (Fraction(3), Fraction(32), Fraction(2718, 100))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def ours(data: bytes) -> Outputs:
    result = process_image(
        data, max_bytes=20_000_000, max_pixels=40_000_000,
        display_edge=DISPLAY_EDGE, thumb_edge=THUMB_EDGE,
    )
    by_name = {d.name: d for d in result.derivatives}
    display, thumb = by_name["display"], by_name["thumb"]
    return Outputs(display.data, (display.width, display.height), thumb.data,
                   (thumb.width, thumb.height), result.blurhash)


def vips(data: bytes) -> Outputs:
    """libvips as its documentation advises: shrink while decoding (as far as ours does, see
    _draft_scale), turn upright, reduce once (Lanczos 3, as ours), the thumb from the display
    copy held in memory (not a second decode), WebP without metadata; the blurhash by the same
    encoder as ours."""
    import pyvips  # type: ignore[import-untyped]
    from blurhash_rs import blurhash_encode

    shrink = _draft_scale(data)
    if shrink > 1:  # ours decodes this JPEG reduced: libvips may shrink as much while loading
        display = pyvips.Image.new_from_buffer(data, "", shrink=shrink, access="sequential")
        display = display.thumbnail_image(DISPLAY_EDGE, height=DISPLAY_EDGE, size="down")
    else:
        display = pyvips.Image.thumbnail_buffer(
            data, DISPLAY_EDGE, height=DISPLAY_EDGE, size="down"
        )
    display = display.copy_memory()
    thumb = display.thumbnail_image(THUMB_EDGE, height=THUMB_EDGE, size="down").copy_memory()
    keep = pyvips.enums.ForeignKeep.NONE
    display_webp = display.webpsave_buffer(
        Q=WEBP_QUALITY, effort=WEBP_EFFORT["display"], keep=keep
    )
    thumb_webp = thumb.webpsave_buffer(Q=WEBP_QUALITY, effort=WEBP_EFFORT["thumb"], keep=keep)
    tiny = thumb.thumbnail_image(32, height=32)
    small = Image.frombytes("RGB", (tiny.width, tiny.height), tiny.write_to_memory())
    x, y = (4, 3) if small.width >= small.height else (3, 4)
    return Outputs(display_webp, (display.width, display.height), thumb_webp,
                   (thumb.width, thumb.height), blurhash_encode(small, x, y))


def _draft_scale(data: bytes) -> int:
    """The scale at which ours has libjpeg decode this JPEG: the largest of 8, 4 and 2 that
    still leaves the display size (Pillow's draft rule), else 1. libvips's own thumbnail keeps
    a factor of two for its final resize, so it would decode a 24 MP photo whole where ours
    decodes it at half size: the anchor is given the same shrink-on-load instead."""
    with Image.open(io.BytesIO(data)) as im:  # the header only
        width, height = im.size
    long, short = max(width, height), min(width, height)
    if long <= DISPLAY_EDGE:
        return 1
    exact = DISPLAY_EDGE * short / long  # Image.thumbnail's rounding of the short side
    fitted = min(math.floor(exact), math.ceil(exact),
                 key=lambda n: 0 if n == 0 else abs(long / short - DISPLAY_EDGE / n))
    room = min(long // DISPLAY_EDGE, short // max(fitted, 1))
    return next(scale for scale in (8, 4, 2, 1) if room >= scale)


def _check(out: Outputs, label: str, size: tuple[int, int]) -> None:
    """Both sides must really make what the benchmark claims: upright, sized, clean."""
    for edge, got in ((DISPLAY_EDGE, out.display_size), (THUMB_EDGE, out.thumb_size)):
        assert max(got) == min(edge, max(size)), (label, got)
        # Orientation 6: a picture stored landscape is upright portrait.
        assert (got[0] <= got[1]) == (size[0] >= size[1]), (label, got)
    for blob in (out.display, out.thumb):
        assert blob[:4] == b"RIFF" and blob[8:12] == b"WEBP", label
        for secret in SECRETS:
            assert secret not in blob, (label, secret)
        assert _chunks(blob) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, (label, _chunks(blob))
        im = Image.open(io.BytesIO(blob))
        assert not im.getexif() and "icc_profile" not in im.info, label
    assert len(out.blurhash) == 28, label


def _chunks(webp: bytes) -> set[bytes]:
    """The RIFF chunk types of a WebP file: no EXIF, XMP or ICCP chunk may be among them."""
    kinds, at = set(), 12
    while at + 8 <= len(webp):
        kinds.add(webp[at:at + 4])
        at += 8 + (int.from_bytes(webp[at + 4:at + 8], "little") + 1) // 2 * 2  # padded to even
    return kinds


def _timed(call: Callable[[], Outputs]) -> tuple[float, float, Outputs]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = call()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def run(repeats: int = 7, size: tuple[int, int] = (4000, 3000)) -> list[tuple[str, str]]:
    import pyvips

    # Every call here is a new upload: libvips's operation cache must not answer a repeat.
    pyvips.cache_set_max(0)
    data = make_photo(*size)
    threads = pyvips.concurrency_get()
    sides: dict[str, Callable[[], Outputs]] = {
        "ours": lambda: ours(data),
        "vips": lambda: vips(data),
        "vips1": lambda: vips(data),
    }
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    paired: list[float] = []  # each round's ours / vips: steadier than medians when load drifts
    last: dict[str, Outputs] = {}
    for i in range(repeats + 1):  # the first round warms up and is not counted
        for name, call in sides.items():
            pyvips.concurrency_set(1 if name == "vips1" else threads)
            w, c, last[name] = _timed(call)
            if i:
                wall[name].append(w)
                cpu[name].append(c)
        if i:
            paired.append(wall["ours"][-1] / wall["vips"][-1])
    pyvips.concurrency_set(threads)
    for name, out in last.items():
        _check(out, name, size)
    assert last["ours"].display_size == last["vips"].display_size
    assert last["ours"].thumb_size == last["vips"].thumb_size

    def ms(samples: list[float]) -> float:
        return statistics.median(samples) * 1000

    o, v, v1 = (ms(wall[k]) for k in ("ours", "vips", "vips1"))
    oc, vc, v1c = (ms(cpu[k]) for k in ("ours", "vips", "vips1"))
    kb = {k: (len(out.display) / 1000, len(out.thumb) / 1000) for k, out in last.items()}
    photo = (f"{size[0] * size[1] / 1e6:.0f} MP JPEG ({len(data) / 1e6:.1f} MB, "
             "EXIF Orientation 6 + GPS)")
    return [
        (f"image pipeline, {photo} -> display + thumb WebP + blurhash (ours)",
         f"median {o:.0f} ms wall, {oc:.0f} ms CPU over {repeats}"),
        (f"anchor: libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}, "
         f"same outputs, {threads} threads",
         f"median {v:.0f} ms wall, {vc:.0f} ms CPU"),
        ("anchor: libvips, 1 thread", f"median {v1:.0f} ms wall, {v1c:.0f} ms CPU"),
        ("ratio ours / libvips (wall)",
         f"x{o / v:.2f} (target <= 1.0); median of each round's ratio "
         f"x{statistics.median(paired):.2f}; x{o / v1:.2f} vs 1 thread"),
        ("ratio ours / libvips (CPU)", f"x{oc / vc:.2f}; x{oc / v1c:.2f} vs 1 thread"),
        ("WebP sizes, display / thumb",
         f"ours {kb['ours'][0]:.0f} / {kb['ours'][1]:.0f} kB; "
         f"libvips {kb['vips'][0]:.0f} / {kb['vips'][1]:.0f} kB"),
    ]


def stages(repeats: int = 5) -> list[tuple[str, str]]:
    """Where the time goes: each stage alone, CPU time, Pillow beside single-threaded libvips
    on the same pixels (interleaved, medians). What explains the remaining ratio."""
    import pyvips

    pyvips.cache_set_max(0)
    threads = pyvips.concurrency_get()
    pyvips.concurrency_set(1)
    data = make_photo()
    lanczos = Image.Resampling.LANCZOS
    full = Image.open(io.BytesIO(data))
    full.load()
    display = full.resize((2048, 1536), lanczos, reducing_gap=2.0)
    thumb = display.resize((640, 480), lanczos, reducing_gap=2.0)
    raw = {"full": full.tobytes(), "display": display.tobytes(), "thumb": thumb.tobytes()}
    v_full, v_display, v_thumb = (
        pyvips.Image.new_from_memory(raw[k], im.width, im.height, 3, "uchar").copy_memory()
        for k, im in (("full", full), ("display", display), ("thumb", thumb))
    )

    def decode() -> Image.Image:
        im = Image.open(io.BytesIO(data))
        im.load()
        return im

    def webp(im: Image.Image, method: int) -> None:
        im.save(io.BytesIO(), "WEBP", quality=WEBP_QUALITY, method=method)

    efforts = sorted({*WEBP_EFFORT.values()})
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "JPEG decode, 4000x3000": (
            decode, lambda: pyvips.Image.new_from_buffer(data, "").copy_memory()),
        "Lanczos 3, 4000x3000 -> 2048x1536": (
            lambda: full.resize((2048, 1536), lanczos, reducing_gap=2.0),
            lambda: v_full.thumbnail_image(DISPLAY_EDGE, height=DISPLAY_EDGE).copy_memory()),
        "decode + reduce (libvips: thumbnail_buffer, the two fused)": (
            lambda: decode().resize((2048, 1536), lanczos, reducing_gap=2.0),
            lambda: pyvips.Image.thumbnail_buffer(
                data, DISPLAY_EDGE, height=DISPLAY_EDGE, no_rotate=True).copy_memory()),
        "quarter turn, 2048x1536": (
            lambda: display.transpose(Image.Transpose.ROTATE_270),
            lambda: v_display.rot90().copy_memory()),
        "Lanczos 3, 2048x1536 -> 640x480": (
            lambda: display.resize((640, 480), lanczos, reducing_gap=2.0),
            lambda: v_display.thumbnail_image(THUMB_EDGE, height=THUMB_EDGE).copy_memory()),
    }
    for m in efforts:
        for label, im, v_im in (("2048x1536", display, v_display), ("640x480", thumb, v_thumb)):
            pairs[f"WebP q{WEBP_QUALITY} method {m}, {label}"] = (
                partial(webp, im, m),
                partial(v_im.webpsave_buffer, Q=WEBP_QUALITY, effort=m, keep=0),
            )
    samples: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for i in range(repeats + 1):
        for name, calls in pairs.items():
            for side, call in enumerate(calls):
                start = time.process_time()
                call()
                if i:
                    samples[name][side].append(time.process_time() - start)
    pyvips.concurrency_set(threads)
    rows = []
    for name, (pillow, libvips) in samples.items():
        p, v = statistics.median(pillow) * 1000, statistics.median(libvips) * 1000
        rows.append((f"stage: {name}", f"Pillow {p:.0f} ms, libvips {v:.0f} ms CPU (x{p / v:.2f})"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--size", default="4000x3000", help="the photo's stored WIDTHxHEIGHT")
    parser.add_argument("--stages", action="store_true",
                        help="also time each stage alone, Pillow beside libvips (CPU)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with open("/proc/loadavg") as f:
        load_start = f.read().split()[:3]
    rows = run(args.repeats, (width, height))
    if args.stages:
        rows += stages(args.repeats)
    with open("/proc/loadavg") as f:
        load_end = f.read().split()[:3]
    print(f"cores: {os.cpu_count()}; load average at start {' '.join(load_start)}, "
          f"at end {' '.join(load_end)}\n")
    print("| what | result |\n|---|---|")
    for what, result in rows:
        print(f"| {what} | {result} |")


if __name__ == "__main__":
    main()
