"""The public view of a contribution: it has no field for anything private, so none can leak."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, computed_field, field_validator

from scrapbook.core.openapi import limit
from scrapbook.models import Contribution


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


class GalleryPage(BaseModel):
    items: list[ContributionPublic]
    next_cursor: str | None


class ReportIn(BaseModel):
    message: str = Field(min_length=1, json_schema_extra=limit("report_max"))


class ReportReceived(BaseModel):
    status: str
    detail: str
