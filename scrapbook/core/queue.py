"""The job queue: Huey, on a SQLite file when embedded (no server needed), on Redis at scale.

The database, not the queue, is the record of pending work: a job lost with a killed worker
(Huey's SQLite storage deletes a task when a consumer takes it) is found again by the periodic
sweep (see `scrapbook.media.tasks`). Periodic work takes a `JobLock` row so that N workers on
N machines run it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from scrapbook.core import clock
from scrapbook.core.config import Settings
from scrapbook.models import JobLock

log = logging.getLogger("scrapbook.queue")


def make_huey(settings: Settings) -> Huey:
    """Redis when `redis_url` is set, else a SQLite file beside the database. No results kept."""
    if settings.redis_url:
        return RedisHuey("scrapbook", url=settings.redis_url, results=False)
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("scrapbook", filename=str(settings.queue_path), results=False)


class _ThreadConsumer(Consumer):  # type: ignore[misc]  # Huey has no type hints
    """Huey's consumer without its signal handlers: those may only be installed by the main
    thread, and inside `scrapbook serve` the signals belong to uvicorn."""

    def _set_signal_handlers(self) -> None:
        pass


def take_lock(engine: Engine, name: str, seconds: float) -> bool:
    """Hold the named lock for `seconds` if nobody holds it now; True if we got it."""
    now = clock.now()
    until = now + dt.timedelta(seconds=seconds)
    with Session(engine) as session:
        taken = session.execute(
            update(JobLock)
            .where(col(JobLock.name) == name, col(JobLock.held_until) < now)
            .values(held_until=until)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            session.commit()
            return True
        session.rollback()
        if session.get(JobLock, name) is not None:
            return False
        session.add(JobLock(name=name, held_until=until))
        try:
            session.commit()
        except IntegrityError:  # another worker created it first
            session.rollback()
            return False
        return True


class Runner:
    """Consumer threads plus a periodic sweep, for `scrapbook serve` and `scrapbook worker`."""

    def __init__(
        self,
        huey: Huey,
        engine: Engine,
        settings: Settings,
        sweep: Callable[[], None],
    ) -> None:
        self.huey = huey
        self.engine = engine
        self.settings = settings
        self.sweep = sweep
        self._consumer: Consumer | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self, threads: int) -> None:
        # On start every instance sweeps once, before taking jobs: it finds what a crash left.
        self._sweep_once()
        self._consumer = _ThreadConsumer(
            self.huey, workers=threads, periodic=False, initial_delay=0.05, max_delay=1.0,
            check_worker_health=False,
        )
        self._consumer.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="scrapbook-sweep",
                                         daemon=True)
        self._sweeper.start()

    def _sweep_once(self) -> None:
        try:
            self.sweep()
        except Exception:  # a sweep must never stop the worker; the next one retries
            log.exception("periodic sweep failed")

    def _sweep_loop(self) -> None:
        # Then one instance at a time, every sweep_seconds.
        while not self._stop.wait(self.settings.sweep_seconds):
            if take_lock(self.engine, "sweep", self.settings.sweep_seconds * 0.9):
                self._sweep_once()

    def stop(self) -> None:
        self._stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)

    def stop_soon(self) -> None:
        """Ask `wait()` to return (from a signal handler); then call `stop()`."""
        self._stop.set()

    def wait(self) -> None:
        """Block until asked to stop (for `scrapbook worker`)."""
        while not self._stop.wait(1):
            pass
