"""Security headers on every answer, and a refusal of NUL in the address, as plain ASGI (no
per-request task or body copying, which `BaseHTTPMiddleware` costs on every read)."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrapbook.core.errors import ErrorCode, error_body

PRIVATE_PREFIXES = ("/api/admin", "/api/receipts", "/api/contributions")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, csp: str, own_policy: tuple[str, ...]) -> None:
        self.app = app
        self.common = [(b"x-content-type-options", b"nosniff"),
                       (b"referrer-policy", b"no-referrer"),
                       (b"x-frame-options", b"DENY")]
        self.csp = (b"content-security-policy", csp.encode())
        self.own_policy = own_policy  # paths that carry a policy of their own (the API docs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "\x00" in path or b"%00" in scope["query_string"]:
            # No database accepts NUL in text; refuse it at the door, for every route.
            refusal = JSONResponse(
                error_body(ErrorCode.invalid_input, "The address contains a NUL character."),
                status_code=400,
            )
            await refusal(scope, receive, self._with_headers(send, path))
            return
        await self.app(scope, receive, self._with_headers(send, path))

    def _with_headers(self, send: Send, path: str) -> Send:
        add = list(self.common)
        if path not in self.own_policy:
            add.append(self.csp)
        private = path.startswith(PRIVATE_PREFIXES)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in add if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        return sending
