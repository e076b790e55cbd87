"""The website's pages: Jinja2 templates in frontend/templates/, each extending base.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException
from starlette.types import Scope

FRONTEND_DIR = Path(__file__).resolve().parent.parent.parent / "frontend"
TEMPLATES_DIR = FRONTEND_DIR / "templates"
ASSETS = "assets"  # the only folder of FRONTEND_DIR served as files

# Block tags take their own line, so the templates read like the HTML they render.
templates = Jinja2Templates(env=Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
))
# Pages change with each release, so browsers revalidate; assets keep the static defaults.
_PAGE_HEADERS = {"Cache-Control": "no-cache"}


def render(request: Request, name: str, status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, status_code=status_code,
                                      headers=_PAGE_HEADERS)


class FrontendFiles(StaticFiles):
    """frontend/assets/ as static files; any other address is the 404 page (never a template)."""

    def __init__(self) -> None:
        super().__init__(directory=FRONTEND_DIR)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == ASSETS or path.startswith(f"{ASSETS}/"):
            try:
                return await super().get_response(path, scope)
            except HTTPException as exc:
                if exc.status_code != 404:
                    raise
        elif scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        return render(Request(scope), "404.html", status_code=404)
