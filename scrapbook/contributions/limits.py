"""Guards on intake: per-client submission counts and how many submissions run at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from scrapbook.core.config import Settings
from scrapbook.core.errors import RateLimited, ServiceBusy
from scrapbook.core.ratelimit import SlidingWindow
from scrapbook.core.security import ClientFingerprint
from scrapbook.core.state import state_of


def client_key(request: Request) -> str:
    """A keyed, daily-rotating hash of the client's address; the address itself is never kept."""
    return state_of(request.app, "fingerprint", ClientFingerprint)(
        request.client.host if request.client else "unknown")


def _count(request: Request, limiter: SlidingWindow, what: str) -> None:
    key = client_key(request)
    if not limiter.try_hit(key):
        raise RateLimited(
            f"You have sent a lot of {what} in the last hour. Please try again a little later.",
            headers={"Retry-After": str(limiter.retry_after(key))},
        )


@asynccontextmanager
async def submission_allowance(request: Request) -> AsyncIterator[None]:
    """Every try counts against a generous hourly allowance of attempts; only an accepted
    submission counts against the hourly allowance of contributions, so a few mistakes (no
    consent, a field too long) never lock a person out. The place is taken before the work
    (so parallel submissions cannot pass the limit) and given back if the submission fails.
    The counting is done in a worker thread: the shared store is a database or Redis."""
    attempts = state_of(request.app, "attempt_limiter", SlidingWindow)
    await run_in_threadpool(_count, request, attempts, "attempts")
    limiter = state_of(request.app, "submission_limiter", SlidingWindow)
    key = client_key(request)
    if not await run_in_threadpool(limiter.try_hit, key):
        raise RateLimited(
            "You have sent a lot of contributions in the last hour. "
            "Please try again a little later.",
            headers={"Retry-After": str(await run_in_threadpool(limiter.retry_after, key))},
        )
    try:
        yield
    except BaseException:
        await run_in_threadpool(limiter.undo, key)
        raise

def count_receipt(request: Request) -> None:
    """Receipt look-ups and withdrawals per client (codes are 100 bits: defence in depth)."""
    _count(request, state_of(request.app, "receipt_limiter", SlidingWindow), "receipt look-ups")


def count_upload(request: Request) -> None:
    """Resumable uploads started: an allowance of their own, the size of the submissions'."""
    _count(request, state_of(request.app, "upload_limiter", SlidingWindow), "uploads")


def count_report(request: Request) -> None:
    """Visitor reports have their own hourly allowance, so reporting never blocks contributing."""
    _count(request, state_of(request.app, "report_limiter", SlidingWindow), "reports")


@asynccontextmanager
async def receiving_slot(request: Request) -> AsyncIterator[None]:
    """Bodies being received at once from one client: a few, so one client's slow uploads can
    hold neither the intake slots nor more than their share of connections and disk."""
    settings = state_of(request.app, "settings", Settings)
    receiving: dict[str, int] = state_of(request.app, "receiving", dict)
    key = client_key(request)
    if receiving.get(key, 0) >= settings.receives_per_client:
        raise RateLimited(
            "You are already sending something. Please wait for it to finish.",
            headers={"Retry-After": "30"},
        )
    receiving[key] = receiving.get(key, 0) + 1
    try:
        yield
    finally:
        receiving[key] -= 1
        if not receiving[key]:
            del receiving[key]


@asynccontextmanager
async def intake_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the few intake slots while a received submission is checked and stored.

    Taken only once the whole body has arrived, so slow clients cannot hold them; bounds the
    CPU and disk work (header checks, copies) however many arrive at once.
    """
    settings = state_of(request.app, "settings", Settings)
    slots = state_of(request.app, "intake_slots", asyncio.Semaphore)
    try:
        await asyncio.wait_for(slots.acquire(), timeout=settings.intake_wait_seconds)
    except TimeoutError:
        raise ServiceBusy(
            "Lots of people are sending things right now. Please try again in a minute.",
            headers={"Retry-After": "60"},
        ) from None
    try:
        yield
    finally:
        slots.release()
