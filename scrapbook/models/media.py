"""Media attached to a contribution, and the derivative files stored for each."""

import datetime as dt
from typing import TYPE_CHECKING, Optional

from sqlalchemy import BigInteger, Column, DateTime, Float, ForeignKey, Integer, Text
from sqlmodel import Field, Relationship, SQLModel

if TYPE_CHECKING:
    from scrapbook.models.contribution import Contribution


class MediaAsset(SQLModel, table=True):
    __tablename__ = "media_asset"

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, index=True, max_length=32)
    contribution_pk: int = Field(
        sa_column=Column(
            Integer, ForeignKey("contribution.pk", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int = Field(default=0)
    type: str = Field(max_length=16)
    alt_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    width: int | None = None
    height: int | None = None
    blurhash: str | None = Field(default=None, max_length=64)
    duration: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # processing -> ready | failed (AssetState). Audio and video are made ready by the job queue.
    state: str = Field(default="ready", max_length=16, index=True)
    # The upload as received, kept in storage only until the derivatives exist.
    source_key: str | None = Field(default=None, max_length=200)
    attempts: int = Field(default=0)
    # A worker's claim on the job; cleared when it ends, so no processing time stays behind.
    lease_until: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    contribution: Optional["Contribution"] = Relationship(
        back_populates="media", sa_relationship_kwargs={"lazy": "raise"}
    )
    variants: list["MediaVariant"] = Relationship(
        back_populates="asset",
        sa_relationship_kwargs={
            "lazy": "raise",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )


class MediaVariant(SQLModel, table=True):
    __tablename__ = "media_variant"

    pk: int | None = Field(default=None, primary_key=True)
    asset_pk: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("media_asset.pk", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=16)
    # Storage key, also the URL path under /media/: random, so it never changes meaning.
    key: str = Field(unique=True, index=True, max_length=200)
    content_type: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None
    bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    etag: str = Field(max_length=64)

    asset: Optional["MediaAsset"] = Relationship(
        back_populates="variants", sa_relationship_kwargs={"lazy": "raise"}
    )
