"""Providers for the media domain: the file storage and the job queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from scrapbook.core.state import state_of
from scrapbook.media.storage import Storage
from scrapbook.media.tasks import MediaJobs


def get_storage(request: Request) -> Storage:
    return state_of(request.app, "storage", Storage)  # type: ignore[type-abstract]


def get_jobs(request: Request) -> MediaJobs:
    return state_of(request.app, "jobs", MediaJobs)


StorageDep = Annotated[Storage, Depends(get_storage)]
JobsDep = Annotated[MediaJobs, Depends(get_jobs)]
