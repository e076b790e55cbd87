"""The append-only log of moderation actions."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    pk: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    moderator_pk: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("moderator.pk", ondelete="SET NULL"), nullable=True),
    )
    # Who acted, kept as text so the log survives a moderator's removal.
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32, index=True)
    # The contribution's public id: a content-free tombstone once it is erased.
    contribution_id: str | None = Field(default=None, max_length=32, index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
