"""process_image: what a user would check about every uploaded image."""

from __future__ import annotations

import io

import blurhash_rs
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat, JpegImagePlugin

from scrapbook.core.errors import InvalidInput, TooLarge, UnsupportedMedia
from scrapbook.media.images import ProcessedImage, check_image, process_image
from tests.fuzz_samples import heic_with_clap, jpeg_with_mistyped_exif
from tests.samples import (
    BLUE,
    GREEN,
    RED,
    SECRET_STRINGS,
    animated_gif,
    colour_key_png,
    gray16_png,
    heic_image,
    html_bytes,
    icc_jpeg,
    jpeg_magic_then_garbage,
    jpeg_with_metadata,
    pdf_disguised_as_jpeg,
    pixel_flood_png,
    plain_jpeg,
    plain_png,
    png_with_alpha,
    png_with_text_chunks,
    svg_bytes,
    text_disguised_as_jpeg,
    tracking_exif,
    truncated_jpeg,
    webp_image,
)

LIMITS = {
    "max_bytes": 20 * 1024 * 1024,
    "max_pixels": 40_000_000,
    "display_edge": 2048,
    "thumb_edge": 640,
}
METADATA_KEYS = ("icc_profile", "exif", "xmp", "XML:com.adobe.xmp", "comment")


def process(data: bytes, **overrides: int) -> ProcessedImage:
    return process_image(data, **{**LIMITS, **overrides})


def open_all(result: ProcessedImage) -> dict[str, Image.Image]:
    """Decode every derivative, checking it really is the WebP it claims to be."""
    images = {}
    for d in result.derivatives:
        assert d.content_type == "image/webp"
        im = Image.open(io.BytesIO(d.data))
        im.load()
        assert im.format == "WEBP"
        assert im.size == (d.width, d.height)
        images[d.name] = im
    assert set(images) == {"display", "thumb"}
    return images


def close_to(actual, expected, tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_no_metadata(result: ProcessedImage) -> None:
    for name, im in open_all(result).items():
        data = next(d.data for d in result.derivatives if d.name == name)
        for secret in SECRET_STRINGS:
            assert secret not in data, (name, secret)
        for chunk in (b"EXIF", b"XMP ", b"ICCP", b"GPS"):
            assert chunk not in data, (name, chunk)
        assert not im.getexif(), name
        assert not [key for key in METADATA_KEYS if key in im.info], (name, im.info)


# --- metadata --------------------------------------------------------------------------------


def test_sample_jpeg_really_carries_the_metadata():
    # Guards the test below against passing vacuously.
    data = jpeg_with_metadata()
    for secret in (b"SpyCam", b"Tracker 9000", b"secret-xmp-location", b"secret-comment"):
        assert secret in data
    im = Image.open(io.BytesIO(data))
    exif = im.getexif()
    assert exif[0x0112] == 6
    assert exif.get_ifd(0x8825)[2]  # GPSLatitude
    assert {"icc_profile", "xmp", "comment"} <= set(im.info)


def test_jpeg_metadata_is_stripped_from_every_derivative():
    assert_no_metadata(process(jpeg_with_metadata()))


def test_png_text_chunks_and_exif_are_stripped():
    source = Image.open(io.BytesIO(png_with_text_chunks()))
    assert {"Comment", "Description", "Location"} <= set(source.info)

    result = process(png_with_text_chunks())
    assert_no_metadata(result)
    for im in open_all(result).values():
        assert not {"Comment", "Description", "Location"} & set(im.info)


# --- orientation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "size", "first", "second"),
    [
        # first/second: the colour of the left/right halves (landscape) or top/bottom (portrait).
        (1, (80, 60), RED, BLUE),
        (3, (80, 60), BLUE, RED),
        (6, (60, 80), RED, BLUE),
        (8, (60, 80), BLUE, RED),
    ],
)
def test_exif_orientation_is_applied(orientation, size, first, second):
    result = process(jpeg_with_metadata(80, 60, orientation))
    im = open_all(result)["display"].convert("RGB")
    assert (result.width, result.height) == im.size == size
    w, h = size
    if w > h:
        a, b = im.getpixel((w // 4, h // 2)), im.getpixel((3 * w // 4, h // 2))
    else:
        a, b = im.getpixel((w // 2, h // 4)), im.getpixel((w // 2, 3 * h // 4))
    assert close_to(a, first), a
    assert close_to(b, second), b


def test_camera_photo_turned_sideways_becomes_portrait_with_red_on_top():
    result = process(jpeg_with_metadata())  # 800x600 stored, Orientation 6
    images = open_all(result)
    assert (result.width, result.height) == (600, 800)
    assert images["thumb"].size == (480, 640)
    display = images["display"].convert("RGB")
    assert close_to(display.getpixel((300, 200)), RED)
    assert close_to(display.getpixel((300, 600)), BLUE)


# Upright quadrants: red, green / blue, yellow. Stored turned as a camera would store it for
# each EXIF Orientation, so only a correctly applied orientation gives them back.
QUADRANTS = (RED, GREEN, BLUE, (240, 220, 40))
_STORED = {  # the transpose that turns an upright picture into its stored form
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def quadrants_jpeg(width: int, height: int, orientation: int = 1, **params) -> bytes:
    """A JPEG stored width x height, upright (after its Orientation) in four coloured quarters,
    with camera EXIF and GPS."""
    upright = (height, width) if orientation >= 5 else (width, height)
    im = Image.new("RGB", upright, QUADRANTS[0])
    draw = ImageDraw.Draw(im)
    w, h = upright
    draw.rectangle((w // 2, 0, w, h // 2), fill=QUADRANTS[1])
    draw.rectangle((0, h // 2, w // 2, h), fill=QUADRANTS[2])
    draw.rectangle((w // 2, h // 2, w, h), fill=QUADRANTS[3])
    if _STORED[orientation] is not None:
        im = im.transpose(_STORED[orientation])
    assert im.size == (width, height)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92, exif=tracking_exif(orientation), **params)
    return buf.getvalue()


def reference_display(data: bytes, edge: int) -> Image.Image:
    """What a plain Pillow pipeline makes: the whole picture decoded, turned upright, fitted,
    through the same lossy WebP."""
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=82)
    return Image.open(buf)


def assert_looks_like(im: Image.Image, expected: Image.Image) -> None:
    assert im.size == expected.size
    im, expected = im.convert("RGB"), expected.convert("RGB")
    w, h = im.size
    for x, y in ((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4),
                 (3 * w // 4, 3 * h // 4)):
        assert close_to(im.getpixel((x, y)), expected.getpixel((x, y))), (x, y)
    # Across the whole picture, edges included: a few levels at most on average.
    assert max(ImageStat.Stat(ImageChops.difference(im, expected)).mean) < 3


SMALL_EDGES = {"display_edge": 400, "thumb_edge": 160}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_applied_when_the_picture_is_reduced(orientation):
    # 1001x603 stored: neither side a multiple of 8, reduced about 2.5 times.
    data = quadrants_jpeg(1001, 603, orientation)
    result = process(data, **SMALL_EDGES)
    assert_no_metadata(result)
    images = open_all(result)
    assert_looks_like(images["display"], reference_display(data, 400))
    assert_looks_like(images["thumb"], reference_display(data, 160))
    assert (result.width, result.height) == images["display"].size


@pytest.mark.parametrize(
    ("size", "orientation", "progressive", "scale"),
    [
        ((2101, 1303), 6, False, 4),  # sides not multiples of 8 or of the scale
        ((2101, 1303), 3, True, 4),  # progressive
        ((4003, 2999), 8, True, 8),
        ((1001, 603), 5, False, 2),
        ((799, 601), 1, False, 1),  # too small to decode reduced: the whole picture
    ],
)
def test_jpeg_is_decoded_reduced_where_the_display_size_allows(
    monkeypatch, size, orientation, progressive, scale
):
    drafted = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, requested):
        result = original(self, mode, requested)
        drafted.append((requested, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = quadrants_jpeg(*size, orientation, progressive=progressive)
    assert Image.open(io.BytesIO(data)).info.get("progressive", 0) == progressive
    result = process(data, **SMALL_EDGES)
    [(requested, decoded)] = drafted
    # libjpeg decoded at 1/scale, never below the display size (as stored, still on its side).
    assert decoded == (-(-size[0] // scale), -(-size[1] // scale))
    assert decoded[0] >= requested[0] and decoded[1] >= requested[1]
    assert_no_metadata(result)
    images = open_all(result)
    assert max(images["display"].size) == 400
    assert_looks_like(images["display"], reference_display(data, 400))
    assert_looks_like(images["thumb"], reference_display(data, 160))


def test_large_sideways_photo_with_profile_is_upright_and_clean():
    result = process(jpeg_with_metadata(4400, 3000, 6))  # ICC profile, XMP, GPS, Orientation 6
    assert_no_metadata(result)
    images = open_all(result)
    assert images["display"].size == (1396, 2048)
    assert images["thumb"].size == (436, 640)
    display = images["display"].convert("RGB")
    assert close_to(display.getpixel((698, 500)), RED)
    assert close_to(display.getpixel((698, 1500)), BLUE)


# --- formats ---------------------------------------------------------------------------------


def test_alpha_png_keeps_transparency():
    im = open_all(process(png_with_alpha()))["display"]
    assert im.mode == "RGBA"
    assert close_to(im.getpixel((8, 32)), (*RED, 255))
    assert im.getpixel((56, 32))[3] == 0


def test_colour_key_transparency_survives_icc_conversion():
    # Regression: an RGB PNG with a tRNS colour key and an ICC profile lost its transparency.
    im = open_all(process(colour_key_png()))["display"]
    assert im.mode == "RGBA"
    assert im.getpixel((4, 16))[3] == 255
    assert im.getpixel((28, 16))[3] == 0


def test_gif_gives_the_first_frame():
    result = process(animated_gif())
    im = open_all(result)["display"].convert("RGB")
    assert im.size == (120, 90)
    assert close_to(im.getpixel((60, 45)), RED)


def test_heic_is_accepted():
    result = process(heic_image())
    im = open_all(result)["display"].convert("RGB")
    assert im.size == (128, 96)
    assert close_to(im.getpixel((64, 48)), (200, 40, 40))


def test_webp_is_accepted():
    result = process(webp_image())
    im = open_all(result)["display"].convert("RGB")
    assert im.size == (320, 240)
    assert close_to(im.getpixel((160, 120)), GREEN)


def test_icc_profiled_image_is_converted_to_srgb():
    # Mid-grey in a linear-gamma profile is a much lighter grey in sRGB.
    source = Image.open(io.BytesIO(icc_jpeg()))
    assert "icc_profile" in source.info
    result = process(icc_jpeg())
    for im in open_all(result).values():
        assert "icc_profile" not in im.info
        assert close_to(im.convert("RGB").getpixel((32, 32)), (188, 188, 188), tolerance=6)


def test_sixteen_bit_grey_with_icc_profile_is_not_blown_out():
    # Regression: 16-bit grey was clipped to white when it also carried an ICC profile.
    plain = open_all(process(gray16_png(icc=False)))["display"].convert("RGB")
    assert close_to(plain.getpixel((16, 16)), (156, 156, 156), tolerance=4)
    tagged = open_all(process(gray16_png()))["display"].convert("RGB")
    assert close_to(tagged.getpixel((16, 16)), (205, 205, 205), tolerance=6)


# --- sizes and blurhash ----------------------------------------------------------------------


def test_large_image_is_scaled_to_display_and_thumb_edges():
    result = process(plain_jpeg(5000, 3000))
    images = open_all(result)
    assert images["display"].size == (2048, 1229)
    assert max(images["thumb"].size) == 640
    assert (result.width, result.height) == (2048, 1229)


@pytest.mark.parametrize(
    ("size", "display", "thumb"),
    [
        # Image.thumbnail's sizes, fitted to the original's proportions (the thumb is made from
        # the display copy, whose rounded size must not leak into the thumb's).
        ((5000, 3000), (2048, 1229), (640, 384)),
        ((3001, 4999), (1229, 2048), (384, 640)),
        ((4097, 1023), (2048, 511), (640, 160)),
        ((2049, 2049), (2048, 2048), (640, 640)),
        ((700, 641), (700, 641), (640, 586)),
    ],
)
def test_derivative_sizes_are_fitted_to_the_original(size, display, thumb):
    images = open_all(process(plain_jpeg(*size)))
    assert images["display"].size == display
    assert images["thumb"].size == thumb
    for im, box in ((images["display"], LIMITS["display_edge"]),
                    (images["thumb"], LIMITS["thumb_edge"])):
        expected = Image.new("1", size)
        expected.thumbnail((box, box))
        assert im.size == expected.size


def test_small_image_is_not_upscaled():
    result = process(plain_png(300, 200))
    images = open_all(result)
    assert images["display"].size == (300, 200)
    assert images["thumb"].size == (300, 200)
    assert (result.width, result.height) == (300, 200)


def test_blurhash_is_valid_and_reflects_the_picture():
    landscape = process(plain_jpeg(64, 48, color=(10, 120, 200))).blurhash
    portrait = process(jpeg_with_metadata(80, 60, 6)).blurhash
    for value in (landscape, portrait):
        assert isinstance(value, str)
        blurhash_rs.blurhash_decode(value, 4, 3)  # raises BlurhashDecodeError if invalid
        assert len(value) == 28  # 4x3 or 3x4 components
    assert landscape != process(plain_jpeg(64, 48, color=(200, 20, 20))).blurhash


# --- refusals --------------------------------------------------------------------------------


def test_error_classes_carry_http_status():
    assert InvalidInput.status_code == 422
    assert TooLarge.status_code == 413
    assert UnsupportedMedia.status_code == 415


def test_empty_file_is_refused():
    with pytest.raises(InvalidInput) as exc:
        process(b"")
    assert exc.value.code == "empty_file"


def test_file_over_the_byte_limit_is_refused():
    data = plain_jpeg(64, 64)
    with pytest.raises(TooLarge) as exc:
        process(data, max_bytes=len(data) - 1)
    assert exc.value.code == "file_too_large"
    assert process(data, max_bytes=len(data)).width == 64  # the limit itself is allowed


def test_byte_limit_is_checked_before_decoding():
    # Not an image at all: only a size check made before decoding can yield file_too_large.
    with pytest.raises(TooLarge) as exc:
        process(b"\0" * 1001, max_bytes=1000)
    assert exc.value.code == "file_too_large"


def test_truncated_jpeg_is_invalid():
    with pytest.raises(InvalidInput) as exc:
        process(truncated_jpeg())
    assert exc.value.code == "invalid_image"


def test_pixel_flood_sample_is_tiny():
    assert len(pixel_flood_png()) < 4096
    assert Image.open(io.BytesIO(pixel_flood_png(9000, 9000))).size == (9000, 9000)


@pytest.mark.parametrize(
    ("size", "max_pixels"),
    [
        ((30_000, 30_000), LIMITS["max_pixels"]),  # beyond Pillow's own bomb limit too
        ((9_000, 9_000), LIMITS["max_pixels"]),  # under Pillow's limit, over ours
        ((2_000, 2_000), 1_000_000),  # a tight configured limit
    ],
)
def test_pixel_flood_is_refused_without_decoding(size, max_pixels):
    # The sample's pixel data is cut short: decoding it would fail as invalid_image instead.
    with pytest.raises(TooLarge) as exc:
        process(pixel_flood_png(*size), max_pixels=max_pixels)
    assert exc.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    "make",
    [svg_bytes, html_bytes, text_disguised_as_jpeg, pdf_disguised_as_jpeg, jpeg_magic_then_garbage],
)
def test_non_images_are_unsupported(make):
    with pytest.raises(UnsupportedMedia) as exc:
        process(make())
    assert exc.value.code == "unsupported_type"


# --- hostile headers and metadata (issue 8) ----------------------------------------------------


def test_heic_crop_box_sample_really_hides_its_coded_size():
    # Guards the tests below: libheif shows the 16x16 crop and decodes the whole coded image.
    data = heic_with_clap(1200, 1200, crop=(16, 16))
    assert Image.open(io.BytesIO(data)).size == (16, 16)
    assert process(data).width == 16


def test_heic_crop_box_cannot_hide_a_coded_image_over_the_pixel_limit():
    # A real 1200x1200 coded image (1.44 MP) cropped to 16x16, under a 1 MP limit.
    data = heic_with_clap(1200, 1200, crop=(16, 16))
    with pytest.raises(TooLarge) as exc:
        check_image(data, max_bytes=LIMITS["max_bytes"], max_pixels=1_000_000)
    assert exc.value.code == "too_many_pixels"
    assert "1200×1200" in exc.value.detail
    with pytest.raises(TooLarge):
        process(data, max_pixels=1_000_000)


@pytest.mark.parametrize("coded", [(11001, 11001), (60000, 60000)])
def test_heic_coded_size_is_checked_at_the_header(coded):
    # 11001² is three times the limit; 60000² is over libheif's own limit (its RuntimeError
    # used to escape as a server error). Both are refused from the header, before any decoding.
    data = heic_with_clap(64, 64, crop=(16, 16), coded=coded)
    for check in (
        lambda: check_image(data, max_bytes=LIMITS["max_bytes"], max_pixels=LIMITS["max_pixels"]),
        lambda: process(data),
    ):
        with pytest.raises(TooLarge) as exc:
            check()
        assert exc.value.code == "too_many_pixels"


def test_plain_heic_still_passes_the_header_check():
    assert check_image(heic_image(), max_bytes=LIMITS["max_bytes"],
                       max_pixels=LIMITS["max_pixels"]) == (128, 96)


@pytest.mark.parametrize("fault", ["rational_as_text", "ifd_as_text", "ifd_as_rational"])
def test_mistyped_exif_is_ignored_never_an_error(fault):
    data = jpeg_with_mistyped_exif(fault, orientation=6)
    assert Image.open(io.BytesIO(data)).getexif()[0x0112] == 6  # the sample carries it
    result = process(data)
    assert_no_metadata(result)
    display = open_all(result)["display"].convert("RGB")
    # The Orientation itself was readable, so the picture is still turned upright.
    assert display.size == (60, 80)
    assert close_to(display.getpixel((30, 20)), RED)
    assert close_to(display.getpixel((30, 60)), BLUE)


def test_libheif_security_limit_while_decoding_is_too_many_pixels():
    # Second line behind the header check: with our limit set above libheif's own, its refusal
    # while decoding (a RuntimeError) still answers too_many_pixels, never a server error.
    data = heic_with_clap(64, 64, crop=(16, 16), coded=(60000, 60000))
    with pytest.raises(TooLarge) as exc:
        process(data, max_pixels=10**10)
    assert exc.value.code == "too_many_pixels"
