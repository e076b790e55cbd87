"""A resumable (tus 1.0) upload in progress: only its size, how far it has got and when it
expires. No file name, type or creation time is kept."""

import datetime as dt

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


class Upload(SQLModel, table=True):
    __tablename__ = "upload"

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, index=True, max_length=32)
    length: int = Field(sa_column=Column(BigInteger, nullable=False))
    offset: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Rounded up to midnight UTC, so it does not tell when the upload began.
    expires_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
