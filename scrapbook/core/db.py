"""Engine, the request-scoped session that owns the transaction, and commit/rollback hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

# Set before any table is declared so constraint names are stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a failing statement's values (someone's words, an email) never
        # reach a log through the exception text.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Erased text is overwritten on disk, not left behind in free pages.
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run fn once the request's transaction has committed (e.g. delete files)."""
    session.info.setdefault("after_commit", []).append(fn)


def on_rollback(session: Session, fn: Callable[[], None]) -> None:
    """Run fn if the request's transaction rolls back (e.g. remove files written for it)."""
    session.info.setdefault("on_rollback", []).append(fn)


def _run_hooks(session: Session, name: str) -> None:
    for fn in session.info.pop(name, []):
        fn()


def transaction(engine: Engine) -> Iterator[Session]:
    """Commit once on success, roll back (and undo side effects) on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            session.info.pop("after_commit", None)
            _run_hooks(session, "on_rollback")
            raise
        session.info.pop("on_rollback", None)
        _run_hooks(session, "after_commit")


def get_session(request: Request) -> Iterator[Session]:
    yield from transaction(request.app.state.engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """`transaction` as a `with` block, for work outside a request (CLI, job queue)."""
    yield from transaction(engine)
