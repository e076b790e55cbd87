"""Rate limits counted in a store every process shares: sliding windows of hits, and
exponential back-off for failures. Keys are keyed client hashes, never addresses.

The store is the database (embedded mode: every worker process of one machine shares it, no
server needed), Redis (`SCRAPBOOK_REDIS_URL`: every machine shares it), or memory (one
process; tests and tools). The `limits` library was considered: it has no store processes can
share without a server, and no way to give a hit back, which "only accepted submissions count"
needs; so the two small strategies here sit on one small store interface instead.

Every read-and-update of one key's hits runs under that key's lock (a thread lock, a Redis
lock, or a database lock), so parallel requests, in one process or many, cannot slip past a
limit.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

Clock = Callable[[], float]


def bucket_of(name: str, key: str) -> str:
    """Where a key's hits are kept: the limit's name and a hash of the key (a keyed client hash,
    or a username with one), so no name or address is stored and every bucket fits."""
    return f"{name}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


class Hits(Protocol):
    """One key's hits, while its lock is held."""

    def since(self, start: float) -> list[float]:
        """The hits after `start`, oldest first (older ones are forgotten)."""
        ...

    def count_since(self, start: float) -> int:
        """How many hits after `start` (older ones are forgotten), without loading them."""
        ...

    def add(self, at: float) -> None: ...

    def drop_newest(self) -> None: ...

    def clear(self) -> None: ...


class HitStore(Protocol):
    def locked(self, bucket: str, keep_seconds: float) -> AbstractContextManager[Hits]:
        """This bucket's hits, under its lock."""
        ...


# --- memory -------------------------------------------------------------------------------


class _MemoryHits:
    def __init__(self, hits: deque[float]) -> None:
        self._hits = hits

    def since(self, start: float) -> list[float]:
        while self._hits and self._hits[0] <= start:
            self._hits.popleft()
        return list(self._hits)

    def count_since(self, start: float) -> int:
        return len(self.since(start))

    def add(self, at: float) -> None:
        self._hits.append(at)

    def drop_newest(self) -> None:
        if self._hits:
            self._hits.pop()

    def clear(self) -> None:
        self._hits.clear()


class MemoryStore:
    """One process's memory. Past `max_keys` buckets, those with no recent hit are forgotten,
    so a flood of distinct clients cannot grow memory without bound."""

    max_keys = 100_000

    def __init__(self, clock: Clock = time.time) -> None:
        self.buckets: dict[str, tuple[deque[float], float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    @contextmanager
    def locked(self, bucket: str, keep_seconds: float) -> Iterator[Hits]:
        with self._lock:
            hits, _ = self.buckets.get(bucket, (deque(), keep_seconds))
            self.buckets[bucket] = (hits, keep_seconds)
            yield _MemoryHits(hits)
            if len(self.buckets) > self.max_keys:
                now = self._clock()
                self.buckets = {
                    b: (h, keep) for b, (h, keep) in self.buckets.items()
                    if h and h[-1] > now - keep
                }


# --- Redis ----------------------------------------------------------------------------------


class _RedisHits:
    def __init__(self, client: Any, key: str, keep_seconds: float) -> None:
        self._client, self._key, self._keep = client, key, keep_seconds

    def since(self, start: float) -> list[float]:
        self._client.zremrangebyscore(self._key, "-inf", start)
        return [score for _, score in self._client.zrange(self._key, 0, -1, withscores=True)]

    def count_since(self, start: float) -> int:
        self._client.zremrangebyscore(self._key, "-inf", start)
        return int(self._client.zcard(self._key))

    def add(self, at: float) -> None:
        self._client.zadd(self._key, {f"{at}:{uuid.uuid4().hex[:8]}": at})
        self._client.expire(self._key, max(1, int(self._keep) + 1))

    def drop_newest(self) -> None:
        self._client.zpopmax(self._key)

    def clear(self) -> None:
        self._client.delete(self._key)


class RedisStore:
    """Every process on every machine shares it; hits are sorted sets that expire with their
    window, guarded by a short Redis lock per key."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)

    @contextmanager
    def locked(self, bucket: str, keep_seconds: float) -> Iterator[Hits]:
        with self._client.lock(f"scrapbook:rl-lock:{bucket}", timeout=5, blocking_timeout=5):
            yield _RedisHits(self._client, f"scrapbook:rl:{bucket}", keep_seconds)


# --- the database ---------------------------------------------------------------------------


class _DatabaseHits:
    def __init__(self, conn: Connection, bucket: str) -> None:
        self._conn, self._bucket = conn, bucket

    def since(self, start: float) -> list[float]:
        self._conn.execute(
            text("DELETE FROM rate_hit WHERE bucket = :b AND at <= :start"),
            {"b": self._bucket, "start": start},
        )
        rows = self._conn.execute(
            text("SELECT at FROM rate_hit WHERE bucket = :b ORDER BY at"), {"b": self._bucket}
        )
        return [float(at) for (at,) in rows]

    def count_since(self, start: float) -> int:
        self._conn.execute(
            text("DELETE FROM rate_hit WHERE bucket = :b AND at <= :start"),
            {"b": self._bucket, "start": start},
        )
        found = self._conn.execute(
            text("SELECT count(*) FROM rate_hit WHERE bucket = :b"), {"b": self._bucket}
        ).scalar_one()
        return int(found)

    def add(self, at: float) -> None:
        self._conn.execute(
            text("INSERT INTO rate_hit (bucket, at) VALUES (:b, :at)"),
            {"b": self._bucket, "at": at},
        )

    def drop_newest(self) -> None:
        self._conn.execute(
            text("DELETE FROM rate_hit WHERE pk = (SELECT pk FROM rate_hit WHERE bucket = :b "
                 "ORDER BY at DESC, pk DESC LIMIT 1)"),
            {"b": self._bucket},
        )

    def clear(self) -> None:
        self._conn.execute(text("DELETE FROM rate_hit WHERE bucket = :b"), {"b": self._bucket})


class DatabaseStore:
    """The app's own database, so the worker processes of one machine agree with no server.
    The key's lock: a transaction-scoped advisory lock on PostgreSQL; on SQLite the first
    statement is a write, which takes the database's write lock until the commit."""

    forget_after = 86_400.0  # no hit of any key is kept longer than a day

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        self._engine = engine
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def locked(self, bucket: str, keep_seconds: float) -> Iterator[Hits]:
        with self._engine.begin() as conn:
            if self._postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:b, 0))"),
                             {"b": bucket})
            # Every key's hits older than a day go, whoever's they are (an index on `at`).
            conn.execute(text("DELETE FROM rate_hit WHERE at <= :old"),
                         {"old": self._clock() - max(keep_seconds, self.forget_after)})
            yield _DatabaseHits(conn, bucket)


def make_store(database_url: str, redis_url: str | None, sqlite_path: Path) -> HitStore:
    """Redis when configured. Else the database, through an engine (and connection pool) of
    its own, so a request holding a connection never waits on the pool for its limiter: on
    PostgreSQL the app's database; on SQLite a file of its own beside the job queue's
    (`sqlite_path`), so counting a hit never waits for a request's write lock on the main
    database (a refused submission gives its hit back while its own transaction is open)."""
    from scrapbook.core.db import make_engine

    if redis_url:
        return RedisStore(redis_url)
    if not database_url.startswith("sqlite"):
        return DatabaseStore(make_engine(database_url, pool_size=5))
    from scrapbook.models import RateHit

    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    own = make_engine(f"sqlite:///{sqlite_path}")
    RateHit.__table__.create(own, checkfirst=True)  # type: ignore[attr-defined]
    return DatabaseStore(own)


# --- the strategies -------------------------------------------------------------------------


class SlidingWindow:
    """At most `limit` hits per key in any `seconds`."""

    def __init__(self, limit: int, seconds: float, store: HitStore | None = None,
                 name: str = "window", clock: Clock = time.time) -> None:
        self.limit = limit
        self.seconds = seconds
        self.store: HitStore = store if store is not None else MemoryStore(clock)
        self.name = name
        self.clock = clock

    def _locked(self, key: str) -> AbstractContextManager[Hits]:
        return self.store.locked(bucket_of(self.name, key), self.seconds)

    def try_hit(self, key: str) -> bool:
        """Count one hit if under the limit, atomically; False when the limit is reached."""
        with self._locked(key) as hits:
            now = self.clock()
            if hits.count_since(now - self.seconds) >= self.limit:
                return False
            hits.add(now)
            return True

    def undo(self, key: str) -> None:
        """Give back the latest hit (a submission that was refused after all)."""
        with self._locked(key) as hits:
            hits.drop_newest()

    def clear(self, key: str) -> None:
        with self._locked(key) as hits:
            hits.clear()

    def count(self, key: str) -> int:
        """Hits inside the window, without counting one."""
        with self._locked(key) as hits:
            return hits.count_since(self.clock() - self.seconds)

    def retry_after(self, key: str) -> int:
        with self._locked(key) as hits:
            now = self.clock()
            inside = hits.since(now - self.seconds)
            if not inside:
                return 0
            return max(1, int(inside[0] + self.seconds - now) + 1)


class Backoff:
    """Failures per key with exponential back-off: the first `free` are free; after that each
    further attempt must wait `base * 2 ** (failures - free)` seconds (at most `cap`) after the
    last failure. Failures older than `cap` are forgotten."""

    def __init__(self, free: int, base: float, cap: float, clock: Clock = time.time,
                 store: HitStore | None = None, name: str = "backoff") -> None:
        self.free, self.base, self.cap, self.clock = free, base, cap, clock
        self.store: HitStore = store if store is not None else MemoryStore(clock)
        self.name = name

    def try_attempt(self, key: str) -> float:
        """0 and the attempt counted as a failure (until `succeeded`), or the seconds to wait.

        Counting before the check keeps parallel guesses from slipping past the limit."""
        with self.store.locked(bucket_of(self.name, key), self.cap) as hits:
            now = self.clock()
            failures = hits.since(now - self.cap)
            if len(failures) >= self.free:
                delay = failures[-1] + min(self.cap, self.base * 2.0 ** (len(failures) - self.free))
                if delay - now > 0:
                    return delay - now
            hits.add(now)
            return 0.0

    def succeeded(self, key: str) -> None:
        with self.store.locked(bucket_of(self.name, key), self.cap) as hits:
            hits.clear()
