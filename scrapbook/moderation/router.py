"""Moderators' API. Everything here but signing in needs a signed-in moderator."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from scrapbook.contributions import service as intake
from scrapbook.contributions.forms import FORM_OPENAPI, SubmittedForm, take_submission
from scrapbook.contributions.limits import client_key
from scrapbook.contributions.schemas import (
    ContributionCreate,
    ContributionModeratorView,
    ContributionUpdate,
    ReceiptIssued,
)
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import ErrorCode, InvalidInput, errors
from scrapbook.core.paging import page_limit
from scrapbook.core.state import state_of
from scrapbook.media.deps import JobsDep, StorageDep
from scrapbook.models import Contribution
from scrapbook.moderation import auth, service
from scrapbook.moderation.auth import SESSION_COOKIE, ModeratorDep, current_moderator
from scrapbook.moderation.schemas import (
    AuditPage,
    Decision,
    QueuePage,
    SignedIn,
    SignIn,
)
from scrapbook.vocabulary import Channel, Kind, OptionalRegion, Status

sessions = APIRouter(
    prefix="/api/admin", tags=["moderation"], responses=errors(400, 401, 413, 422, 429)
)
router = APIRouter(
    prefix="/api/admin", tags=["moderation"], dependencies=[Depends(current_moderator)],
    responses=errors(400, 401, 403, 413, 422),
)


def _contribution(contribution_id: str, session: SessionDep) -> Contribution:
    return service.load(session, contribution_id)


ContributionDep = Annotated[Contribution, Depends(_contribution)]


@sessions.post("/session", response_model=SignedIn)
async def sign_in(
    body: SignIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> SignedIn:
    """Sign in; sets an HttpOnly session cookie and returns the CSRF token to send back."""
    client = client_key(request)
    throttle = state_of(request.app, "signin_throttle", auth.SigninThrottle)
    # A username under a guessing storm is slowed for everyone, without holding a thread.
    if delay := await run_in_threadpool(throttle.slowdown, body.username):
        await asyncio.sleep(delay)
    moderator, token, csrf = await run_in_threadpool(
        auth.sign_in, session, settings, throttle, client, body.username, body.password
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.environment == "production",
    )
    return SignedIn(username=moderator.username, role=moderator.role, csrf_token=csrf)


@router.get("/session", response_model=SignedIn)
def who_am_i(request: Request, moderator: ModeratorDep) -> SignedIn:
    """The signed-in moderator, with the CSRF token (for a reloaded dashboard)."""
    return SignedIn(
        username=moderator.username,
        role=moderator.role,
        csrf_token=auth.signed_in_session(request).csrf_token,
    )


@router.delete("/session", status_code=204)
def sign_out(request: Request, session: SessionDep) -> Response:
    """Sign out and end the session."""
    auth.sign_out(session, auth.signed_in_session(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/queue", response_model=QueuePage)
def moderation_queue(
    session: SessionDep,
    limit: Annotated[int, Depends(page_limit(25))],
    status: Status = Status.pending,
    kind: Kind | None = None,
    region: OptionalRegion = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    reported: bool = False,
) -> QueuePage:
    """Contributions with a status, oldest first, anything suggesting risk before the rest.

    `reported=true` keeps only those a visitor has reported (e.g. `status=approved`).
    """
    return service.queue(
        session,
        status=status,
        kind=kind,
        region=region,
        limit=limit,
        cursor=cursor,
        reported=reported,
    )


@router.post(
    "/contributions", status_code=201, response_model=ReceiptIssued, openapi_extra=FORM_OPENAPI,
    responses=errors(404, 408, 409, 415, 503),
)
async def enter_contribution(
    request: Request,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    jobs: JobsDep,
) -> ReceiptIssued:
    """Enter a contribution that arrived by post, email or social media (same form + channel)."""

    def accept(data: ContributionCreate, form: SubmittedForm) -> ReceiptIssued:
        raw_channel = form.one("channel") or ""
        if raw_channel not in (Channel.email, Channel.post, Channel.social):
            raise InvalidInput("channel must be one of: email, post, social.",
                               code=ErrorCode.invalid_channel, field="channel")
        return intake.submit(session, storage, settings, data, form.file_objects(), jobs=jobs,
                             channel=Channel(raw_channel), entered_by=moderator)

    return await take_submission(request, settings, accept)


@router.get(
    "/contributions/{contribution_id}", response_model=ContributionModeratorView,
    responses=errors(404),
)
def contribution_detail(
    contribution: ContributionDep, session: SessionDep
) -> ContributionModeratorView:
    """Everything about one contribution, whatever its status."""
    return service.view(session, contribution)


@router.post(
    "/contributions/{contribution_id}/decision", response_model=ContributionModeratorView,
    responses=errors(404, 409),
)
def decide(
    decision: Decision,
    contribution: ContributionDep,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ContributionModeratorView:
    """Approve, hold or reject; 409 if the contribution changed since it was loaded."""
    return service.decide(session, settings, moderator, contribution, decision)


@router.patch(
    "/contributions/{contribution_id}", response_model=ContributionModeratorView,
    responses=errors(404, 409),
)
def correct(
    edit: ContributionUpdate,
    contribution: ContributionDep,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ContributionModeratorView:
    """Correct title, form, tags, region, content warning or image descriptions."""
    return service.correct(session, settings, moderator, contribution, edit)


@router.get("/audit", response_model=AuditPage)
def audit_log(
    session: SessionDep,
    limit: Annotated[int, Depends(page_limit(50))],
    contribution_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{16}$")] = None,
    action: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> AuditPage:
    """The append-only log of every action, newest first (`action=reported`: visitor reports)."""
    return service.audit_log(
        session, contribution_id=contribution_id, action=action, limit=limit, cursor=cursor
    )
