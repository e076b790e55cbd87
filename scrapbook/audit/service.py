"""Every audit event is written by `record()`, which applies the one time-precision policy:
a moderator's action is timed to the second; a contributor's or a visitor's (withdrawing,
reporting) to the day only, so nothing they do can be placed in time more finely."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from scrapbook.core import clock
from scrapbook.models import AuditEvent, Moderator


class Action(StrEnum):
    """Every action the log records."""

    # Moderation of contributions
    approved = "approved"
    rejected = "rejected"
    held = "held"
    edited = "edited"
    entered = "entered"  # by a moderator, for a contribution sent by post, email or social
    # Contributors and visitors (day precision)
    withdrawn = "withdrawn"
    reported = "reported"
    # The support directory
    directory_create = "directory_create"
    directory_edit = "directory_edit"
    directory_retire = "directory_retire"
    directory_review = "directory_review"
    directory_report = "directory_report"


class Entity(StrEnum):
    contribution = "contribution"
    organization = "organization"
    service = "service"


class Anonymous(StrEnum):
    """The people who act without an account: never identified, timed to the day."""

    contributor = "contributor"
    visitor = "visitor"


# What stays of a change once its content is erased: the kind of change, never the words.
CONTENT_FREE_CHANGES = frozenset({"status", "channel"})


def when(by: Moderator | Anonymous) -> dt.datetime:
    """The precision policy, in one place."""
    return clock.now() if isinstance(by, Moderator) else clock.start_of_today()


def record(
    session: Session,
    action: Action,
    entity: Entity,
    entity_id: str,
    *,
    by: Moderator | Anonymous,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    moderator = by if isinstance(by, Moderator) else None
    session.add(AuditEvent(
        at=when(by),
        moderator_pk=moderator.pk if moderator else None,
        actor=moderator.username if moderator else str(by),
        action=action,
        entity=entity,
        entity_id=entity_id,
        reason=reason,
        changes=changes,
    ))


def erase_content(session: Session, entity: Entity, entity_id: str) -> None:
    """Keep who did what and when; drop reasons, notes and old/new values of the content."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
    )
    for event in events:
        event.reason = None
        if event.changes:
            event.changes = {
                name: value if name in CONTENT_FREE_CHANGES else "erased"
                for name, value in event.changes.items()
            }
        session.add(event)
