"""Contributors' API: send something, check on it, withdraw it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from scrapbook.contributions import service
from scrapbook.contributions.forms import FORM_OPENAPI, SubmittedForm, take_submission
from scrapbook.contributions.limits import (
    count_receipt,
    submission_allowance,
)
from scrapbook.contributions.schemas import ContributionCreate, ReceiptIssued, ReceiptStatus
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import errors
from scrapbook.media.deps import JobsDep, StorageDep

router = APIRouter(prefix="/api", tags=["contributions"], responses=errors(400, 422, 429))


@router.post(
    "/contributions", status_code=202, response_model=ReceiptIssued, openapi_extra=FORM_OPENAPI,
    responses=errors(404, 408, 409, 413, 415, 503),
)
async def submit_contribution(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    jobs: JobsDep,
) -> ReceiptIssued:
    """Send a contribution (multipart form). The receipt code in the answer is shown only once."""
    async with submission_allowance(request):
        return await _submit(request, session, settings, storage, jobs)


async def _submit(
    request: Request, session: SessionDep, settings: SettingsDep, storage: StorageDep,
    jobs: JobsDep,
) -> ReceiptIssued:
    def accept(data: ContributionCreate, form: SubmittedForm) -> ReceiptIssued:
        if data.website:  # the honeypot: a bot gets a receipt for nothing
            return service.decoy_receipt(session, data)
        return service.submit(session, storage, settings, data, form.file_objects(), jobs=jobs)

    return await take_submission(request, settings, accept)


@router.get("/receipts/{code}", response_model=ReceiptStatus, responses=errors(404))
def receipt_status(code: str, request: Request, session: SessionDep) -> ReceiptStatus:
    """Where a contribution stands, by its receipt code."""
    count_receipt(request)
    return service.receipt_status(session, code)


@router.delete("/receipts/{code}", status_code=204, responses=errors(404, 409))
def withdraw(code: str, request: Request, session: SessionDep, storage: StorageDep) -> Response:
    """Withdraw a contribution: it, its files and its search entry are erased."""
    count_receipt(request)
    service.withdraw(session, storage, code)
    return Response(status_code=204)
