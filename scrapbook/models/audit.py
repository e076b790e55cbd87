"""The append-only log of actions (written only by scrapbook.audit.service.record)."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    pk: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    moderator_pk: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("moderator.pk", ondelete="SET NULL"), nullable=True),
    )
    # Who acted, kept as text so the log survives a moderator's removal.
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32, index=True)
    # What was acted on: a contribution (its public id, a content-free tombstone once it is
    # erased), or a directory organisation or service.
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
