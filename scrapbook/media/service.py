"""Turning uploads into stored media, and erasing them again."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from sqlmodel import Session

from scrapbook.core.config import Settings
from scrapbook.core.db import after_commit, on_rollback
from scrapbook.core.security import new_public_id
from scrapbook.media.images import ProcessedImage, process_image
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
            key = f"{asset_id[:2]}/{asset_id}/{derivative.name}-{new_public_id()[:8]}.webp"
            storage.put(key, derivative.data)
            on_rollback(session, lambda key=key: storage.delete(key))  # type: ignore[misc]
            asset.variants.append(
                MediaVariant(
                    name=derivative.name,
                    key=key,
                    content_type=derivative.content_type,
                    width=derivative.width,
                    height=derivative.height,
                    bytes=len(derivative.data),
                    etag=_etag(derivative.data),
                )
            )
        session.add(asset)
        assets.append(asset)
    return assets


def erase_files_after_commit(
    session: Session, storage: Storage, media: Sequence[MediaAsset]
) -> None:
    keys = [variant.key for asset in media for variant in asset.variants]

    def _erase() -> None:
        for key in keys:
            storage.delete(key)

    after_commit(session, _erase)


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]
