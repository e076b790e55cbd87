"""Publication, in one place: what the public may see, and the lifecycle that keeps a
contribution's status, publication order, search index and files in step.

- `is_public()` / `is_public_row()`: the one visibility rule, for queries and for a loaded row.
  Every public read (gallery pages, items, tags in use, media files, receipts' public links)
  goes through them.
- `publish()`, `unpublish()`, `republish()` (after an edit) and `erase()` are the only code that
  changes what the public sees.
- `changes_public_reads()`: whether a written row changes a public read. Every session's
  flushes and bulk statements are checked against it, and a commit that changed one advances
  the public cache's generation (`scrapbook.core.public_reads`) in every process: kept
  pages, ETags and CDN copies follow the data without any call site having to remember.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, Update, event, func, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from scrapbook.audit.service import Entity, erase_content
from scrapbook.core import clock, public_reads
from scrapbook.core.cdn import Purger, PurgingGeneration
from scrapbook.core.config import Settings
from scrapbook.core.db import make_engine
from scrapbook.gallery import search
from scrapbook.media.service import erase_files_after_commit
from scrapbook.media.storage import Storage
from scrapbook.models import Contribution, ContributionTag, MediaAsset, MediaVariant
from scrapbook.vocabulary import Status


def is_public() -> ColumnElement[bool]:
    """The one definition of what the public may see: approved contributions only."""
    return col(Contribution.status) == Status.approved


def is_public_row(c: Contribution) -> bool:
    return c.status == Status.approved


def _next_published_seq(session: Session) -> int:
    # Two approvals at the same instant may share a number; the gallery then orders by id.
    # Only public rows have a number: read it down the gallery's order index.
    latest = session.exec(select(func.max(Contribution.published_seq)).where(is_public())).one()
    return (latest or 0) + 1


def publish(session: Session, c: Contribution) -> None:
    """Approved: public from now on, in the gallery's order and in search."""
    if c.status != Status.approved:
        c.status = Status.approved
    if c.published_seq is None:
        c.published_on = clock.today()
        c.published_seq = _next_published_seq(session)
    search.index(session, c)
    session.add(c)


def unpublish(session: Session, c: Contribution, status: Status) -> None:
    """Held, rejected (or anything but approved): gone from every public read and search."""
    c.status = status
    c.published_on = c.published_seq = None
    search.unindex(session, c)
    session.add(c)


def republish(session: Session, c: Contribution) -> None:
    """After an edit: what is public shows the new words (search included)."""
    if is_public_row(c):
        search.index(session, c)
    session.add(c)


def erase(session: Session, storage: Storage, c: Contribution) -> None:
    """Withdrawn: the row, its files (after the commit), its search entry and the words in
    the audit log are erased; the log keeps who did what, when."""
    search.unindex(session, c)
    erase_files_after_commit(session, storage, c.media)
    erase_content(session, Entity.contribution, c.id)
    session.delete(c)
    session.flush()
    # Erased words leave no copy behind in old search segments or the write-ahead log.
    search.forget_erased(session)


# --- what changes a public read -------------------------------------------------------------

# Rows the public never reads, directly or through a page.
PRIVATE_TABLES = frozenset(
    {"audit_event", "moderator", "moderator_session", "rate_hit", "upload", "job_lock"}
)
# Columns kept for writers' own bookkeeping (optimistic versions, job leases): changing only
# these changes nothing a visitor can see.
BOOKKEEPING = frozenset({"version", "lease_until", "attempts"})


def _status_public(session: Session, contribution_pk: int | None) -> bool:
    if contribution_pk is None:
        return False
    status = session.connection().execute(
        select(Contribution.status).where(col(Contribution.pk) == contribution_pk)
    ).scalar()
    return status == Status.approved


def changes_public_reads(session: Session, row: object) -> bool:
    """Whether writing `row` (added, changed or deleted, already flushed) may change what a
    public read answers. Contributions and what hangs off them count when the contribution
    is public before or after; anything not known to be private counts (the directory)."""
    table = getattr(row, "__tablename__", None)
    if table in PRIVATE_TABLES:
        return False
    if isinstance(row, Contribution):
        before = inspect(row).attrs.status.history.deleted or ()
        return Status.approved in (row.status, *before)
    if isinstance(row, MediaAsset | ContributionTag):
        return _status_public(session, row.contribution_pk)
    if isinstance(row, MediaVariant):
        asset = session.connection().execute(
            select(MediaAsset.contribution_pk).where(col(MediaAsset.pk) == row.asset_pk)
        ).scalar()
        return _status_public(session, asset)
    return True


@event.listens_for(OrmSession, "after_flush")
def _note_flushed(session: Session, _: UOWTransaction) -> None:
    if session.info.get(public_reads.CHANGED):
        return
    for row in chain(session.new, session.dirty, session.deleted):
        if changes_public_reads(session, row):
            public_reads.mark_changed(session)
            return


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    """UPDATE and DELETE statements run outside the flush: counted unless they touch only a
    private table or only bookkeeping columns."""
    if not (state.is_update or state.is_delete) or state.session.info.get(public_reads.CHANGED):
        return
    statement: Any = state.statement
    table = getattr(getattr(statement, "table", None), "name", None)
    if table in PRIVATE_TABLES:
        return
    if isinstance(statement, Update):
        columns = {getattr(c, "key", str(c)) for c in getattr(statement, "_values", {}) or {}}
        if columns and columns <= BOOKKEEPING:
            return
    public_reads.mark_changed(state.session)


def watched_engine(settings: Settings) -> Engine:
    """The database engine for this process (app, worker or CLI): its commits that change a
    public read advance the public cache's generation, shared by every process."""
    engine = make_engine(settings.database_url)
    public_reads.attach(engine, public_generation(settings))
    return engine


def public_generation(settings: Settings) -> public_reads.Generation:
    """The public cache's generation every process shares (purging the CDN on each advance
    when a purge URL is set)."""
    generation = public_reads.make_generation(settings.redis_url,
                                              settings.public_generation_path)
    if settings.cdn_purge_url:
        generation = PurgingGeneration(
            generation, Purger(settings.cdn_purge_url, settings.cdn_purge_token))
    return generation
