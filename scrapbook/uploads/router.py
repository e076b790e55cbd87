"""Resumable uploads with the tus 1.0.0 protocol: core, creation, termination, expiration.

A client creates an upload (POST, Upload-Length), sends its bytes in one or more PATCH
requests, and after a dropped connection asks how far it got (HEAD) and carries on from
there. The finished upload's id is then sent with the contribution (`upload_id`).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect

from scrapbook.contributions.limits import count_upload
from scrapbook.core.config import Settings
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import (
    Conflict,
    ErrorCode,
    MethodNotAllowed,
    ScrapbookError,
    ServiceBusy,
    TooLarge,
    UnsupportedMedia,
    errors,
)
from scrapbook.core.openapi import limit
from scrapbook.core.state import state_of
from scrapbook.models import Upload
from scrapbook.uploads import service

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_STREAM = "application/offset+octet-stream"
PREFIX = "/api/uploads"
# Bytes gathered from the request before a worker thread writes them: few thread hops, and
# memory stays flat whatever the size of the upload.
WRITE_BYTES = 1024 * 1024
# During a long PATCH the offset is synced and recorded this often, so a server restart
# mid-request loses at most this much (unrecorded bytes are cut off by the next PATCH).
RECORD_BYTES = 16 * 1024 * 1024
_MAX_DIGITS = 19  # fits a signed 64-bit integer


class UnsupportedVersion(ScrapbookError):
    status_code = 412
    code = ErrorCode.unsupported_version


_EVERY_ANSWER = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}


class TusRoute(APIRoute):
    """Refuses other protocol versions before doing anything (412), and puts Tus-Resumable
    and Cache-Control: no-store on every answer, errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                if request.method != "OPTIONS" and request.headers.get("tus-resumable") != (
                    TUS_VERSION
                ):
                    raise UnsupportedVersion(
                        f"This server speaks tus {TUS_VERSION}; send Tus-Resumable: {TUS_VERSION}.",
                        headers={"Tus-Version": TUS_VERSION},
                    )
                response = await handler(request)
            except ScrapbookError as exc:
                # Re-raised, not answered here: the session dependency must see the error to
                # roll back, and the one error handler renders it, with these headers.
                exc.headers = {**(exc.headers or {}), **_EVERY_ANSWER}
                raise
            response.headers.update(_EVERY_ANSWER)
            return response

        return tus_handler


router = APIRouter(
    prefix=PREFIX, tags=["uploads"], route_class=TusRoute, default_response_class=Response,
    responses=errors(400, 404, 409, 410, 412, 413, 415, 422, 429, 503),
)


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "description": description,
            "schema": {"type": "string", **schema}}


_VERSION = _header("Tus-Resumable", "The protocol version.", enum=[TUS_VERSION])
_BYTES = {"pattern": f"^[0-9]{{1,{_MAX_DIGITS}}}$"}


def _documented(*parameters: dict[str, Any], body: bool = False) -> dict[str, Any]:
    """The tus headers a route reads, for the API description (they are read by hand)."""
    extra: dict[str, Any] = {"parameters": [_VERSION, *parameters]}
    if body:
        extra["requestBody"] = {"required": True, "content": {
            OFFSET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
    return extra


def _header_int(headers: Headers, name: str) -> int | None:
    """A non-negative integer header, None when absent; 400 when it is anything else."""
    raw = headers.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_DIGITS:
        raise ScrapbookError(f"{name} must be a whole number of bytes.",
            code=ErrorCode.invalid_header)
    return int(value)


def _expires(when: dt.datetime) -> dict[str, str]:
    return {"Upload-Expires": email.utils.format_datetime(when, usegmt=True)}


@router.options("/", status_code=204)
@router.options("", status_code=204, include_in_schema=False)
@router.options("/{upload_id}", status_code=204, include_in_schema=False)
def capabilities(settings: SettingsDep) -> Response:
    """The protocol version, extensions and largest upload (bytes) this server supports."""
    return Response(status_code=204, headers={
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(service.max_bytes(settings)),
    })


@router.post("/", status_code=201, openapi_extra=_documented(
    _header("Upload-Length", "The upload's size in bytes (at most Tus-Max-Size).",
            type="integer", minimum=0, **limit("file_bytes_max"))))
@router.post("", status_code=201, include_in_schema=False)
def create_upload(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Start an upload of Upload-Length bytes; its URL is in Location. Upload-Metadata is
    accepted and ignored: no file name or type is kept."""
    headers = request.headers
    if "upload-defer-length" in headers:
        raise ScrapbookError(
            "Uploads of unknown length are not supported; send Upload-Length.",
            code=ErrorCode.defer_length_unsupported,
        )
    if "upload-concat" in headers:
        raise ScrapbookError("Joining uploads is not supported.", code=ErrorCode.concat_unsupported)
    length = _header_int(headers, "Upload-Length")
    if length is None:
        raise ScrapbookError("Send the upload's size in bytes as Upload-Length.",
                             code=ErrorCode.length_required)
    upload = service.create(session, settings, length)
    count_upload(request)  # refused: the transaction rolls back, nothing is kept
    return Response(status_code=201, headers={
        "Location": f"{PREFIX}/{upload.id}", **_expires(service.expires_at(upload)),
    })


def _status(upload: Upload) -> Response:
    return Response(status_code=200, headers={
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        **_expires(service.expires_at(upload)),
    })


@router.head("/{upload_id}", openapi_extra=_documented())
def upload_status(upload_id: str, session: SessionDep) -> Response:
    """How many bytes have arrived (Upload-Offset) of how many (Upload-Length)."""
    service.check_id(upload_id)
    return _status(service.find_live(session, upload_id))


@router.delete("/{upload_id}", status_code=204, openapi_extra=_documented())
def terminate_upload(upload_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    """Abandon an upload: its bytes are deleted."""
    service.check_id(upload_id)
    service.terminate(session, settings, upload_id)
    return Response(status_code=204)


@router.patch("/{upload_id}", status_code=204, openapi_extra=_documented(
    _header("Upload-Offset", "The bytes already sent (ask with HEAD).", **_BYTES), body=True))
async def append_to_upload(upload_id: str, request: Request) -> Response:
    """Send bytes (application/offset+octet-stream) from Upload-Offset, the bytes so far."""
    settings = state_of(request.app, "settings", Settings)
    engine = state_of(request.app, "engine", Engine)
    service.check_id(upload_id)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_STREAM:
        raise UnsupportedMedia(f"Send the bytes as Content-Type: {OFFSET_STREAM}.")
    sent_offset = _header_int(request.headers, "Upload-Offset")
    if sent_offset is None:
        raise ScrapbookError("Send Upload-Offset: the number of bytes already sent.",
                             code=ErrorCode.offset_required)
    declared = _header_int(request.headers, "Content-Length")

    appender = await run_in_threadpool(service.begin_append, engine, settings, upload_id)
    try:
        if sent_offset != appender.start:
            raise Conflict(
                f"The upload has {appender.start} bytes, not {sent_offset}; "
                "ask (HEAD) and send from there.",
                code=ErrorCode.offset_mismatch,
            )
        too_long = TooLarge(
            f"These bytes would go past the upload's length of {appender.length} bytes."
        )
        if declared is not None and declared > appender.room:
            raise too_long
        pending = bytearray()
        try:
            async for chunk in request.stream():
                if len(pending) + len(chunk) > appender.room:
                    await run_in_threadpool(appender.discard)  # nothing unrecorded is kept
                    raise too_long
                pending += chunk
                if len(pending) >= WRITE_BYTES:
                    data, pending = pending, bytearray()
                    await run_in_threadpool(appender.write, data)
                    if appender.unrecorded >= RECORD_BYTES:
                        await run_in_threadpool(service.record_offset, engine, appender)
        except ClientDisconnect:
            pass  # keep what arrived: the client asks (HEAD) and resumes from there
        if pending:
            await run_in_threadpool(appender.write, pending)
        offset = await run_in_threadpool(service.record_offset, engine, appender)
    except OSError:
        await run_in_threadpool(appender.discard)
        raise ServiceBusy("The upload could not be stored just now. Please try again shortly.",
                          headers={"Retry-After": "60"}) from None
    finally:
        appender.close()
    return Response(status_code=204, headers={
        "Upload-Offset": str(offset), **_expires(appender.expires_at),
    })


@router.post("/{upload_id}", openapi_extra=_documented(_header(
    "X-HTTP-Method-Override", "The method meant, for clients that can only POST.",
    enum=["PATCH", "HEAD", "DELETE"])))
async def method_override(upload_id: str, request: Request) -> Response:
    """PATCH, DELETE or HEAD named in X-HTTP-Method-Override, for clients that cannot send them."""
    service.check_id(upload_id)
    method = request.headers.get("x-http-method-override", "").strip().upper()
    engine = state_of(request.app, "engine", Engine)
    settings = state_of(request.app, "settings", Settings)
    if method == "PATCH":
        return await append_to_upload(upload_id, request)
    if method == "HEAD":
        upload = await run_in_threadpool(
            service.in_transaction, engine, lambda s: service.find_live(s, upload_id)
        )
        return _status(upload)
    if method == "DELETE":
        await run_in_threadpool(
            service.in_transaction, engine, lambda s: service.terminate(s, settings, upload_id)
        )
        return Response(status_code=204)
    raise MethodNotAllowed(
        "An upload takes HEAD, PATCH and DELETE (or POST with X-HTTP-Method-Override).",
        headers={"Allow": "HEAD, PATCH, DELETE, OPTIONS"},
    )
