"""Publication, in one place: what the public may see, and the lifecycle that keeps a
contribution's status, publication order, search index and files in step.

- `is_public()` / `is_public_row()`: the one visibility rule, for queries and for a loaded row.
  Every public read (gallery pages, items, tags in use, media files, receipts' public links)
  goes through them.
- `publish()`, `unpublish()`, `republish()` (after an edit) and `erase()` are the only code that
  changes what the public sees.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from scrapbook.audit.service import Entity, erase_content
from scrapbook.core import clock
from scrapbook.gallery import search
from scrapbook.media.service import erase_files_after_commit
from scrapbook.media.storage import Storage
from scrapbook.models import Contribution
from scrapbook.vocabulary import Status


def is_public() -> ColumnElement[bool]:
    """The one definition of what the public may see: approved contributions only."""
    return col(Contribution.status) == Status.approved


def is_public_row(c: Contribution) -> bool:
    return c.status == Status.approved


def _next_published_seq(session: Session) -> int:
    # Two approvals at the same instant may share a number; the gallery then orders by id.
    latest = session.exec(select(func.max(Contribution.published_seq))).one()
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
