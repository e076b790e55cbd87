"""Media work off the request path: turn a stored upload into clean, metadata-free files
(pictures; playable sound and video with a poster or waveform).

A job is only a pointer (`asset_id`); the asset row is the record. A worker claims the asset
with a lease (an atomic update), processes it, and in one transaction writes its variants and
moves the contribution from `processing` to `pending`. A crashed worker's lease runs out and the
periodic sweep queues the asset again; a withdrawn contribution's job finds nothing and cleans up
after itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from huey.api import Huey
from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from scrapbook.core import clock
from scrapbook.core.config import Settings
from scrapbook.core.db import after_commit, session_scope
from scrapbook.core.errors import ScrapbookError
from scrapbook.media import av
from scrapbook.media.images import ProcessedImage
from scrapbook.media.service import (
    asset_folder,
    clean_image_file,
    clean_staging,
    derivative_key,
    file_etag,
    store_derivative,
)
from scrapbook.media.storage import Storage
from scrapbook.models import Contribution, MediaAsset, MediaVariant
from scrapbook.vocabulary import AssetState, Kind, Status

log = logging.getLogger("scrapbook.media")

_EXTENSIONS = {"audio/mp4": "m4a", "video/mp4": "mp4", "audio/webm": "webm", "audio/ogg": "ogg"}
GAVE_UP = "The file could not be processed after several attempts."


@dataclass(frozen=True)
class _Made:
    """What a finished job records on its asset."""

    duration: float | None
    width: int | None
    height: int | None
    blurhash: str | None


@dataclass
class _Stored:
    """Files already written for an asset, so they can be removed if the asset is gone."""

    keys: list[str] = field(default_factory=list)
    variants: list[MediaVariant] = field(default_factory=list)


class MediaJobs:
    """The media tasks, registered on one Huey instance, with what they need to run."""

    def __init__(self, settings: Settings, engine: Engine, storage: Storage, huey: Huey) -> None:
        self.settings = settings
        self.engine = engine
        self.storage = storage
        self.huey = huey
        self._orphans: set[str] = set()  # uploads with no row at the last sweep
        self._process = huey.task(
            name="process_asset",
            retries=settings.job_attempts - 1,
            retry_delay=settings.job_retry_seconds,
        )(self.process_asset)

    # --- queueing ---------------------------------------------------------------------------

    def enqueue(self, asset_id: str) -> None:
        try:
            self._process(asset_id)
        except Exception:  # the queue is down: the sweep finds the asset again later
            log.exception("could not queue media processing; the sweep will retry")

    def enqueue_after_commit(self, session: Session, asset_id: str) -> None:
        after_commit(session, lambda: self.enqueue(asset_id))

    def drain(self) -> int:
        """Run every queued job here and now, in this thread (tests, `scrapbook worker --once`)."""
        done = 0
        while (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            done += 1
        return done

    def sweep(self) -> None:
        """Queue again what a crash or a lost message left behind; expire unfinished uploads.

        Assets whose worker's lease has run out are always queued again; assets never claimed,
        when the queue is empty (so their message was lost). A message queued twice is harmless:
        only one worker can claim the asset.
        """
        now = clock.now()
        queue_empty = self.huey.pending_count() == 0 and self.huey.scheduled_count() == 0
        processing = col(MediaAsset.state) == AssetState.processing
        lease = col(MediaAsset.lease_until)
        stale = or_(lease < now, lease.is_(None)) if queue_empty else lease < now
        with Session(self.engine) as session:
            ids = list(session.exec(select(MediaAsset.id).where(processing, stale)).all())
            if ids:
                session.execute(
                    update(MediaAsset)
                    .where(col(MediaAsset.id).in_(ids), processing, stale)
                    .values(lease_until=None)
                )
                session.commit()
        for asset_id in ids:
            log.info("queueing unfinished media again")
            self.enqueue(asset_id)
        self._expire_uploads()
        self._remove_orphans()

    def _remove_orphans(self) -> None:
        """Delete uploads in storage that no asset claims: a request killed between storing
        the upload and committing its row leaves one, with no receipt to withdraw it. A key is
        removed only if it was already unclaimed at the previous sweep, so an upload whose
        request is still committing is never taken."""
        keys = set(self.storage.list("incoming/"))
        if not keys:
            self._orphans = set()
            return
        with Session(self.engine) as session:
            claimed = set(session.exec(
                select(MediaAsset.source_key).where(col(MediaAsset.source_key).in_(keys))
            ).all())
        unclaimed = keys - claimed
        for key in unclaimed & self._orphans:
            log.info("removing an upload that no contribution claims")
            self._remove(_Stored(keys=[key]))
        self._orphans = unclaimed - self._orphans

    def _expire_uploads(self) -> None:
        from scrapbook.uploads.service import expire_uploads

        with session_scope(self.engine) as session:
            expire_uploads(session, self.settings)
        clean_staging(self.settings)

    # --- the job ----------------------------------------------------------------------------

    def process_asset(self, asset_id: str) -> None:
        claimed = self._claim(asset_id)
        if claimed is None:
            return  # finished, failed, withdrawn, or another worker holds it
        kind, source_key, attempts = claimed
        if source_key is None:
            self._fail(asset_id, "The upload was missing from storage.")
            return
        if attempts > self.settings.job_attempts:
            # Claimed again after every try ended without a word (a worker killed mid-job by
            # this very file, say): stop here rather than take workers down forever.
            self._fail(asset_id, GAVE_UP)
            return
        stored = _Stored()
        try:
            with self._lease_kept(asset_id):
                made = self._make(asset_id, kind, source_key, stored)
            self._finish(asset_id, made, stored)
        except (av.MediaFailed, ScrapbookError) as exc:  # the file itself: trying again won't help
            self._remove(stored)
            self._fail(asset_id, exc.reason if isinstance(exc, av.MediaFailed) else exc.detail)
        except Exception:
            self._remove(stored)
            if attempts >= self.settings.job_attempts:
                log.exception("media processing failed for the last time")
                self._fail(asset_id, GAVE_UP)
                return
            self._release(asset_id)
            raise  # Huey retries after job_retry_seconds

    @contextmanager
    def _lease_kept(self, asset_id: str) -> Iterator[None]:
        """Renew the lease while the work runs (a long transcode outlasts one lease), so the
        sweep only ever queues again the work of a worker that has died."""
        stop = threading.Event()
        every = self.settings.job_lease_seconds / 3

        def renew() -> None:
            while not stop.wait(every):
                try:
                    self._renew(asset_id)
                except Exception:  # the next renewal tries again; the lease has time left
                    log.exception("could not renew a media job's lease")

        keeper = threading.Thread(target=renew, name="scrapbook-lease", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()

    def _renew(self, asset_id: str) -> None:
        until = clock.now() + dt.timedelta(seconds=self.settings.job_lease_seconds)
        with Session(self.engine) as session:
            session.execute(
                update(MediaAsset)
                .where(
                    col(MediaAsset.id) == asset_id,
                    col(MediaAsset.state) == AssetState.processing,
                )
                .values(lease_until=until)
            )
            session.commit()

    def _claim(self, asset_id: str) -> tuple[Kind, str | None, int] | None:
        now = clock.now()
        with Session(self.engine) as session:
            taken = session.execute(
                update(MediaAsset)
                .where(
                    col(MediaAsset.id) == asset_id,
                    col(MediaAsset.state) == AssetState.processing,
                    or_(col(MediaAsset.lease_until).is_(None), col(MediaAsset.lease_until) < now),
                )
                .values(
                    lease_until=now + dt.timedelta(seconds=self.settings.job_lease_seconds),
                    attempts=MediaAsset.attempts + 1,
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return None
            session.commit()
            asset = session.exec(select(MediaAsset).where(MediaAsset.id == asset_id)).one()
            return Kind(asset.type), asset.source_key, asset.attempts

    def _make(self, asset_id: str, kind: Kind, source_key: str, stored: _Stored) -> _Made:
        """The derivatives, written to storage (and listed in `stored`) before any row is."""
        if kind == Kind.image:
            with self.storage.local_copy(source_key) as source:
                image = clean_image_file(source, self.settings)
            self._store_pictures(asset_id, image, stored)
            return _Made(None, image.width, image.height, image.blurhash)
        with (
            self.storage.local_copy(source_key) as source,
            tempfile.TemporaryDirectory(prefix="scrapbook-av-") as work,
        ):
            processed = av.process(source, Path(work), self.settings, kind)
            for out in processed.files:
                key = derivative_key(asset_id, out.name, _EXTENSIONS.get(out.content_type, "bin"))
                self.storage.put_file(key, out.path, out.content_type)
                stored.keys.append(key)
                stored.variants.append(
                    MediaVariant(
                        name=out.name,
                        key=key,
                        content_type=out.content_type,
                        width=processed.width,
                        height=processed.height,
                        bytes=out.path.stat().st_size,
                        etag=file_etag(out.path),
                    )
                )
        self._store_pictures(asset_id, processed.poster, stored)
        return _Made(
            processed.duration,
            processed.width or processed.poster.width,
            processed.height or processed.poster.height,
            processed.poster.blurhash,
        )

    def _store_pictures(self, asset_id: str, image: ProcessedImage, stored: _Stored) -> None:
        for derivative in image.derivatives:
            variant = store_derivative(self.storage, asset_id, derivative)
            stored.keys.append(variant.key)
            stored.variants.append(variant)

    def _finish(self, asset_id: str, made: _Made, stored: _Stored) -> None:
        with session_scope(self.engine) as session:
            asset = session.exec(
                select(MediaAsset)
                .where(MediaAsset.id == asset_id)
                .options(selectinload(MediaAsset.variants))  # type: ignore[arg-type]
                .with_for_update()
            ).first()
            if asset is None or asset.state != AssetState.processing:
                after_commit(session, lambda: self._remove(stored))  # withdrawn meanwhile
                return
            source = asset.source_key
            asset.variants.extend(stored.variants)
            keep = {variant.key for variant in asset.variants}
            asset.state = AssetState.ready
            asset.duration = made.duration
            asset.width, asset.height = made.width, made.height
            asset.blurhash = made.blurhash
            asset.source_key = None
            asset.lease_until = None
            session.add(asset)
            session.flush()
            others = session.exec(
                select(func.count())
                .select_from(MediaAsset)
                .where(
                    MediaAsset.contribution_pk == asset.contribution_pk,
                    MediaAsset.state == AssetState.processing,
                )
            ).one()
            contribution = session.get(Contribution, asset.contribution_pk)
            if others == 0 and contribution and contribution.status == Status.processing:
                contribution.status = Status.pending
                session.add(contribution)
            if source:
                after_commit(session, lambda: self._remove(_Stored(keys=[source])))
            # Files of an earlier attempt killed before its commit: no row names them.
            after_commit(session, lambda: self._remove_strays([asset_id], keep))

    def _fail(self, asset_id: str, reason: str) -> None:
        """The contribution becomes `failed`: its files erased, the reason kept for moderators."""
        with session_scope(self.engine) as session:
            asset = session.exec(
                select(MediaAsset).where(MediaAsset.id == asset_id).with_for_update()
            ).first()
            if asset is None or asset.state != AssetState.processing:
                return  # withdrawn, or finished by another worker whose lease ran over
            contribution = session.exec(
                select(Contribution)
                .where(Contribution.pk == asset.contribution_pk)
                .options(
                    selectinload(Contribution.media).selectinload(MediaAsset.variants)  # type: ignore[arg-type]
                )
            ).one()
            keys = [key for m in contribution.media for key in _keys_of(m)]
            for media in contribution.media:  # one bad file fails the whole contribution
                media.variants.clear()
                media.state = AssetState.failed
                media.source_key = None
                media.lease_until = None
                session.add(media)
            contribution.status = Status.failed
            contribution.failure_reason = reason
            session.add(contribution)
            folders = [m.id for m in contribution.media]
            after_commit(session, lambda: self._remove(_Stored(keys=keys)))
            after_commit(session, lambda: self._remove_strays(folders, set()))

    def _release(self, asset_id: str) -> None:
        with Session(self.engine) as session:
            session.execute(
                update(MediaAsset).where(col(MediaAsset.id) == asset_id).values(lease_until=None)
            )
            session.commit()

    def _remove_strays(self, asset_ids: list[str], keep: set[str]) -> None:
        """Delete what the assets' folders hold beyond `keep`: files written by an attempt
        that was killed before its commit (each attempt writes under new random keys)."""
        try:
            strays = [key for asset_id in asset_ids
                      for key in self.storage.list(asset_folder(asset_id)) if key not in keep]
        except Exception:
            log.exception("could not list an asset's files; erasure removes them later")
            return
        self._remove(_Stored(keys=strays))

    def _remove(self, stored: _Stored) -> None:
        """Delete files; a storage error is logged, never raised: the rows are already right,
        and erasing the contribution later removes the asset's whole folder."""
        for key in stored.keys:
            try:
                self.storage.delete(key)
            except Exception:
                log.exception("could not delete a media file")


def _keys_of(asset: MediaAsset) -> list[str]:
    keys = [v.key for v in asset.variants]
    return keys + [asset.source_key] if asset.source_key else keys

