"""The app with two bare routes beside the gallery, as anchors for bench/throughput.py.

`uvicorn --factory bench.bare:create_bench_app` serves Scrapbook as `scrapbook serve` does, plus:

- `/bench/dicts`: a plain `async def` returning the gallery's first page as the Python dict that
  `json.loads` of its body gives (FastAPI encodes it on every request, as a naive route would);
- `/bench/bytes`: the same page as ready JSON bytes.

The page is fetched once at start-up by calling `/api/gallery` through the app itself, so it is
byte for byte what the gallery answers. Both routes sit in front of the app's catch-all routes
(the API fallback and the frontend mounted at "/") and behind the same middleware.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Response

from scrapbook.main import create_app

PAGE_PATH = "/api/gallery"


def create_bench_app() -> FastAPI:
    app = create_app()
    page: dict[str, bytes | Any] = {}
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with started(app) as state:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                answer = await client.get(PAGE_PATH)
            answer.raise_for_status()
            page["bytes"] = answer.content
            page["dicts"] = json.loads(answer.content)
            yield state

    app.router.lifespan_context = lifespan

    async def bench_dicts() -> Any:
        return page["dicts"]

    async def bench_bytes() -> Response:
        return Response(content=page["bytes"], media_type="application/json")

    before = len(app.router.routes)
    app.add_api_route("/bench/dicts", bench_dicts, methods=["GET"], response_model=None,
                      include_in_schema=False)
    app.add_api_route("/bench/bytes", bench_bytes, methods=["GET"], response_model=None,
                      include_in_schema=False)
    # Routes match in order: move ours ahead of the API fallback and the frontend mount.
    ours = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = ours
    return app
