"""Annotated dependency aliases, in one place: settings, session, storage, moderators."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader
from sqlmodel import Session, select

from scrapbook.core.config import Settings
from scrapbook.core.db import get_session
from scrapbook.core.errors import ErrorCode, Forbidden, NotAuthenticated
from scrapbook.core.security import hash_token
from scrapbook.media.storage import Storage
from scrapbook.models import Moderator, ModeratorSession

if TYPE_CHECKING:
    from scrapbook.media.tasks import MediaJobs

SESSION_COOKIE = "scrapbook_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Declared for the API description (/docs); the checks themselves are in current_moderator.
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, scheme_name="moderator session",
    description="Set by POST /api/admin/session (HttpOnly, SameSite=Strict).",
)
_csrf_header = APIKeyHeader(
    name=CSRF_HEADER, auto_error=False, scheme_name="CSRF token",
    description="The csrf_token from sign-in; needed on every request that changes something.",
)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


def get_jobs(request: Request) -> MediaJobs:
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
StorageDep = Annotated[Storage, Depends(get_storage)]
JobsDep = Annotated["MediaJobs", Depends(get_jobs)]


def find_signed_in(
    session: Session, token: str | None
) -> tuple[Moderator, ModeratorSession] | None:
    """The moderator behind a session cookie, if the session is live and the account enabled."""
    if not token:
        return None
    row = session.exec(
        select(Moderator, ModeratorSession)
        .join(ModeratorSession, ModeratorSession.moderator_pk == Moderator.pk)  # type: ignore[arg-type]
        .where(ModeratorSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    moderator, mod_session = row
    if moderator.disabled or _aware(mod_session.expires_at) <= dt.datetime.now(dt.UTC):
        return None
    return moderator, mod_session


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def current_moderator(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Security(_session_cookie)],
    csrf: Annotated[str | None, Security(_csrf_header)],
) -> Moderator:
    found = find_signed_in(session, token)
    if found is None:
        raise NotAuthenticated("Please sign in as a moderator.")
    moderator, mod_session = found
    if request.method not in _SAFE_METHODS:
        if not hmac.compare_digest((csrf or "").encode(), mod_session.csrf_token.encode()):
            raise Forbidden(
                f"This request needs the {CSRF_HEADER} header from sign-in.",
                code=ErrorCode.csrf_failed
            )
    request.state.moderator_session = mod_session
    return moderator


ModeratorDep = Annotated[Moderator, Depends(current_moderator)]


def current_admin(moderator: ModeratorDep) -> Moderator:
    if moderator.role != "admin":
        raise Forbidden("Only an administrator can do this.")
    return moderator


AdminDep = Annotated[Moderator, Depends(current_admin)]
