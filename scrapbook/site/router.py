"""The website's pretty page URLs (/contribute, /gallery, ...), each one file in frontend/."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

FRONTEND_DIR = Path(__file__).resolve().parent.parent.parent / "frontend"

# URL path -> page file. "/" is index.html, served by the static mount.
PAGES: dict[str, str] = {
    "/contribute": "contribute.html",
    "/gallery": "gallery.html",
    "/status": "status.html",
    "/support": "support.html",
    "/moderate": "moderate.html",
    "/about": "about.html",
    "/guidelines": "guidelines.html",
}
# Pages change with each release, so browsers revalidate; assets keep the static defaults.
_PAGE_HEADERS = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(FRONTEND_DIR / name, media_type="text/html", headers=_PAGE_HEADERS)


def _add_page(path: str, name: str) -> None:
    def page() -> FileResponse:
        return _page(name)

    router.add_api_route(path, page, methods=["GET", "HEAD"], name=f"page:{path}")


for _path, _name in PAGES.items():
    _add_page(_path, _name)


@router.api_route("/contributions/{contribution_id}", methods=["GET", "HEAD"])
def contribution_page(contribution_id: str) -> FileResponse:
    """One contribution's permalink; the page loads it from /api/gallery/{id}."""
    return _page("contribution.html")
