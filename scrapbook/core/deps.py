"""The core dependency aliases: settings and the request's database session. Domain
providers live with their domain (media.deps: storage, jobs; moderation.auth: moderators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from scrapbook.core.config import Settings
from scrapbook.core.db import get_session
from scrapbook.core.state import state_of


def get_settings_dep(request: Request) -> Settings:
    return state_of(request.app, "settings", Settings)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the transaction commits before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
