"""Moderators and their signed-in sessions."""

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel


class Moderator(SQLModel, table=True):
    __tablename__ = "moderator"

    pk: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="moderator", max_length=16)
    disabled: bool = Field(default=False)
    created_at: dt.datetime


class ModeratorSession(SQLModel, table=True):
    __tablename__ = "moderator_session"

    pk: int | None = Field(default=None, primary_key=True)
    # Only a hash of the cookie's token is stored.
    token_hash: str = Field(unique=True, index=True, max_length=64)
    moderator_pk: int = Field(
        sa_column=Column(
            Integer, ForeignKey("moderator.pk", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    csrf_token: str = Field(max_length=64)
    expires_at: dt.datetime
