"""The helplines shown across the site (meta API, receipts, safety messages).

They come from the directory: active national services in the crisis-support category. Until
the directory is loaded (a database migrated but not yet seeded), the same entries are read from
the shipped seed file, so a person in distress is never shown an empty list.
"""

from __future__ import annotations

from sqlmodel import Session

from scrapbook.directory.schemas import Helpline
from scrapbook.directory.seed import seed_helplines
from scrapbook.directory.service import crisis_helplines


def site_helplines(session: Session) -> list[Helpline]:
    return crisis_helplines(session) or list(seed_helplines())
