"""What a contributor sends and what they get back."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, field_validator

from scrapbook.core.text import plain_email
from scrapbook.directory.schemas import Helpline
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
