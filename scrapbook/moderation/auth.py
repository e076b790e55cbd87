"""Moderator accounts and sign-in: argon2id hashes, throttled failures, server-side sessions."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete
from sqlmodel import Session, col, select

from scrapbook.core.config import Settings
from scrapbook.core.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from scrapbook.core.ratelimit import Backoff, SlidingWindow
from scrapbook.core.security import (
    burn_password_check,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)
from scrapbook.models import Moderator, ModeratorSession

ROLES = ("moderator", "admin")
PASSWORD_MIN = 12


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_moderator(session: Session, username: str, password: str, role: str) -> Moderator:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not all(ch.isalnum() or ch in "._-" for ch in username)
    ):
        raise InvalidInput("A username is 1 to 64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise InvalidInput(f"The role must be one of: {', '.join(ROLES)}.")
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"The password must be at least {PASSWORD_MIN} characters.")
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

    def __init__(self, settings: Settings) -> None:
        self.pairs = Backoff(settings.signin_failures_max, 1.0, settings.signin_window_seconds)
        self.usernames = SlidingWindow(10**9, settings.signin_window_seconds)
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
