"""Time, as precisely as each purpose may keep it."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current UTC time: for moderators' and administrators' own actions."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


def start_of_today() -> dt.datetime:
    """Midnight UTC today: the only 'when' kept for anything a contributor or visitor does."""
    return dt.datetime.combine(today(), dt.time(), tzinfo=dt.UTC)
