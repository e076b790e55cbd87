"""Public JSON reads: kept as ready bytes, validated by ETag, and never served once they are
out of date, in any process on any machine.

- **The generation.** Every commit that changes what the public may read (the rule is
  `scrapbook.gallery.publication.changes_public_reads`) moves a shared generation on, once
  the transaction has committed: a file beside the database in embedded mode (every process
  on the machine sees it with one `stat`), a Redis key when Redis is configured (every
  machine). A process reads the generation before it answers from its cache or builds a
  page, and a page is kept under the generation read *before* it was built: a page built
  from data a commit has since changed is kept under a generation already gone, so it is
  never served.
- **The cache.** Each process keeps finished responses (status, headers, body, ETag) by path
  and query, up to `public_cache_bytes`, least recently used first out; a new generation
  empties it. When the generation cannot be read (Redis down), nothing is served from the
  cache and nothing is kept: the reads still work, uncached.
- **Validators.** Every public JSON read carries a strong ETag from its body's hash and is
  answered 304 on a matching If-None-Match. Browsers revalidate every use (`no-cache`). A
  shared cache (a CDN) may keep a page for `cdn_max_age` seconds (`s-maxage`), and, when a
  purge URL is configured, serve it stale while it revalidates; see `scrapbook.core.cdn`.
- **A person's place is never kept.** A read with a postcode or a point is `no-store`, is
  never put in the cache and carries no ETag.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

PUBLIC_READS = ("/api/gallery", "/api/meta", "/api/services", "/openreferral/")
PLACE_PARAMETERS = frozenset({"postcode", "near", "latitude", "longitude", "proximity"})
NEVER_KEEP = b"no-store"
Header = tuple[bytes, bytes]


# --- the generation -------------------------------------------------------------------------


class Generation(Protocol):
    def current(self) -> str | None:
        """The generation now, or None when it cannot be known (then nothing is cached)."""

    def advance(self) -> None:
        """Move on: every kept page of every process is out of date."""


class FileGeneration:
    """One machine: a small file replaced on every change; its identity (inode, time, size)
    is the generation, read with one `stat`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            self.advance()

    def current(self) -> str | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return f"{st.st_ino}.{st.st_mtime_ns}.{st.st_size}"

    def advance(self) -> None:
        # A new file each time (a new inode), written whole then renamed into place.
        fresh = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        fresh.write_text(uuid.uuid4().hex)
        os.replace(fresh, self.path)


class RedisGeneration:
    """Several machines: a counter in Redis, read on every public read (one round trip)."""

    key = "scrapbook:public-generation"

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._unsent = False  # an advance that could not reach Redis, sent on the next use

    def current(self) -> str | None:
        try:
            if self._unsent:
                self._client.incr(self.key)
                self._unsent = False
            value = self._client.get(self.key)
        except Exception:  # noqa: BLE001 (any Redis failure: read uncached)
            log.warning("public cache: Redis unreachable, reads are not cached")
            return None
        if value is None:
            return "0"
        return value.decode() if isinstance(value, bytes) else str(value)

    def advance(self) -> None:
        try:
            self._client.incr(self.key)
        except Exception:  # noqa: BLE001
            # This process keeps nothing until the advance is sent (`current` returns None
            # while Redis is unreachable, and sends it first once Redis answers).
            log.error("public cache: could not advance the generation; retrying on next read")
            self._unsent = True


def make_generation(redis_url: str | None, path: Path) -> Generation:
    return RedisGeneration(redis_url) if redis_url else FileGeneration(path)


# Which generation a commit on an engine advances (the app's engine, a worker's, the CLI's).
_generations: weakref.WeakKeyDictionary[Engine, Generation] = weakref.WeakKeyDictionary()


def attach(engine: Engine, generation: Generation) -> None:
    _generations[engine] = generation


def generation_of(engine: Engine) -> Generation | None:
    return _generations.get(engine)


CHANGED = "public_reads_changed"


def mark_changed(session: Session) -> None:
    """This transaction changes a public read: advance the generation once it commits."""
    session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    if not session.info.pop(CHANGED, False):
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    generation = generation_of(engine)
    if generation is not None:
        generation.advance()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(CHANGED, None)


# --- the cache ------------------------------------------------------------------------------


GZIP_MIN_BYTES = 1024  # smaller answers fit one packet either way


@dataclass(slots=True)
class Kept:
    status: int
    headers: list[Header]
    body: bytes
    etag: bytes
    _gzipped: Kept | None = None

    @property
    def size(self) -> int:
        # The body, its gzip copy (a JSON page compresses to a fifth or less) and headers.
        return len(self.body) * 13 // 10 + sum(len(k) + len(v) for k, v in self.headers) + 300

    def gzipped(self) -> Kept:
        """The same page gzip-compressed: made once, then kept with the page."""
        if self._gzipped is None:
            body = gzip.compress(self.body, compresslevel=6, mtime=0)
            etag = self.etag[:-1] + b'-gzip"'  # another representation, another validator
            headers = [(k, v) for k, v in self.headers if k not in (b"content-length", b"etag")]
            headers += [(b"content-encoding", b"gzip"),
                        (b"content-length", str(len(body)).encode()), (b"etag", etag)]
            self._gzipped = Kept(self.status, headers, body, etag)
        return self._gzipped


def _accepts_gzip(scope: Scope) -> bool:
    """Whether Accept-Encoding takes gzip (`gzip` or `*`, unless with q=0)."""
    for name, value in scope["headers"]:
        if name != b"accept-encoding":
            continue
        for coding in value.lower().split(b","):
            token, _, params = coding.partition(b";")
            if token.strip() not in (b"gzip", b"*"):
                continue
            weight = params.strip().removeprefix(b"q=") if params.strip() else b"1"
            try:
                return float(weight) > 0
            except ValueError:
                return False
    return False


class PageCache:
    """Finished responses of one generation, least recently used out past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.generation: str | None = None
        self._pages: OrderedDict[str, Kept] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, generation: str) -> Kept | None:
        if generation != self.generation:
            self.clear(generation)
            return None
        kept = self._pages.get(key)
        if kept is not None:
            self._pages.move_to_end(key)
        return kept

    def put(self, key: str, generation: str, kept: Kept) -> None:
        if generation != self.generation:
            # `get` saw a newer generation while this page was being built: the page may
            # hold what that change altered, so it is not kept.
            return
        if kept.size > self.max_bytes // 8:
            return  # one huge page must not push everything else out
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._pages[key] = kept
        self._bytes += kept.size
        while self._bytes > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self._bytes -= dropped.size

    def clear(self, generation: str | None = None) -> None:
        self._pages.clear()
        self._bytes = 0
        self.generation = generation

    def __len__(self) -> int:
        return len(self._pages)


# --- the middleware -------------------------------------------------------------------------


def _matches(header: bytes, etag: bytes) -> bool:
    if header.strip() == b"*":
        return True
    tags = [t.strip().removeprefix(b"W/") for t in header.split(b",")]
    return etag in tags


def _cache_key(scope: Scope) -> str:
    # Parameters in a stable order (a repeated one keeps its own order), so `?a=1&b=2` and
    # `?b=2&a=1` are one page.
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    pairs.sort(key=lambda pair: pair[0])
    path: str = scope["path"]
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


class PublicReads:
    """ETags, Cache-Control and the page cache for public JSON reads (GET only)."""

    def __init__(self, app: ASGIApp, *, cache: PageCache | None,
                 generation: Generation | None, cache_control: bytes,
                 surrogate_key: bytes | None = None) -> None:
        self.app = app
        self.cache = cache if cache is not None and cache.max_bytes > 0 else None
        self.generation = generation
        self.cache_control = cache_control
        self.surrogate_key = surrogate_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not scope["path"].startswith(PUBLIC_READS)):
            await self.app(scope, receive, send)
            return
        query = scope["query_string"]
        if query and {n for n, _ in parse_qsl(query.decode("latin-1"))} & PLACE_PARAMETERS:
            await self.app(scope, receive, self._never_kept(send))
            return
        asked = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        key = generation = None
        if self.cache is not None and self.generation is not None:
            key = _cache_key(scope)
            generation = self.generation.current()  # read *before* the page is built
            if generation is not None:
                kept = self.cache.get(key, generation)
                if kept is not None:
                    await self._answer(kept, asked, _accepts_gzip(scope), send)
                    return

        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            kept = self._keepable(start, body)
            if kept is None:
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            if self.cache is not None and key is not None and generation is not None:
                self.cache.put(key, generation, kept)
            await self._answer(kept, asked, _accepts_gzip(scope), send)

        await self.app(scope, receive, buffered)

    def _keepable(self, start: Message, body: bytes) -> Kept | None:
        headers: list[Header] = [(k, v) for k, v in start["headers"]
                                 if k.lower() != b"cache-control"]
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if start["status"] != 200 or not content_type.startswith(b"application/json"):
            return None
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers += [(b"etag", etag), (b"cache-control", self.cache_control),
                    (b"vary", b"Accept-Encoding")]
        if self.surrogate_key:
            headers += [(b"surrogate-key", self.surrogate_key), (b"cache-tag", self.surrogate_key)]
        return Kept(status=200, headers=headers, body=body, etag=etag)

    @staticmethod
    async def _answer(kept: Kept, asked: bytes | None, gzip_ok: bool, send: Send) -> None:
        if gzip_ok and len(kept.body) >= GZIP_MIN_BYTES:
            kept = kept.gzipped()
        if asked is not None and _matches(asked, kept.etag):
            headers = [(k, v) for k, v in kept.headers
                       if k.lower() not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": kept.status,
                    "headers": kept.headers})
        await send({"type": "http.response.body", "body": kept.body})

    @staticmethod
    def _never_kept(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", NEVER_KEEP)]}
            await send(message)
        return wrapped
