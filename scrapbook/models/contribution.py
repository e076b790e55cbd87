"""A contribution: one thing someone shared, with its moderation state."""

import datetime as dt
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, Relationship, SQLModel

if TYPE_CHECKING:
    from scrapbook.models.media import MediaAsset


class Contribution(SQLModel, table=True):
    __tablename__ = "contribution"
    __table_args__ = (
        # Pages in the order they are read: the gallery (public, newest first) and the
        # moderation queue (at risk first, then oldest first).
        Index("ix_contribution_gallery_order", "status", "published_seq", "id"),
        Index("ix_contribution_gallery_region", "status", "region", "published_seq", "id"),
        Index("ix_contribution_queue_order", "status", text("at_risk DESC"), "received_on", "pk"),
    )

    # Internal key, never shown: public URLs use the random `id`.
    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, index=True, max_length=32)
    kind: str = Field(max_length=16)
    form: str = Field(max_length=16)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # What is said (and, for video, shown) in its audio or video: for people who cannot hear it.
    transcript: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    display_name: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=48, index=True)
    content_warning: str | None = Field(default=None, max_length=200)
    licence: str = Field(max_length=24)
    status: str = Field(max_length=16, index=True)
    channel: str = Field(default="web", max_length=8)
    # Only the day: no finer submission time is ever stored.
    received_on: dt.date
    published_on: dt.date | None = Field(default=None, index=True)
    # Publication order (newest first in the gallery) without storing any time of day.
    published_seq: int | None = Field(default=None)  # indexed with status (the gallery's order)
    public_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    moderator_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Why processing failed (status `failed`), for moderators; the contributor gets a kind sentence.
    failure_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    receipt_hash: str = Field(unique=True, index=True, max_length=64)
    contact_email: str | None = Field(default=None, max_length=254)
    at_risk: bool = Field(default=False)
    version: int = Field(default=1)

    media: list["MediaAsset"] = Relationship(
        back_populates="contribution",
        sa_relationship_kwargs={
            "lazy": "raise",
            "order_by": "MediaAsset.position",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )
    tag_links: list["ContributionTag"] = Relationship(
        back_populates="contribution",
        sa_relationship_kwargs={
            "lazy": "raise",
            "order_by": "ContributionTag.position",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )

    @property
    def tags(self) -> list[str]:
        return [link.tag for link in self.tag_links]


class ContributionTag(SQLModel, table=True):
    __tablename__ = "contribution_tag"

    # Set through the relationship when the tag is attached to its contribution.
    contribution_pk: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("contribution.pk", ondelete="CASCADE"), primary_key=True
        )
    )
    tag: str = Field(primary_key=True, max_length=40, index=True)
    position: int = Field(default=0)

    contribution: Optional["Contribution"] = Relationship(
        back_populates="tag_links", sa_relationship_kwargs={"lazy": "raise"}
    )
