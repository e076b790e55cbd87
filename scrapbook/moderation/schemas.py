"""What moderators send and see. These views carry private fields: never use them publicly."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scrapbook.contributions.schemas import ContributionModeratorView
from scrapbook.core.openapi import limit
from scrapbook.models import AuditEvent


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")
    password: str = Field(min_length=1, max_length=1024)


class SignedIn(BaseModel):
    username: str
    role: str
    csrf_token: str


class QueuePage(BaseModel):
    items: list[ContributionModeratorView]
    next_cursor: str | None


class Decision(BaseModel):
    # A rejection needs a kind reason for the contributor (JSON Schema says so too).
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"action": {"const": "reject"}}, "required": ["action"]},
        "then": {"required": ["public_reason"],
                 "properties": {"public_reason": {"pattern": r"[^\s]"}}},
    })

    action: Literal["approve", "reject", "hold"]
    public_reason: str | None = Field(default=None, json_schema_extra=limit("public_reason_max"))
    note: str | None = Field(default=None, json_schema_extra=limit("note_max"))
    version: int = Field(description="The version the moderator loaded; 409 if it has changed.")


class AuditEventView(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    entity: str = Field(description="contribution, organization or service")
    entity_id: str
    contribution_id: str | None = Field(description="entity_id when the entity is a contribution")
    reason: str | None
    changes: dict[str, Any] | None

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventView:
        return cls(
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            contribution_id=e.entity_id if e.entity == "contribution" else None,
            reason=e.reason,
            changes=e.changes,
        )


class AuditPage(BaseModel):
    items: list[AuditEventView]
    next_cursor: str | None
