"""Visitors' API: browse and search what has been approved."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from scrapbook.contributions.limits import count_report
from scrapbook.contributions.schemas import ContributionPublic
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import errors
from scrapbook.core.pages import build_page
from scrapbook.core.paging import page_limit
from scrapbook.gallery import service
from scrapbook.gallery.schemas import GalleryPage, ReportIn, ReportReceived
from scrapbook.vocabulary import Form, Kind, OptionalRegion

router = APIRouter(prefix="/api/gallery", tags=["gallery"], responses=errors(400, 422))


@router.get("", response_model=GalleryPage)
async def gallery(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Depends(page_limit())],
    settings: SettingsDep,
    kind: Kind | None = None,
    form: Form | None = None,
    region: OptionalRegion = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Approved contributions, newest first; filter by kind, form, region, tag; search with q."""
    page = await build_page(
        request,
        service.list_gallery,
        session,
        kind=kind,
        form=form,
        region=region,
        tag=tag,
        q=q,
        limit=limit,
        cursor=cursor,
        media_base=settings.media_base_url,
    )
    return Response(page, media_type="application/json")


@router.get("/{contribution_id}", response_model=ContributionPublic, responses=errors(404))
async def gallery_item(
    request: Request, contribution_id: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """One approved contribution."""
    item = await build_page(request, service.get_public, session, contribution_id,
                            media_base=settings.media_base_url)
    return Response(item, media_type="application/json")


@router.post(
    "/{contribution_id}/report", status_code=202, response_model=ReportReceived,
    responses=errors(404, 413, 429),
)
def report_contribution(
    contribution_id: str,
    body: ReportIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> ReportReceived:
    """Tell the moderators something is wrong with a published contribution."""
    count_report(request)
    service.report(session, settings, contribution_id, body.message)
    return ReportReceived(status="received", detail="Thank you. A moderator will look at it soon.")
