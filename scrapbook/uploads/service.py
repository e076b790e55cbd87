"""Resumable uploads: the rows (size, offset, expiry to the day) and their files in tus_dir.

Nothing else is kept: no file name, no type, no creation time, and every file carries the
same fixed modification time. The bytes on disk always match the recorded offset: a request
writes, syncs, then records; the next request first cuts off anything written but never
recorded (a crash in between).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from scrapbook.core import clock
from scrapbook.core.config import Settings
from scrapbook.core.db import after_commit, transaction
from scrapbook.core.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotFound,
    ScrapbookError,
    TooLarge,
)
from scrapbook.core.security import is_public_id, new_public_id
from scrapbook.core.units import limit_words
from scrapbook.media.storage import FIXED_TIME  # files say nothing of when bytes arrived
from scrapbook.models import Upload

T = TypeVar("T")


class Gone(ScrapbookError):
    status_code = 410
    code = ErrorCode.upload_expired


def max_bytes(settings: Settings) -> int:
    """The largest upload: the largest single file of any kind (each kind is checked on attach)."""
    return settings.file_bytes_max


def expiry_after(now: dt.datetime, hours: int) -> dt.datetime:
    """now + hours, rounded up to the next midnight UTC: like everything a contributor does,
    the expiry tells the day at most, not when the upload began."""
    at = now.astimezone(dt.UTC) + dt.timedelta(hours=hours)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == at else midnight + dt.timedelta(days=1)


def expires_at(upload: Upload) -> dt.datetime:
    value = upload.expires_at
    # SQLite keeps naive UTC; PostgreSQL answers in the session's time zone.
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def upload_path(settings: Settings, upload_id: str) -> Path:
    return Path(settings.tus_dir) / upload_id


def _settle_dir(settings: Settings) -> None:
    """Reset the directory's times after a file is added or removed."""
    try:
        os.utime(settings.tus_dir, (FIXED_TIME, FIXED_TIME))
    except FileNotFoundError:
        pass


def _unlink(settings: Settings, upload_id: str) -> None:
    upload_path(settings, upload_id).unlink(missing_ok=True)
    _settle_dir(settings)


def check_id(upload_id: str) -> None:
    """404 for anything that is not one of our ids, before any work is done."""
    if not is_public_id(upload_id):
        raise _missing()


def _find(session: Session, upload_id: str) -> Upload | None:
    if not is_public_id(upload_id):
        return None
    return session.exec(select(Upload).where(Upload.id == upload_id)).first()


def _missing() -> NotFound:
    return NotFound("There is no such upload.")


def find_live(session: Session, upload_id: str) -> Upload:
    """The upload, if it exists and has not expired (404 / 410)."""
    upload = _find(session, upload_id)
    if upload is None:
        raise _missing()
    if expires_at(upload) <= clock.now():
        raise Gone("This upload has expired. Please start again.")
    return upload


def create(session: Session, settings: Settings, length: int) -> Upload:
    """A new upload of `length` bytes; its file appears with the first bytes."""
    if length > max_bytes(settings):
        raise TooLarge(f"Uploads may be at most {limit_words(max_bytes(settings))}.")
    upload = Upload(
        id=new_public_id(),
        length=length,
        offset=0,
        expires_at=expiry_after(clock.now(), settings.tus_expiry_hours),
    )
    session.add(upload)
    session.flush()
    return upload


def terminate(session: Session, settings: Settings, upload_id: str) -> None:
    """Delete an upload, finished or not (expired ones too): its row, then its file."""
    upload = _find(session, upload_id)
    if upload is None:
        raise _missing()
    session.delete(upload)
    session.flush()
    after_commit(session, lambda: _unlink(settings, upload_id))


# --- Appending (PATCH) -----------------------------------------------------------------------
# A PATCH may take minutes, so it holds no database connection while bytes arrive: short
# transactions before, now and then, and after. An exclusive flock on the file keeps a
# second PATCH (from this process or another) out until the first has recorded its offset.


class Appender:
    """One request's hold on an upload's file: open, locked, starting at the recorded offset.

    Blocking: call write, discard and record_offset from a worker thread.
    """

    def __init__(self, upload_id: str, fd: int, start: int, length: int,
                 expires: dt.datetime) -> None:
        self.upload_id = upload_id
        self.fd = fd
        self.start = start  # the offset when this request began
        self.recorded = start  # the offset in the database
        self.length = length
        self.expires_at = expires
        self.written = 0

    @property
    def offset(self) -> int:
        return self.start + self.written

    @property
    def room(self) -> int:
        """How many more bytes the upload can take."""
        return self.length - self.offset

    def write(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, self.offset)
            self.written += n
            view = view[n:]

    @property
    def unrecorded(self) -> int:
        return self.offset - self.recorded

    def discard(self) -> None:
        """Forget the bytes not yet recorded: the file goes back to the recorded offset."""
        os.ftruncate(self.fd, self.recorded)
        self.written = self.recorded - self.start

    def sync(self) -> None:
        os.fsync(self.fd)
        os.utime(self.fd, (FIXED_TIME, FIXED_TIME))

    def close(self) -> None:
        """Close the file, which releases the lock. Quick: safe to call on the event loop."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


_transaction = contextmanager(transaction)


def in_transaction(engine: Engine, fn: Callable[[Session], T]) -> T:
    """Run fn in its own short transaction (committed, or rolled back on error)."""
    with _transaction(engine) as session:
        return fn(session)


def begin_append(engine: Engine, settings: Settings, upload_id: str) -> Appender:
    """Open and lock the upload's file, squared with the recorded offset (404/410/409)."""
    # Look first, so that no file is made for an id that does not exist.
    in_transaction(engine, lambda s: find_live(s, upload_id))
    Path(settings.tus_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(upload_path(settings, upload_id), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                "Another request is sending this upload's bytes right now.",
                code=ErrorCode.upload_busy
            ) from None
        os.utime(fd, (FIXED_TIME, FIXED_TIME))
        _settle_dir(settings)

        def square(session: Session) -> Appender:
            # Read again under the lock: the previous request recorded its offset before
            # letting go of the lock.
            upload = find_live(session, upload_id)
            size = os.fstat(fd).st_size
            if size > upload.offset:  # written by a request that never got to record it
                os.ftruncate(fd, upload.offset)
            elif size < upload.offset:  # cannot happen short of lost disk writes; resume safely
                upload.offset = size
                session.flush()
            return Appender(upload_id, fd, upload.offset, upload.length, expires_at(upload))

        return in_transaction(engine, square)
    except BaseException:
        os.close(fd)
        raise


def record_offset(engine: Engine, appender: Appender) -> int:
    """Sync the bytes to disk, then record the new offset; returns it (404 if deleted meanwhile).

    Called when a request ends (or the connection drops), and every so often during a long
    one, so that a server restart loses little.
    """
    appender.sync()

    def record(session: Session) -> int:
        result = session.execute(
            update(Upload)
            .where(col(Upload.id) == appender.upload_id, col(Upload.offset) == appender.recorded)
            .values(offset=appender.offset)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _missing()  # terminated or swept while the bytes arrived
        return appender.offset

    appender.recorded = in_transaction(engine, record)
    return appender.recorded


# --- For intake and the periodic sweep --------------------------------------------------------


def take_finished(session: Session, settings: Settings, upload_id: str) -> Path:
    """The finished upload's file, handed over to the caller, who moves or deletes it.

    Deletes the row (so the upload's URL answers 404 from then on). Move or copy the file
    before the transaction commits: the sweep deletes files in tus_dir that have no row.
    """
    upload = _find(session, upload_id)
    if upload is None or expires_at(upload) <= clock.now():
        raise NotFound("There is no finished upload with that id.", code=ErrorCode.upload_not_found)
    if upload.offset < upload.length:
        raise InvalidInput(
            f"The upload is not finished: {upload.offset} of {upload.length} bytes have arrived.",
            code=ErrorCode.upload_unfinished,
        )
    path = upload_path(settings, upload_id)
    if upload.length == 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (FIXED_TIME, FIXED_TIME))
    if not path.is_file():
        raise NotFound("There is no finished upload with that id.", code=ErrorCode.upload_not_found)
    # Only one request may take it: a double-tapped Send waits here for the first to commit,
    # then finds nothing (404) instead of a file the first has already moved.
    taken = session.execute(
        delete(Upload).where(col(Upload.id) == upload_id, col(Upload.offset) == col(Upload.length))
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("There is no finished upload with that id.", code=ErrorCode.upload_not_found)
    session.expunge(upload)
    if not path.is_file():
        raise NotFound("There is no finished upload with that id.", code=ErrorCode.upload_not_found)
    return path


def expire_uploads(session: Session, settings: Settings) -> int:
    """Delete expired uploads (rows and files) and files that have no row; returns how many."""
    expired = session.exec(select(Upload).where(col(Upload.expires_at) <= clock.now())).all()
    ids = [upload.id for upload in expired]
    for upload in expired:
        session.delete(upload)
    session.flush()
    for upload_id in ids:
        upload_path(settings, upload_id).unlink(missing_ok=True)
    removed = len(ids)

    root = Path(settings.tus_dir)
    if root.is_dir():
        names = [p.name for p in root.iterdir() if p.is_file()]
        known: set[str] = set()
        for i in range(0, len(names), 500):
            batch = [n for n in names[i : i + 500] if is_public_id(n)]
            if batch:
                known.update(session.exec(select(Upload.id).where(col(Upload.id).in_(batch))))
        for name in names:
            if name not in known:
                (root / name).unlink(missing_ok=True)
                removed += 1
    _settle_dir(settings)
    return removed
