"""Serving derivative files: approved contributions to everyone, the rest only to moderators."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from sqlmodel import select

from scrapbook.contributions.vocabulary import Status
from scrapbook.core.deps import SESSION_COOKIE, SessionDep, StorageDep, find_signed_in
from scrapbook.core.errors import NotFound
from scrapbook.models import Contribution, MediaAsset, MediaVariant

router = APIRouter(tags=["media"])

# Keys never change meaning, so browsers may keep a file for a year; shared caches (a CDN)
# revalidate every ten minutes, so a withdrawn or unpublished image leaves them quickly.
_IMMUTABLE = "public, max-age=31536000, s-maxage=600, immutable"
_KEY = re.compile(
    r"^[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{16}/[a-z]{1,16}-[A-Za-z0-9_-]{8}\.[a-z0-9]{2,5}$"
)
_PRIVATE = "private, no-store"


@router.get("/media/{key:path}", response_class=FileResponse)
def media_file(key: str, request: Request, session: SessionDep, storage: StorageDep) -> Response:
    """A stored derivative (thumb, display...) by its immutable key."""
    if not _KEY.match(key):
        raise NotFound("There is no such media file.")
    row = session.exec(
        select(MediaVariant, Contribution.status)
        .join(MediaAsset, MediaAsset.pk == MediaVariant.asset_pk)  # type: ignore[arg-type]
        .join(Contribution, Contribution.pk == MediaAsset.contribution_pk)  # type: ignore[arg-type]
        .where(MediaVariant.key == key)
    ).first()
    missing = NotFound("There is no such media file.")
    if row is None:
        raise missing
    variant, status = row
    if status == Status.approved:
        cache = _IMMUTABLE
    elif find_signed_in(session, request.cookies.get(SESSION_COOKIE)) is not None:
        cache = _PRIVATE
    else:
        raise missing  # never reveal that unpublished media exists
    etag = f'"{variant.etag}"'
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    path = storage.path(variant.key)
    if path is None:
        raise missing
    return FileResponse(path, media_type=variant.content_type, headers=headers)
