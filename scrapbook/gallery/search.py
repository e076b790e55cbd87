"""Full-text search entries for approved contributions: SQLite FTS5 or PostgreSQL tsvector."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, column, text
from sqlmodel import Session, col

from scrapbook.core.db import checkpoint_after_commit
from scrapbook.models import Contribution

_WORD = re.compile(r"[^\W_]+")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def index(session: Session, contribution: Contribution) -> None:
    """(Re)write the entry for one contribution; call only while it is approved."""
    unindex(session, contribution)
    params = {
        "pk": contribution.pk,
        "title": contribution.title,
        # A transcript is searched as part of the body: the words of a song or spoken poem.
        "body": "\n".join(t for t in (contribution.body, contribution.transcript) if t),
        "tags": " ".join(contribution.tags),
    }
    if _dialect(session) == "sqlite":
        session.execute(
            text(
                "INSERT INTO contribution_search (rowid, title, body, tags) "
                "VALUES (:pk, :title, :body, :tags)"
            ),
            params,
        )
    else:
        session.execute(
            text(
                "INSERT INTO contribution_search (contribution_pk, document) VALUES (:pk, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :tags), 'B') || "
                "setweight(to_tsvector('english', :body), 'C'))"
            ),
            params,
        )


def unindex(session: Session, contribution: Contribution) -> None:
    if _dialect(session) == "sqlite":
        session.execute(
            text("DELETE FROM contribution_search WHERE rowid = :pk"), {"pk": contribution.pk}
        )
    else:
        session.execute(
            text("DELETE FROM contribution_search WHERE contribution_pk = :pk"),
            {"pk": contribution.pk},
        )


def forget_erased(session: Session) -> None:
    """After an erasure: on SQLite, merge the FTS5 index into one segment (old segments keep
    deleted words until merged) and checkpoint the write-ahead log once committed. On
    PostgreSQL this is the operator's VACUUM (see the README)."""
    if _dialect(session) == "sqlite":
        session.execute(
            text("INSERT INTO contribution_search(contribution_search) VALUES('optimize')")
        )
        checkpoint_after_commit(session)


def matches(session: Session, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause selecting contributions that match every word of the query."""
    words = _WORD.findall(query)[:16]
    if not words:
        return None
    if _dialect(session) == "sqlite":
        # Each word quoted (so FTS5 syntax in the query is just text) and prefix-matched.
        fts = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        sub = text("SELECT rowid FROM contribution_search WHERE contribution_search MATCH :fts")
        return col(Contribution.pk).in_(sub.bindparams(fts=fts).columns(column("rowid", Integer)))
    terms = " & ".join(w.replace("'", "") + ":*" for w in words)
    sub = text(
        "SELECT contribution_pk FROM contribution_search "
        "WHERE document @@ to_tsquery('english', :terms)"
    )
    return col(Contribution.pk).in_(
        sub.bindparams(terms=terms).columns(column("contribution_pk", Integer))
    )
