"""Building public pages off the event loop, a few at a time.

A page costs a millisecond or two of Python and database work. Run in Starlette's shared
thread pool (40 threads), dozens of them at once contend for one interpreter lock and one
SQLite file and each takes many times longer (measured in-process on 2 cores: 708 pages a
second from one thread, 298 from eight). So pages are built by at most `page_builders`
threads per process (one per core on SQLite, more on PostgreSQL, whose queries wait on the
network); the rest wait their turn without holding a thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import Request

from scrapbook.core.config import Settings

T = TypeVar("T")


def page_builders(settings: Settings) -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(settings.resolved_page_builders())


async def build_page(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    limiter: anyio.CapacityLimiter = request.app.state.page_builders
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs),
                                          limiter=limiter)
