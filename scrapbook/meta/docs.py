"""The API docs (/docs: Swagger UI, /redoc: ReDoc) served with their assets from the app, so
they work without internet access, under a docs-only policy that allows no inline script.

Vendored in docs_assets/, unchanged from npm: swagger-ui-dist 5.35.0 (swagger-ui-bundle.js,
swagger-ui.css; Apache-2.0) and redoc 2.5.4 (bundles/redoc.standalone.js; MIT). To update,
copy the same files from the new `npm pack` tarballs and change the versions here.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from scrapbook.core.errors import NotFound

ASSETS_DIR = Path(__file__).resolve().parent / "docs_assets"
ASSETS_URL = "/docs/assets"
DOC_PAGES = ("/docs", "/redoc")  # carry DOCS_CSP instead of the site's policy

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-init.js": "text/javascript; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

# Scripts, the description and fonts from this origin only. Styles may be inline: ReDoc's
# styled-components writes <style> elements and Swagger UI sets style attributes. ReDoc's
# search runs in a worker made from a blob; Swagger UI's icons are data: SVGs.
# Sent as the pages' Content-Security-Policy header, in place of the site's policy.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n"
        f"<link rel=\"icon\" type=\"image/png\" href=\"{ASSETS_URL}/favicon-32x32.png\">\n"
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n",
        headers={"Content-Security-Policy": DOCS_CSP},
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    spec = escape(request.app.openapi_url or "")
    return _page(
        f"{request.app.title} - Swagger UI",
        f"<link rel=\"stylesheet\" href=\"{ASSETS_URL}/swagger-ui.css\">\n",
        f"<div id=\"swagger-ui\" data-spec-url=\"{spec}\"></div>\n"
        f"<script src=\"{ASSETS_URL}/swagger-ui-bundle.js\"></script>\n"
        f"<script src=\"{ASSETS_URL}/swagger-init.js\"></script>\n",
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    spec = escape(request.app.openapi_url or "")
    # ReDoc starts itself on a <redoc spec-url> element: no start-up script needed.
    return _page(
        f"{request.app.title} - ReDoc",
        "",
        f"<redoc spec-url=\"{spec}\"></redoc>\n"
        f"<script src=\"{ASSETS_URL}/redoc.standalone.js\"></script>\n",
    )


@router.get(ASSETS_URL + "/{name}")
def asset(name: str) -> FileResponse:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFound("No such docs asset.")
    return FileResponse(ASSETS_DIR / name, media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400"})
