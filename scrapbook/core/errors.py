"""Typed domain errors and the one handler that renders them as {"error", "detail"}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("scrapbook")


class ScrapbookError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.headers = headers


class InvalidInput(ScrapbookError):
    status_code = 422
    code = "invalid_input"


class NotFound(ScrapbookError):
    status_code = 404
    code = "not_found"


class Conflict(ScrapbookError):
    status_code = 409
    code = "conflict"


class UnsupportedMedia(ScrapbookError):
    status_code = 415
    code = "unsupported_media"


class TooLarge(ScrapbookError):
    status_code = 413
    code = "too_large"


class RateLimited(ScrapbookError):
    status_code = 429
    code = "rate_limited"


class ServiceBusy(ScrapbookError):
    status_code = 503
    code = "busy"


class NotAuthenticated(ScrapbookError):
    status_code = 401
    code = "not_signed_in"


class Forbidden(ScrapbookError):
    status_code = 403
    code = "forbidden"


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


_HTTP_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media",
}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        msg = err.get("msg", "is invalid")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "The request is not valid."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScrapbookError)
    async def _scrapbook_error(_: Request, exc: ScrapbookError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_input", _describe_validation(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return JSONResponse(
            error_body(code, detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side. Please try again."),
            status_code=500,
        )
