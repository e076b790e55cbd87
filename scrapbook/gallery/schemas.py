"""The public view of a contribution: it has no field for anything private, so none can leak."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from scrapbook.core.openapi import limit
from scrapbook.models import Contribution, MediaAsset


def media_url(key: str, base: str = "") -> str:
    """A file's URL: on the public media origin (a CDN, a cookie-free domain) when one is set."""
    return f"{base.rstrip('/')}/media/{key}"


class MediaPublic(BaseModel):
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

    @classmethod
    def of(cls, asset: MediaAsset, media_base: str = "") -> MediaPublic:
        return cls(
            id=asset.id,
            type=asset.type,
            alt_text=asset.alt_text,
            width=asset.width,
            height=asset.height,
            duration=round(asset.duration, 3) if asset.duration is not None else None,
            blurhash=asset.blurhash,
            variants={v.name: media_url(v.key, media_base) for v in asset.variants},
        )


class ContributionPublic(BaseModel):
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
    report_url: str

    @classmethod
    def of(cls, c: Contribution, media_base: str = "") -> ContributionPublic:
        return cls(
            id=c.id,
            kind=c.kind,
            form=c.form,
            title=c.title,
            body=c.body,
            display_name=c.display_name,
            region=c.region,
            tags=c.tags,
            content_warning=c.content_warning,
            transcript=c.transcript,
            licence=c.licence,
            published_on=c.published_on,
            media=[MediaPublic.of(m, media_base) for m in c.media],
            report_url=f"/api/gallery/{c.id}/report",
        )


class GalleryPage(BaseModel):
    items: list[ContributionPublic]
    next_cursor: str | None


class ReportIn(BaseModel):
    message: str = Field(min_length=1, json_schema_extra=limit("report_max"))


class ReportReceived(BaseModel):
    status: str
    detail: str
