"""Engine, the request-scoped session that owns the transaction, and commit/rollback hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, create_engine

from scrapbook.core.state import state_of

# Set before any table is declared so constraint names are stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def make_engine(url: str, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a failing statement's values (someone's words, an email) never
        # reach a log through the exception text.
        # A connection for each request thread that may want one (Starlette's pool has 40):
        # opening one runs the pragmas below, so none is opened and closed per request.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True,
            pool_size=32, max_overflow=16,
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
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size,
        hide_parameters=True
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
    yield from transaction(state_of(request.app, "engine", Engine))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """`transaction` as a `with` block, for work outside a request (CLI, job queue)."""
    yield from transaction(engine)


def checkpoint_after_commit(session: Session) -> None:
    """On SQLite, once the transaction has committed, copy the write-ahead log into the
    database and truncate it, so erased words are not left in old copies of pages in `-wal`.
    Best effort, waiting at most a second for others (it holds writers back while it waits):
    a reader still open elsewhere leaves it partial until the next one. Nothing on PostgreSQL.
    """
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return

    def checkpoint() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=1000")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except OperationalError:
                pass  # busy: the erasure itself has committed; the next checkpoint finishes it
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout=30000")

    after_commit(session, checkpoint)
