"""Moderators, in one home: accounts, sign-in (argon2id hashes, throttled failures),
server-side sessions, and the request-side checks (session cookie, CSRF token, roles) that
every moderator route and the media router use."""

from __future__ import annotations

import datetime as dt
import hmac
import math
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader
from sqlalchemy import delete
from sqlmodel import Session, col, select

from scrapbook.core.config import Settings
from scrapbook.core.deps import SessionDep
from scrapbook.core.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from scrapbook.core.ratelimit import Backoff, HitStore, SlidingWindow
from scrapbook.core.security import (
    burn_password_check,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)
from scrapbook.models import Moderator, ModeratorSession

ROLES = ("moderator", "admin")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_moderator(
    session: Session, username: str, password: str, role: str, *, password_min: int
) -> Moderator:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not all(ch.isalnum() or ch in "._-" for ch in username)
    ):
        raise InvalidInput("A username is 1 to 64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise InvalidInput(f"The role must be one of: {', '.join(ROLES)}.")
    if len(password) < password_min:
        raise InvalidInput(f"The password must be at least {password_min} characters.",
                           field="password")
    if session.exec(select(Moderator).where(Moderator.username == username)).first():
        raise Conflict(f"There is already a moderator called '{username}'.")
    moderator = Moderator(
        username=username, password_hash=hash_password(password), role=role, created_at=_now()
    )
    session.add(moderator)
    session.flush()
    return moderator


def disable_moderator(session: Session, username: str) -> Moderator:
    moderator = session.exec(
        select(Moderator).where(Moderator.username == username.strip().lower())
    ).first()
    if moderator is None:
        raise NotFound(f"There is no moderator called '{username}'.")
    moderator.disabled = True
    session.add(moderator)
    session.execute(
        delete(ModeratorSession).where(col(ModeratorSession.moderator_pk) == moderator.pk)
    )
    session.flush()
    return moderator


def list_moderators(session: Session) -> list[Moderator]:
    return list(session.exec(select(Moderator).order_by(Moderator.username)).all())


class SigninThrottle:
    """Failed sign-ins slow a guesser down without locking the real moderator out.

    Per (username, client): a few free failures, then exponential back-off (429). Per
    username from anywhere: past a ceiling, every attempt is slowed, never refused, so nobody
    can lock a moderator out by guessing from many addresses.
    """

    def __init__(self, settings: Settings, store: HitStore | None = None) -> None:
        self.pairs = Backoff(settings.signin_failures_max, settings.signin_backoff_seconds,
                             settings.signin_window_seconds, store=store, name="signin")
        self.usernames = SlidingWindow(10**9, settings.signin_window_seconds, store,
                                       "signin-username")
        self.ceiling = settings.signin_global_failures
        self.slowdown_seconds = settings.signin_slowdown_seconds

    def slowdown(self, username: str) -> float:
        """Seconds to wait before checking a password for this username."""
        over = self.usernames.count(_normal(username)) >= self.ceiling
        return self.slowdown_seconds if over else 0.0


def _normal(username: str) -> str:
    return username.strip().lower()


def sign_in(
    session: Session,
    settings: Settings,
    throttle: SigninThrottle,
    client_key: str,
    username: str,
    password: str,
) -> tuple[Moderator, str, str]:
    """Check the password; return the moderator, a session token (for the cookie) and CSRF token."""
    username = _normal(username)
    pair = f"{username}\x00{client_key}"
    # Every attempt is counted before the (memory-hungry) password check, atomically, so
    # parallel guesses cannot slip past the limit; a correct one is taken back afterwards.
    wait = throttle.pairs.try_attempt(pair)
    if wait:
        raise RateLimited(
            "Too many failed sign-ins. Please wait a little and try again.",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    moderator = session.exec(select(Moderator).where(Moderator.username == username)).first()
    if moderator is None:
        burn_password_check(password)  # same cost either way: no username probing by timing
    # The password is checked even for a disabled account, so timing reveals nothing.
    ok = moderator is not None and verify_password(moderator.password_hash, password)
    if not ok or moderator is None or moderator.disabled:
        throttle.usernames.try_hit(username)
        raise NotAuthenticated(
            "That username and password do not match.", code=ErrorCode.invalid_credentials
        )
    throttle.pairs.succeeded(pair)
    session.execute(delete(ModeratorSession).where(col(ModeratorSession.expires_at) < _now()))
    assert moderator.pk is not None
    token, csrf = new_token(), new_token()
    session.add(
        ModeratorSession(
            token_hash=hash_token(token),
            moderator_pk=moderator.pk,
            csrf_token=csrf,
            expires_at=_now() + dt.timedelta(hours=settings.session_hours),
        )
    )
    session.flush()
    return moderator, token, csrf


def sign_out(session: Session, mod_session: ModeratorSession) -> None:
    session.delete(mod_session)
    session.flush()


# --- the request side -------------------------------------------------------------------------

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



def optional_moderator(request: Request, session: Session) -> Moderator | None:
    """The signed-in moderator, if any (for what moderators may also see, such as pending
    media); never an error."""
    found = find_signed_in(session, request.cookies.get(SESSION_COOKIE))
    return found[0] if found else None


def signed_in_session(request: Request) -> ModeratorSession:
    """The session current_moderator found for this request."""
    value = request.state.moderator_session
    if not isinstance(value, ModeratorSession):
        raise NotAuthenticated("Please sign in as a moderator.")
    return value
