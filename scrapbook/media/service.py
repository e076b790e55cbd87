"""Turning uploads into stored media, and erasing them again."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from scrapbook.core.config import Settings
from scrapbook.core.db import after_commit, on_rollback
from scrapbook.core.security import new_public_id
from scrapbook.media import av
from scrapbook.media.images import Derivative, ProcessedImage, check_image, process_image
from scrapbook.media.storage import Storage
from scrapbook.models import Contribution, MediaAsset, MediaVariant
from scrapbook.vocabulary import AssetState, Kind

_decode_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots(count: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _decode_slots.setdefault(count, threading.BoundedSemaphore(count))


def clean_image_file(path: Path, settings: Settings) -> ProcessedImage:
    """Decode and clean one stored image (blocking: a job-queue worker runs it).

    A decoded 40-megapixel image takes ~160 MB, so only `image_workers` decode at once in a
    process however many workers run; the others wait their turn.
    """
    with _slots(settings.image_workers), path.open("rb") as fh:
        return process_image(
            fh,
            max_bytes=settings.image_bytes_max,
            max_pixels=settings.image_pixels_max,
            display_edge=settings.display_edge,
            thumb_edge=settings.thumb_edge,
        )


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
    """An upload that passed its header checks and waits in storage for the job queue."""

    asset_id: str
    source_key: str
    kind: Kind
    width: int | None
    height: int | None
    duration: float | None = None


def staging_dir(settings: Settings) -> Path:
    """Where a multipart upload is copied for its header check (then stored)."""
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


@contextmanager
def _staged(settings: Settings, upload: bytes | BinaryIO) -> Iterator[Path]:
    """The upload as a file of its own for the block: where the form parser wrote it, or a copy.
    Beside the resumable uploads (the same disk, so storing it is a link, not a copy) but not
    among them: their sweep removes any file it does not know."""
    staging = staging_dir(settings)
    name = getattr(upload, "name", None)
    if isinstance(name, str) and Path(name).parent == staging:  # the form parser put it here
        assert not isinstance(upload, bytes)
        upload.flush()
        yield Path(name)
        return
    staging.mkdir(parents=True, exist_ok=True)
    fd, made = tempfile.mkstemp(dir=staging, prefix="upload-")
    path = Path(made)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(upload, bytes):
                out.write(upload)
            else:
                upload.seek(0)
                shutil.copyfileobj(upload, out, 1024 * 1024)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _keep(session: Session, storage: Storage, path: Path) -> tuple[str, str]:
    """Store an accepted upload as received, until its job has made the derivatives."""
    asset_id = new_public_id()
    key = source_key(asset_id)
    storage.put_file(key, path, "application/octet-stream")
    on_rollback(session, lambda: storage.delete(key))
    return asset_id, key


def receive_images(
    session: Session, storage: Storage, settings: Settings, uploads: Sequence[bytes | BinaryIO]
) -> list[ReceivedFile]:
    """Check each image from its header (type, bytes, pixels), then keep it for the job queue.

    One refused image refuses them all, and nothing stays stored.
    """
    many = len(uploads) > 1
    received = []
    for i, upload in enumerate(uploads, start=1):
        with _staged(settings, upload) as path, path.open("rb") as fh:
            width, height = check_image(
                fh,
                max_bytes=settings.image_bytes_max,
                max_pixels=settings.image_pixels_max,
                label=f"Image {i}" if many else "The image",
            )
            asset_id, key = _keep(session, storage, path)
        received.append(ReceivedFile(asset_id, key, Kind.image, width, height))
    return received


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

    if upload_id is not None:
        path = take_finished(session, settings, upload_id)
        probe = av.probe(path, settings, kind)
        asset_id, key = _keep(session, storage, path)
        after_commit(session, lambda: path.unlink(missing_ok=True))
    else:
        assert upload is not None
        with _staged(settings, upload) as path:
            probe = av.probe(path, settings, kind)
            asset_id, key = _keep(session, storage, path)
    # Upright as shown: a portrait phone clip is stored landscape with a quarter turn.
    turned = probe.rotation in (90, 270)
    return ReceivedFile(
        asset_id,
        key,
        probe.kind,
        width=probe.height if turned else probe.width,
        height=probe.width if turned else probe.height,
        duration=probe.duration,
    )


def attach_received(
    session: Session,
    contribution: Contribution,
    received: Sequence[ReceivedFile],
    descriptions: Sequence[str | None],
) -> list[MediaAsset]:
    """The asset rows, `processing` until the job queue has made their derivatives."""
    assert contribution.pk is not None
    assets = []
    for position, (item, description) in enumerate(zip(received, descriptions, strict=True)):
        asset = MediaAsset(
            id=item.asset_id,
            contribution_pk=contribution.pk,
            position=position,
            type=item.kind,
            alt_text=description,
            width=item.width,
            height=item.height,
            duration=item.duration,
            state=AssetState.processing,
            source_key=item.source_key,
        )
        session.add(asset)
        assets.append(asset)
    session.flush()
    return assets


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
