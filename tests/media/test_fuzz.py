"""Mutated images through the real API: never a server error, never a file left behind.

A few hundred mutations (fixed seed) of small real JPEG, PNG, WebP, GIF and HEIC files, each
sent as a photo contribution and then processed by the job queue as a worker would. Every case
ends in one of three ways:

- refused at intake (413, 415 or 422) with nothing stored;
- accepted (202), then `pending`: the picture decoded and its derivatives are stored;
- accepted (202), then `failed`: damaged inside, and every file it had is erased.

`make fuzz` runs many more cases: FUZZ_CASES (default 300) and FUZZ_SEED (default 8) choose
the run; a failure names the seed and case, so it can be run again on its own.
"""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Callable

import pytest

from scrapbook.core.config import Settings
from tests.conftest import stored_files, submit
from tests.fuzz_samples import heic_with_clap, jpeg_with_mistyped_exif
from tests.samples import (
    animated_gif,
    heic_image,
    jpeg_with_metadata,
    plain_png,
    png_with_alpha,
    png_with_text_chunks,
    webp_image,
)

CASES = int(os.environ.get("FUZZ_CASES", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "8"))
REFUSALS = {413, 415, 422}

# Small real files (a few KB each), so one case costs milliseconds.
SEEDS: list[tuple[str, str, Callable[[], bytes]]] = [
    ("photo.jpg", "image/jpeg", lambda: jpeg_with_metadata(64, 48, 6)),
    ("exif.jpg", "image/jpeg", lambda: jpeg_with_mistyped_exif("rational_as_text", 6, 48, 32)),
    ("plain.png", "image/png", lambda: plain_png(48, 32)),
    ("alpha.png", "image/png", lambda: png_with_alpha(32, 32)),
    ("text.png", "image/png", lambda: png_with_text_chunks(48, 32)),
    ("image.webp", "image/webp", lambda: webp_image(48, 32)),
    ("anim.gif", "image/gif", lambda: animated_gif(32, 24)),
    ("photo.heic", "image/heic", lambda: heic_image(64, 48)),
    ("crop.heic", "image/heic", lambda: heic_with_clap(64, 64, crop=(32, 16))),
]

INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 11001, 60000, 0x7FFFFFFF,
               0x80000000, 0xFFFFFFFF)


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """One to three random edits; returns the bytes and what was done (for the failure text)."""
    out = bytearray(data)
    done = []
    for _ in range(rng.randint(1, 3)):
        if len(out) < 16:
            break
        kind = rng.choice(("flip", "byte", "int", "truncate", "insert", "delete", "splice"))
        at = rng.randrange(len(out))
        if kind == "flip":
            for _ in range(rng.randint(1, 8)):
                spot = rng.randrange(len(out))
                out[spot] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            out[at] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif kind == "int":  # sizes, lengths and offsets: the numbers decoders trust
            width = rng.choice((2, 4))
            value = rng.choice(INTERESTING) & (0xFFFF if width == 2 else 0xFFFFFFFF)
            packed = struct.pack((">" if rng.random() < 0.5 else "<") + "HI"[width // 4], value)
            out[at:at + width] = packed
        elif kind == "truncate":
            del out[max(at, 8):]
        elif kind == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        elif kind == "delete":
            del out[at:at + rng.randint(1, 64)]
        else:
            start = rng.randrange(len(out))
            out[at:at + 16] = out[start:start + rng.randint(1, 64)]
        done.append(f"{kind}@{at}")
    return bytes(out), ",".join(done)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No rate limit gets in the way of thousands of submissions from one client."""
    generous = {name: 10**9 for name in Settings.model_fields if name.endswith("_per_hour")}
    return settings.model_copy(update=generous)


def send(client, name: str, content_type: str, data: bytes):
    return submit(client, files=[(name, data, content_type)], kind="image", form="photo",
                  title="Fuzz", body="", alt_text="A picture")


def outcome(client, settings: Settings, name: str, content_type: str, data: bytes) -> str:
    """The case's end: "refused", "pending" or "failed", with every promise checked. A pending
    contribution is then withdrawn, so every case starts from an empty store."""
    assert stored_files(settings) == []
    r = send(client, name, content_type, data)
    assert r.status_code < 500, r.text
    if r.status_code != 202:
        assert r.status_code in REFUSALS, (r.status_code, r.text)
        body = r.json()
        assert set(body) >= {"error", "detail"}, body
        assert stored_files(settings) == [], "a refused image left files behind"
        return "refused"
    receipt = f"/api/receipts/{r.json()['receipt']}"
    status = client.get(receipt).json()["status"]
    assert status in ("pending", "failed"), status
    if status == "failed":
        assert stored_files(settings) == [], "a failed image left files behind"
    else:
        assert len(stored_files(settings)) == 2, "a ready image has its display and thumb"
        assert client.delete(receipt).status_code == 204
        assert stored_files(settings) == [], "a withdrawn image left files behind"
    return str(status)


def test_seed_files_are_accepted(client, settings):
    # Guards the fuzz run: every unmutated seed decodes and becomes pending.
    for name, content_type, make in SEEDS:
        assert outcome(client, settings, name, content_type, make()) == "pending", name


def test_hostile_headers_answer_413_through_the_api(client, settings):
    for coded in ((11001, 11001), (60000, 60000)):
        data = heic_with_clap(64, 64, crop=(16, 16), coded=coded)
        r = send(client, "big.heic", "image/heic", data)
        assert r.status_code == 413, r.text
        assert r.json()["error"] == "too_many_pixels"
    assert stored_files(settings) == []


def test_mistyped_exif_through_the_api_is_pending(client, settings):
    for fault in ("rational_as_text", "ifd_as_text", "ifd_as_rational"):
        data = jpeg_with_mistyped_exif(fault)
        assert outcome(client, settings, "exif.jpg", "image/jpeg", data) == "pending", fault


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about damaged EXIF as it skips it
def test_mutated_images_never_crash_nor_leave_files(client, settings):
    rng = random.Random(SEED)
    seeds = [(name, content_type, make()) for name, content_type, make in SEEDS]
    counts: dict[str, int] = {}
    for case in range(CASES):
        name, content_type, data = seeds[case % len(seeds)]
        mutated, how = mutate(rng, data)
        try:
            end = outcome(client, settings, name, content_type, mutated)
        except AssertionError as exc:
            raise AssertionError(
                f"FUZZ_SEED={SEED} case {case} ({name}: {how}): {exc}") from exc
        counts[end] = counts.get(end, 0) + 1
    # A run that only ever refuses would prove little: some mutations must get through.
    assert counts.get("pending", 0) > 0 and counts.get("refused", 0) > 0, counts
