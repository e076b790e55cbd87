"""Serving derivative files: public media to everyone, the rest only to moderators.

Both backends answer the same way: bytes streamed from `Storage.read_range`, one byte range
per request (206), ETag revalidation (304), a sandboxing CSP, and no Last-Modified (a file's
time would date the contributor's submission). S3 media may instead be redirected to a
short-lived presigned URL (`s3_serve = "presigned"`), after the same visibility check.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlmodel import col, select

from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import ErrorCode, NotFound, ScrapbookError, errors
from scrapbook.gallery.publication import is_public
from scrapbook.media.deps import StorageDep
from scrapbook.models import Contribution, MediaAsset, MediaVariant
from scrapbook.moderation.auth import optional_moderator
from scrapbook.vocabulary import AssetState

router = APIRouter(tags=["media"], responses=errors(400, 404, 416, 422))

# Keys never change meaning, so browsers may keep a file for a year; shared caches (a CDN)
# revalidate every ten minutes, so a withdrawn or unpublished file leaves them quickly.
_IMMUTABLE = "public, max-age=31536000, s-maxage=600, immutable"
# Derivatives only (`ab/<asset id>/<name>-<8 random>.<ext>`): raw uploads under `incoming/`
# never match, so they are never served.
_KEY = re.compile(
    r"^[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{16}/[a-z]{1,16}-[A-Za-z0-9_-]{8}\.[a-z0-9]{2,5}$"
)
_PRIVATE = "private, no-store"
# A media file is never a document: no scripts, no plugins, no same-origin rights if opened.
_SANDBOX = "default-src 'none'; sandbox"
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(ScrapbookError):
    status_code = 416
    code = ErrorCode.range_not_satisfiable


def _missing() -> NotFound:
    return NotFound("There is no such media file.")


@router.head("/media/{key:path}", response_class=Response, include_in_schema=False)
@router.get("/media/{key:path}", response_class=Response)
def media_file(
    key: str, request: Request, session: SessionDep, settings: SettingsDep, storage: StorageDep
) -> Response:
    """A stored derivative (thumb, display, audio, video) by its immutable key; byte ranges."""
    if not _KEY.match(key):
        raise _missing()
    row = session.exec(
        select(MediaVariant, is_public())
        .join(MediaAsset, col(MediaAsset.pk) == col(MediaVariant.asset_pk))
        .join(Contribution, col(Contribution.pk) == col(MediaAsset.contribution_pk))
        .where(col(MediaVariant.key) == key, col(MediaAsset.state) == AssetState.ready)
    ).first()
    if row is None:
        raise _missing()
    variant, public = row
    if public:
        cache = _IMMUTABLE
    elif optional_moderator(request, session) is not None:
        cache = _PRIVATE
    else:
        raise _missing()  # never reveal that unpublished media exists

    etag = f'"{variant.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Accept-Ranges": "bytes",
        "Content-Security-Policy": _SANDBOX,
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)

    if settings.s3_serve == "presigned":
        url = storage.presigned_url(
            variant.key, variant.content_type, settings.s3_presign_seconds
        )
        if url is not None:  # None: the local backend, which always serves through the app
            return RedirectResponse(
                url,
                status_code=307,
                headers={**headers, "Cache-Control": _PRIVATE},
            )

    size = variant.bytes
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    span = _single_range(wanted, size) if wanted and if_range in (None, etag) else None
    start, end = span if span else (0, size - 1)
    headers["Content-Type"] = variant.content_type  # exactly as stored, no charset added
    headers["Content-Length"] = str(end - start + 1)
    status = 200
    if span:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"

    if request.method == "HEAD":
        if storage.size(variant.key) is None:
            raise _missing()
        return Response(status_code=status, headers=headers)
    try:
        chunks = storage.read_range(variant.key, start, end) if size else iter(())
    except FileNotFoundError:
        raise _missing() from None
    return StreamingResponse(chunks, status_code=status, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison: `W/` is ignored; `*` matches anything."""
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _single_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as inclusive (start, end) clipped to the file.

    None means "send the whole file": the header is malformed or names several ranges
    (allowed by RFC 9110, which lets a server ignore Range; players ask for one range).
    A range that starts past the end raises RangeNotSatisfiable (416).
    """
    found = _RANGE.match(header)
    if found is None:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, so ignored
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(int(last), size - 1) if last else size - 1


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"The requested range is outside the file ({size} bytes).",
        headers={"Content-Range": f"bytes */{size}"},
    )
