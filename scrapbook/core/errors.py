"""Typed domain errors, the catalogue of error codes, and the one handler that renders them
as {"error", "detail", "field"}.

Every error a client can see has a code from `ErrorCode` (its meaning is in `MEANINGS`, shown
in /docs); `field` names the request field at fault when there is one, so a form can put the
message beside it without reading the English `detail`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("scrapbook")


class ErrorCode(StrEnum):
    """Every error code the API answers with. A new code is added here, with its meaning."""

    # Generic, one per status
    bad_request = "bad_request"
    invalid_input = "invalid_input"
    not_found = "not_found"
    conflict = "conflict"
    unsupported_media = "unsupported_media"
    too_large = "too_large"
    rate_limited = "rate_limited"
    busy = "busy"
    unavailable = "unavailable"
    not_signed_in = "not_signed_in"
    forbidden = "forbidden"
    method_not_allowed = "method_not_allowed"
    request_timeout = "request_timeout"
    internal_error = "internal_error"
    error = "error"
    # Text and form fields
    invalid_text = "invalid_text"
    too_long = "too_long"
    too_many_tags = "too_many_tags"
    invalid_form = "invalid_form"
    unsupported_content_type = "unsupported_content_type"
    unknown_region = "unknown_region"
    unknown_category = "unknown_category"
    invalid_cursor = "invalid_cursor"
    limit_too_large = "limit_too_large"
    invalid_id = "invalid_id"
    # Contributions
    consent_required = "consent_required"
    body_required = "body_required"
    files_required = "files_required"
    too_many_files = "too_many_files"
    one_file_required = "one_file_required"
    unexpected_files = "unexpected_files"
    unexpected_upload = "unexpected_upload"
    unexpected_transcript = "unexpected_transcript"
    alt_text_mismatch = "alt_text_mismatch"
    receipt_not_found = "receipt_not_found"
    message_required = "message_required"
    # Files (images, sound, video)
    empty_file = "empty_file"
    file_too_large = "file_too_large"
    unsupported_type = "unsupported_type"
    unsupported_codec = "unsupported_codec"
    too_many_pixels = "too_many_pixels"
    invalid_image = "invalid_image"
    damaged_media = "damaged_media"
    wrong_kind = "wrong_kind"
    no_usable_stream = "no_usable_stream"
    no_frames = "no_frames"
    frame_rate_too_high = "frame_rate_too_high"
    too_many_channels = "too_many_channels"
    range_not_satisfiable = "range_not_satisfiable"
    # Resumable uploads (tus)
    unsupported_version = "unsupported_version"
    invalid_header = "invalid_header"
    length_required = "length_required"
    defer_length_unsupported = "defer_length_unsupported"
    concat_unsupported = "concat_unsupported"
    offset_required = "offset_required"
    offset_mismatch = "offset_mismatch"
    upload_busy = "upload_busy"
    upload_not_found = "upload_not_found"
    upload_unfinished = "upload_unfinished"
    upload_expired = "upload_expired"
    # Moderation
    invalid_credentials = "invalid_credentials"
    csrf_failed = "csrf_failed"
    version_conflict = "version_conflict"
    not_decidable = "not_decidable"
    reason_required = "reason_required"
    alt_text_required = "alt_text_required"
    transcript_required = "transcript_required"
    unknown_media = "unknown_media"
    invalid_channel = "invalid_channel"
    # Directory
    invalid_near = "invalid_near"
    invalid_point = "invalid_point"
    postcode_unplaceable = "postcode_unplaceable"
    invalid_modified_after = "invalid_modified_after"
    invalid_mode = "invalid_mode"
    missing_name = "missing_name"
    missing_source = "missing_source"
    missing_status = "missing_status"
    empty_report = "empty_report"
    import_refused = "import_refused"


MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.bad_request: (
        "The request could not be understood (for example a NUL in the address)."
    ),
    ErrorCode.invalid_input: "A field is missing or not valid; `field` names it.",
    ErrorCode.not_found: "Nothing has that address or id (or it is not public).",
    ErrorCode.conflict: "The request conflicts with the current state.",
    ErrorCode.unsupported_media: "The body is not in a format this route reads.",
    ErrorCode.too_large: "The request body is over this route's limit.",
    ErrorCode.rate_limited: (
        "Too many requests from this client; Retry-After says when to try again."
    ),
    ErrorCode.busy: "The server is at capacity; try again shortly (Retry-After).",
    ErrorCode.unavailable: (
        "A service the server relies on (Redis) cannot be reached just now; nothing was "
        "stored. Try again shortly (Retry-After)."
    ),
    ErrorCode.not_signed_in: "Sign in as a moderator first.",
    ErrorCode.forbidden: "Signed in, but not allowed to do this.",
    ErrorCode.method_not_allowed: (
        "The address exists but not with this method; Allow lists those it takes."
    ),
    ErrorCode.request_timeout: "The body arrived too slowly, or stopped arriving.",
    ErrorCode.internal_error: "Something went wrong on our side.",
    ErrorCode.error: "An HTTP error without a more specific code.",
    ErrorCode.invalid_text: (
        "Text that is not valid UTF-8, holds a NUL, or hides markup too deeply."
    ),
    ErrorCode.too_long: "A text field, or a recording, is over its limit.",
    ErrorCode.too_many_tags: "More tags than allowed.",
    ErrorCode.invalid_form: "The multipart form could not be read.",
    ErrorCode.unsupported_content_type: "Contributions are sent as multipart/form-data.",
    ErrorCode.unknown_region: "The region or area is not one of those in /api/meta.",
    ErrorCode.unknown_category: "The category is not one of the directory's.",
    ErrorCode.invalid_cursor: "The page cursor is not one this server gave out.",
    ErrorCode.limit_too_large: "The page size is over the maximum.",
    ErrorCode.invalid_id: "That is not a contribution id.",
    ErrorCode.consent_required: "The contributor must agree to the guidelines.",
    ErrorCode.body_required: "Writing needs a body.",
    ErrorCode.files_required: "Pictures need at least one image.",
    ErrorCode.too_many_files: "More images than allowed.",
    ErrorCode.one_file_required: "Sound and video take exactly one file or upload.",
    ErrorCode.unexpected_files: "Writing takes no files.",
    ErrorCode.unexpected_upload: "Only sound and video are sent as resumable uploads.",
    ErrorCode.unexpected_transcript: "Only sound and video have transcripts.",
    ErrorCode.alt_text_mismatch: "Image descriptions and images do not pair up.",
    ErrorCode.receipt_not_found: "No contribution has that receipt code.",
    ErrorCode.message_required: "A report needs a message.",
    ErrorCode.empty_file: "A file is empty.",
    ErrorCode.file_too_large: "A file is over its size limit.",
    ErrorCode.unsupported_type: "A file is not an image, sound or video format we take.",
    ErrorCode.unsupported_codec: "The sound or video is encoded in a way we cannot read.",
    ErrorCode.too_many_pixels: "An image or video frame has too many pixels.",
    ErrorCode.invalid_image: "An image is damaged or incomplete.",
    ErrorCode.damaged_media: "A sound or video file is damaged or incomplete.",
    ErrorCode.wrong_kind: "Sound sent as video, or video as sound.",
    ErrorCode.no_usable_stream: "The file has no sound or pictures we can use.",
    ErrorCode.no_frames: "The file has no frames or samples.",
    ErrorCode.frame_rate_too_high: "The video's frame rate is over the limit.",
    ErrorCode.too_many_channels: "The sound has more channels than allowed.",
    ErrorCode.range_not_satisfiable: "The Range header asks for bytes the file does not have.",
    ErrorCode.unsupported_version: "tus: send Tus-Resumable: 1.0.0.",
    ErrorCode.invalid_header: "tus: a header is not a whole number of bytes.",
    ErrorCode.length_required: "tus: send Upload-Length.",
    ErrorCode.defer_length_unsupported: "tus: Upload-Defer-Length is not supported.",
    ErrorCode.concat_unsupported: "tus: concatenation is not supported.",
    ErrorCode.offset_required: "tus: send Upload-Offset.",
    ErrorCode.offset_mismatch: "tus: Upload-Offset is not where the upload stands.",
    ErrorCode.upload_busy: "tus: another request is sending this upload.",
    ErrorCode.upload_not_found: "No finished upload has that id.",
    ErrorCode.upload_unfinished: "The upload has not received all its bytes yet.",
    ErrorCode.upload_expired: "The upload expired and was removed.",
    ErrorCode.invalid_credentials: "The username and password do not match.",
    ErrorCode.csrf_failed: "A changing request needs the X-CSRF-Token header from sign-in.",
    ErrorCode.version_conflict: "Someone else changed the contribution first; reload it.",
    ErrorCode.not_decidable: "The contribution is not in a state that can be decided.",
    ErrorCode.reason_required: "A rejection needs a kind reason for the contributor.",
    ErrorCode.alt_text_required: "Every image needs a description before approval.",
    ErrorCode.transcript_required: "Sound and video need a transcript before approval.",
    ErrorCode.unknown_media: "The media id is not one of this contribution's.",
    ErrorCode.invalid_channel: "The channel is not email, post or social.",
    ErrorCode.invalid_near: "near is not 'latitude,longitude' within range.",
    ErrorCode.invalid_point: "latitude and longitude go together, and proximity needs them.",
    ErrorCode.postcode_unplaceable: "The postcode cannot be placed.",
    ErrorCode.invalid_modified_after: "modified_after is not an ISO 8601 date or date-time.",
    ErrorCode.invalid_mode: "minimal and full cannot both be asked for.",
    ErrorCode.missing_name: "A directory entry needs a name.",
    ErrorCode.missing_source: "A directory entry needs its source.",
    ErrorCode.missing_status: "A directory entry needs a status.",
    ErrorCode.empty_report: "A report needs a message.",
    ErrorCode.import_refused: "The directory import was refused; nothing was changed.",
}


class ErrorBody(BaseModel):
    """What every error answers with."""

    error: ErrorCode = Field(description="A stable code from the catalogue; see MEANINGS.")
    detail: str = Field(description="A sentence for a person, in plain English.")
    field: str | None = Field(
        default=None,
        description="The request field at fault (a form field, query parameter or JSON key), "
        "when there is one.",
    )


class ScrapbookError(Exception):
    status_code = 400
    code: ErrorCode = ErrorCode.bad_request

    def __init__(
        self,
        detail: str,
        *,
        code: ErrorCode | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = ErrorCode(code)  # a code outside the catalogue fails here, loudly
        self.field = field
        self.headers = headers


class InvalidInput(ScrapbookError):
    status_code = 422
    code = ErrorCode.invalid_input


class NotFound(ScrapbookError):
    status_code = 404
    code = ErrorCode.not_found


class MethodNotAllowed(ScrapbookError):
    status_code = 405
    code = ErrorCode.method_not_allowed


class Conflict(ScrapbookError):
    status_code = 409
    code = ErrorCode.conflict


class UnsupportedMedia(ScrapbookError):
    status_code = 415
    code = ErrorCode.unsupported_media


class TooLarge(ScrapbookError):
    status_code = 413
    code = ErrorCode.too_large


class RateLimited(ScrapbookError):
    status_code = 429
    code = ErrorCode.rate_limited


class ServiceBusy(ScrapbookError):
    status_code = 503
    code = ErrorCode.busy


class NotAuthenticated(ScrapbookError):
    status_code = 401
    code = ErrorCode.not_signed_in


class Forbidden(ScrapbookError):
    status_code = 403
    code = ErrorCode.forbidden


def error_body(code: ErrorCode, detail: str, field: str | None = None) -> dict[str, str]:
    body = {"error": str(code), "detail": detail}
    if field:
        body["field"] = field
    return body


_STATUS_WORDS = {
    400: "The request could not be understood.",
    401: "Not signed in.",
    403: "Not allowed (or the CSRF token is missing).",
    404: "Not found.",
    405: "Method not allowed here.",
    408: "The body arrived too slowly.",
    409: "Conflict with the current state.",
    410: "Gone.",
    412: "Precondition failed.",
    413: "Too large.",
    415: "Unsupported media type.",
    416: "Range not satisfiable.",
    422: "A field is missing or not valid.",
    429: "Too many requests; see Retry-After.",
    503: "Busy; see Retry-After.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each status answered with an ErrorBody."""
    return {s: {"model": ErrorBody, "description": _STATUS_WORDS[s]} for s in statuses}


_HTTP_CODES = {
    400: ErrorCode.bad_request,
    401: ErrorCode.not_signed_in,
    403: ErrorCode.forbidden,
    404: ErrorCode.not_found,
    405: ErrorCode.method_not_allowed,
    413: ErrorCode.too_large,
    415: ErrorCode.unsupported_media,
}

_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc if p not in _LOCATIONS)


def _describe_validation(exc: RequestValidationError) -> tuple[str, str | None]:
    parts = []
    errs = exc.errors()
    for err in errs[:5]:
        loc = _field(err.get("loc", ()))
        msg = err.get("msg", "is invalid")
        parts.append(f"{loc}: {msg}" if loc else msg)
    first = _field(errs[0].get("loc", ())) if errs else ""
    return "; ".join(parts) or "The request is not valid.", first or None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScrapbookError)
    async def _scrapbook_error(_: Request, exc: ScrapbookError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.detail, exc.field),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, field = _describe_validation(exc)
        return JSONResponse(error_body(ErrorCode.invalid_input, detail, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.error)
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return JSONResponse(
            error_body(code, detail), status_code=exc.status_code, headers=exc.headers
        )

    try:
        from redis.exceptions import ConnectionError as RedisDown
        from redis.exceptions import TimeoutError as RedisSlow
    except ImportError:  # pragma: no cover (redis is a dependency)
        pass
    else:
        async def _redis_unavailable(_: Request, exc: Exception) -> JSONResponse:
            # Limits and the job queue live in Redis at scale: without it nothing is taken in
            # (a limit that cannot be counted is not skipped), and the reader is told plainly.
            log.error("Redis unreachable: %s", type(exc).__name__)
            return JSONResponse(
                error_body(ErrorCode.unavailable, "Scrapbook cannot take this in just now. "
                           "Nothing was stored; please try again in a minute."),
                status_code=503, headers={"Retry-After": "30"},
            )

        app.add_exception_handler(RedisDown, _redis_unavailable)
        app.add_exception_handler(RedisSlow, _redis_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        return JSONResponse(
            error_body(
                ErrorCode.internal_error, "Something went wrong on our side. Please try again."
            ),
            status_code=500,
        )
