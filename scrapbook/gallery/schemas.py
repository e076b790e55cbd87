"""The gallery's pages and visitors' reports. The public view of a contribution is a rung of
the contribution ladder (contributions/schemas.py): it has no field for anything private."""

from __future__ import annotations

from pydantic import BaseModel, Field

from scrapbook.contributions.schemas import ContributionPublic
from scrapbook.core.openapi import limit


class GalleryPage(BaseModel):
    items: list[ContributionPublic]
    next_cursor: str | None


class ReportIn(BaseModel):
    message: str = Field(min_length=1, json_schema_extra=limit("report_max"))


class ReportReceived(BaseModel):
    status: str
    detail: str
