"""Request bodies are capped per route while they are read: 413 as soon as a cap is passed,
never a whole body buffered first (a 2 GB sign-in must not reach the JSON parser)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrapbook.core.config import Settings
from scrapbook.core.errors import ErrorCode, error_body

# Uploads have caps of their own, enforced by their parsers while they stream.
_OWN_CAPS = (("POST", "/api/contributions"), ("POST", "/api/admin/contributions"))
_UPLOADS = "/api/uploads"


def body_cap(settings: Settings, method: str, path: str) -> int | None:
    """The most bytes a request body may have on this route (None: the route caps it)."""
    if (method, path.rstrip("/")) in _OWN_CAPS or path.startswith(_UPLOADS):
        return None
    if path.rstrip("/") == "/api/admin/session":
        return settings.signin_body_max
    return settings.json_body_max


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap(self.settings, scope["method"], scope["path"])
        if cap is None:
            await self.app(scope, receive, send)
            return
        message = f"The request body may be at most {cap:,} bytes."
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            # Answered before a byte of the body is read; the server then closes the
            # connection rather than reading the rest.
            await _refuse(scope, receive, send, message)
            return
        seen = 0
        refused = False

        async def capped() -> Message:
            nonlocal seen, refused
            msg: dict[str, Any] = dict(await receive())
            if msg["type"] == "http.request" and not refused:
                seen += len(msg.get("body", b""))
                if seen > cap:
                    # Answer now; to the app the client has gone, so it reads no more.
                    refused = True
                    await _refuse(scope, receive, send, message)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(msg: Message) -> None:
            if not refused:  # once refused, whatever the app answers is dropped
                await send(msg)

        await self.app(scope, capped, guarded)


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    response = JSONResponse(error_body(ErrorCode.too_large, message), status_code=413,
                            headers={"Connection": "close"})
    await response(scope, receive, send)
