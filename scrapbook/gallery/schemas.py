"""The public view of a contribution: it has no field for anything private, so none can leak."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from scrapbook.models import Contribution, MediaAsset


def media_url(key: str) -> str:
    return f"/media/{key}"


class MediaPublic(BaseModel):
    id: str
    type: str
    alt_text: str | None
    width: int | None
    height: int | None
    blurhash: str | None
    variants: dict[str, str]

    @classmethod
    def of(cls, asset: MediaAsset) -> MediaPublic:
        return cls(
            id=asset.id,
            type=asset.type,
            alt_text=asset.alt_text,
            width=asset.width,
            height=asset.height,
            blurhash=asset.blurhash,
            variants={v.name: media_url(v.key) for v in asset.variants},
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
    licence: str
    published_on: dt.date | None
    media: list[MediaPublic]
    report_url: str

    @classmethod
    def of(cls, c: Contribution) -> ContributionPublic:
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
            licence=c.licence,
            published_on=c.published_on,
            media=[MediaPublic.of(m) for m in c.media],
            report_url=f"/api/gallery/{c.id}/report",
        )


class GalleryPage(BaseModel):
    items: list[ContributionPublic]
    next_cursor: str | None


class ReportIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


class ReportReceived(BaseModel):
    status: str
    detail: str
