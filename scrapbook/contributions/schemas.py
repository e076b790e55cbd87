"""A contribution's schemas, one ladder: what a contributor sends, what they get back, the
corrections moderators make, the public view and the moderators' view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
)

from scrapbook.core.openapi import limit
from scrapbook.core.text import plain_email
from scrapbook.directory.schemas import Helpline
from scrapbook.models import Contribution
from scrapbook.vocabulary import (
    DEFAULT_LICENCE,
    Form,
    Kind,
    Licence,
    OptionalRegion,
)


class ContributionBase(BaseModel):
    kind: Kind
    form: Form
    title: str = ""
    body: str = ""
    region: OptionalRegion = None
    tags: list[str] = Field(default_factory=list)
    content_warning: str | None = None
    display_name: str | None = None
    licence: Licence = DEFAULT_LICENCE


class ContributionCreate(ContributionBase):
    """A submission from the web form (or entered by a moderator for post, email, social)."""

    alt_text: list[str] = Field(default_factory=list)
    # Sound and video: what is said (and shown), and a finished resumable upload to attach.
    transcript: str | None = None
    upload_id: str | None = None
    consent: bool = False
    contact_email: str | None = None
    website: str | None = None  # honeypot: people never see it, bots fill it in

    @field_validator("contact_email")
    @classmethod
    def _plain_email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return plain_email(value)


class Support(BaseModel):
    """Where to turn now: Scrapbook is not a crisis service."""

    message: str
    helplines: list[Helpline]


class ReceiptIssued(BaseModel):
    id: str
    status: str
    receipt: str = Field(description="Shown only this once: keep it to check or withdraw.")
    status_url: str
    support: Support


class ReceiptStatus(BaseModel):
    id: str
    kind: str
    form: str
    title: str
    status: str
    received_on: dt.date
    public_reason: str | None
    public_url: str | None
    api_url: str | None
    support: Support


# --- The ladder: Base -> Create (intake) / Update (corrections) -> the table -> Public (the
# gallery) -> ModeratorView (the public view plus what only moderators see). Views are read
# from the rows (from_attributes), never copied field by field.


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


def media_url(key: str, base: str = "") -> str:
    """A file's URL: on the public media origin (a CDN, a cookie-free domain) when one is set."""
    return f"{base.rstrip('/')}/media/{key}"


def _media_base(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("media_base", ""))


class MediaPublic(BaseModel):
    """Read from a MediaAsset row (from_attributes); `media_base` comes in the context."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str = Field(description="image, audio or video")
    alt_text: str | None
    width: int | None
    height: int | None
    duration: float | None = Field(description="Seconds, for audio and video.")
    blurhash: str | None
    variants: dict[str, str] = Field(
        description="thumb and display (the picture, poster or waveform); audio (M4A), opus, "
        "or video (MP4): the playable file."
    )

    @field_validator("duration")
    @classmethod
    def _milliseconds(cls, value: float | None) -> float | None:
        return round(value, 3) if value is not None else None

    @field_validator("variants", mode="before")
    @classmethod
    def _urls(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict):
            return value
        return {v.name: media_url(v.key, _media_base(info)) for v in value}


class ContributionPublic(BaseModel):
    """Read from a Contribution row (from_attributes): the public rung of the ladder."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    form: str
    title: str
    body: str
    display_name: str | None
    region: str | None
    tags: list[str]
    content_warning: str | None
    transcript: str | None = Field(description="What is said (and shown) in sound or video.")
    licence: str
    published_on: dt.date | None
    media: list[MediaPublic]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def report_url(self) -> str:
        return f"/api/gallery/{self.id}/report"

    @classmethod
    def of(cls, c: Contribution, media_base: str = "") -> Self:
        """This rung read from the row; media URLs on the public media origin when given."""
        return cls.model_validate(c, context={"media_base": media_base})


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
