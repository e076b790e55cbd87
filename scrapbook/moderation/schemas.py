"""What moderators send and see. These views carry private fields: never use them publicly."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scrapbook.core.openapi import limit
from scrapbook.gallery.schemas import ContributionPublic
from scrapbook.models import AuditEvent, Contribution
from scrapbook.vocabulary import Form, OptionalRegion


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")
    password: str = Field(min_length=1, max_length=1024)


class SignedIn(BaseModel):
    username: str
    role: str
    csrf_token: str


class ContributionModeratorView(ContributionPublic):
    """The public view plus everything only moderators may see.

    Media URLs stay on the app's own origin: pending media need the moderator's cookie.
    """

    status: str
    failure_reason: str | None = Field(description="Why processing failed (status failed).")
    channel: str
    received_on: dt.date
    public_reason: str | None
    moderator_note: str | None
    contact_email: str | None
    at_risk: bool
    version: int
    reports: int = Field(default=0, description="Visitor reports about this contribution.")

    @classmethod
    def for_moderator(cls, c: Contribution, reports: int = 0) -> ContributionModeratorView:
        # Media on the app's own origin (media_base ""): pending media need the cookie.
        return cls.of(c).model_copy(update={"reports": reports})


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


class MediaEdit(BaseModel):
    id: str
    alt_text: str | None = Field(json_schema_extra=limit("alt_text_max"))


class ContributionUpdate(BaseModel):
    """Corrections; only the fields sent are changed."""

    version: int
    title: str | None = Field(default=None, json_schema_extra=limit("title_max"))
    form: Form | None = None
    tags: list[Annotated[str, Field(json_schema_extra=limit("tag_max"))]] | None = Field(
        default=None, json_schema_extra=limit("tags_max"))
    region: OptionalRegion = None
    content_warning: str | None = Field(
        default=None, json_schema_extra=limit("content_warning_max"))
    transcript: str | None = Field(default=None, json_schema_extra=limit("transcript_max"))
    media: list[MediaEdit] | None = None


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
