"""ETags for public JSON reads: a strong validator from the body's hash, 304 when the client
already has it, and a Cache-Control that says who may keep a copy.

Public reads are revalidated on every use (`no-cache`): a withdrawn or unpublished piece must
not be served from any cache, and there is no purge yet for a shared cache (a CDN) to hold
pages for a while. A read that carries a person's place (a postcode or a point) is
`no-store`: it is never kept anywhere.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_READS = ("/api/gallery", "/api/meta", "/api/services", "/openreferral/")
PLACE_PARAMETERS = frozenset({"postcode", "near", "latitude", "longitude", "proximity"})
REVALIDATE = b"no-cache"
NEVER_KEEP = b"no-store"


def _matches(header: bytes, etag: bytes) -> bool:
    if header.strip() == b"*":
        return True
    tags = [t.strip().removeprefix(b"W/") for t in header.split(b",")]
    return etag in tags


class PublicETags:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or not scope["path"].startswith(PUBLIC_READS)):
            await self.app(scope, receive, send)
            return
        query = {name for name, _ in parse_qsl(scope["query_string"].decode("latin-1"))}
        if query & PLACE_PARAMETERS:
            await self.app(scope, receive, self._never_kept(send))
            return
        asked = dict(scope["headers"]).get(b"if-none-match")
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
            await self._finish(start, b"".join(chunks), asked, send)

        await self.app(scope, receive, buffered)

    @staticmethod
    def _never_kept(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", NEVER_KEEP)]}
            await send(message)
        return wrapped

    @staticmethod
    async def _finish(start: Message, body: bytes, asked: bytes | None, send: Send) -> None:
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"cache-control"]
        content_type = dict(headers).get(b"content-type", b"")
        if start["status"] != 200 or not content_type.startswith(b"application/json"):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers += [(b"etag", etag), (b"cache-control", REVALIDATE)]
        if asked is not None and _matches(asked, etag):
            kept = [(k, v) for k, v in headers
                    if k.lower() not in (b"content-length", b"content-type")]
            await send({**start, "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
