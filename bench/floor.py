"""The framework's floor for serving a file: Starlette's own FileResponse (64 KiB chunks, one
byte range), with no database, middleware or checks. Run by bench.server.serve_floor."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

FILE = os.environ.get("BENCH_FLOOR_FILE", "")


async def health(request: Request) -> Response:
    return Response("ok")


async def file(request: Request) -> Response:
    return FileResponse(FILE, media_type="video/mp4")


app = Starlette(routes=[Route("/health", health), Route("/file", file)])
