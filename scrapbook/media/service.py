"""Turning uploads into stored media, and erasing them again."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from scrapbook.contributions.vocabulary import AssetState, Kind
from scrapbook.core.config import Settings
from scrapbook.core.db import after_commit, on_rollback
from scrapbook.core.security import new_public_id
from scrapbook.media import av
from scrapbook.media.images import Derivative, ProcessedImage, process_image
from scrapbook.media.storage import Storage
from scrapbook.models import Contribution, MediaAsset, MediaVariant


@dataclass(frozen=True)
class ImageUpload:
    data: bytes | BinaryIO
    alt_text: str | None


_decode_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots(count: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _decode_slots.setdefault(count, threading.BoundedSemaphore(count))


def process_images(uploads: Sequence[ImageUpload], settings: Settings) -> list[ProcessedImage]:
    """Decode and clean every image before anything is stored: one bad file refuses them all.

    A decoded 40-megapixel image takes ~160 MB, so only `image_workers` decode at once
    however many uploads arrive together; the others wait their turn.
    """
    many = len(uploads) > 1
    processed = []
    for i, upload in enumerate(uploads, start=1):
        with _slots(settings.image_workers):
            processed.append(
                process_image(
                    upload.data,
                    max_bytes=settings.image_bytes_max,
                    max_pixels=settings.image_pixels_max,
                    display_edge=settings.display_edge,
                    thumb_edge=settings.thumb_edge,
                    label=f"Image {i}" if many else "The image",
                )
            )
    return processed


def attach_images(
    session: Session,
    storage: Storage,
    contribution: Contribution,
    images: Sequence[ProcessedImage],
    alt_texts: Sequence[str | None],
) -> list[MediaAsset]:
    """Write derivative files and their rows; the files are removed if the transaction fails."""
    assert contribution.pk is not None
    assets = []
    for position, (image, alt) in enumerate(zip(images, alt_texts, strict=True)):
        asset_id = new_public_id()
        asset = MediaAsset(
            id=asset_id,
            contribution_pk=contribution.pk,
            position=position,
            type="image",
            alt_text=alt,
            width=image.width,
            height=image.height,
            blurhash=image.blurhash,
        )
        for derivative in image.derivatives:
            variant = store_derivative(storage, asset_id, derivative)
            on_rollback(session, lambda key=variant.key: storage.delete(key))  # type: ignore[misc]
            asset.variants.append(variant)
        session.add(asset)
        assets.append(asset)
    return assets


def store_derivative(storage: Storage, asset_id: str, derivative: Derivative) -> MediaVariant:
    """Write one picture (an image's, a poster's, a waveform's) and describe it as a variant."""
    key = derivative_key(asset_id, derivative.name, "webp")
    storage.put(key, derivative.data, derivative.content_type)
    return MediaVariant(
        name=derivative.name,
        key=key,
        content_type=derivative.content_type,
        width=derivative.width,
        height=derivative.height,
        bytes=len(derivative.data),
        etag=file_etag(derivative.data),
    )


def asset_folder(asset_id: str) -> str:
    return f"{asset_id[:2]}/{asset_id}/"


def derivative_key(asset_id: str, name: str, extension: str) -> str:
    """Where a derivative is stored, also its URL under /media/: random, never reused."""
    return f"{asset_folder(asset_id)}{name}-{new_public_id()[:8]}.{extension}"


def source_key(asset_id: str) -> str:
    """Where an upload waits for the job queue (never served: not a derivative key)."""
    return f"incoming/{asset_id}/source"


@dataclass(frozen=True)
class ReceivedFile:
    """A sound or video upload that passed the header checks and waits in storage."""

    asset_id: str
    source_key: str
    probe: av.AvProbe


def staging_dir(settings: Settings) -> Path:
    """Where a multipart sound or video file is copied for its header check (then stored)."""
    return settings.tus_dir.parent / "intake"


def clean_staging(settings: Settings, older_than_seconds: float = 6 * 3600) -> int:
    """Remove what a killed request left in the staging folder (a request takes seconds)."""
    folder = staging_dir(settings)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.glob("upload-*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def receive_time_based(
    session: Session,
    storage: Storage,
    settings: Settings,
    kind: Kind,
    upload: bytes | BinaryIO | None,
    upload_id: str | None,
) -> ReceivedFile:
    """Check a sound or video file from its header, then keep it in storage for the job queue.

    The file is a multipart upload (spooled to disk) or a finished resumable upload. A refused
    file raises a 4xx before anything is stored; a refused resumable upload stays where it is
    (so the form can be corrected and sent again) until it expires or the client deletes it.
    """
    from scrapbook.uploads.service import take_finished  # uploads builds on media, not back

    asset_id = new_public_id()
    key = source_key(asset_id)
    if upload_id is not None:
        path = take_finished(session, settings, upload_id)
        probe = av.probe(path, settings, kind)
        storage.put_file(key, path, "application/octet-stream")
        after_commit(session, lambda: path.unlink(missing_ok=True))
    else:
        assert upload is not None
        # Beside the resumable uploads (same disk, so storing it is a link, not a copy), but not
        # among them: their sweep removes any file it does not know.
        staging = staging_dir(settings)
        staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=staging, prefix="upload-")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(upload, bytes):
                    out.write(upload)
                else:
                    upload.seek(0)
                    shutil.copyfileobj(upload, out, 1024 * 1024)
            probe = av.probe(path, settings, kind)
            storage.put_file(key, path, "application/octet-stream")
        finally:
            path.unlink(missing_ok=True)
    on_rollback(session, lambda: storage.delete(key))
    return ReceivedFile(asset_id, key, probe)


def attach_time_based(
    session: Session, contribution: Contribution, received: ReceivedFile, description: str | None
) -> MediaAsset:
    """The asset row, `processing` until the job queue has made its playable files."""
    assert contribution.pk is not None
    probe = received.probe
    asset = MediaAsset(
        id=received.asset_id,
        contribution_pk=contribution.pk,
        position=0,
        type=received.probe.kind,
        alt_text=description,
        # Upright as shown: a portrait phone clip is stored landscape with a quarter turn.
        width=probe.height if probe.rotation in (90, 270) else probe.width,
        height=probe.width if probe.rotation in (90, 270) else probe.height,
        duration=received.probe.duration,
        state=AssetState.processing,
        source_key=received.source_key,
    )
    session.add(asset)
    session.flush()
    return asset


def erase_files_after_commit(
    session: Session, storage: Storage, media: Sequence[MediaAsset]
) -> None:
    """Every file of these assets, including an upload still waiting to be processed and any
    derivative a job wrote while the erasing transaction ran (found by the asset's folder)."""
    keys = [variant.key for asset in media for variant in asset.variants]
    keys += [asset.source_key for asset in media if asset.source_key]
    folders = [asset_folder(asset.id) for asset in media]

    def _erase() -> None:
        for key in keys + [key for folder in folders for key in storage.list(folder)]:
            storage.delete(key)

    after_commit(session, _erase)


def file_etag(data: bytes | Path) -> str:
    """A content hash: of bytes, or of a file read in chunks (memory stays flat)."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()[:32]
    digest = hashlib.sha256()
    with data.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()[:32]
