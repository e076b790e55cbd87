"""The website's pretty page URLs (/contribute, /gallery, ...), each one template in
frontend/templates/ (scrapbook.site.pages)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from scrapbook.site.pages import render

# URL path -> page template.
PAGES: dict[str, str] = {
    "/": "index.html",
    "/contribute": "contribute.html",
    "/gallery": "gallery.html",
    "/status": "status.html",
    "/support": "support.html",
    "/moderate": "moderate.html",
    "/about": "about.html",
    "/guidelines": "guidelines.html",
}

router = APIRouter(include_in_schema=False)


def _add_page(path: str, name: str) -> None:
    def page(request: Request) -> Response:
        return render(request, name)

    router.add_api_route(path, page, methods=["GET", "HEAD"], name=f"page:{path}")


for _path, _name in PAGES.items():
    _add_page(_path, _name)


@router.api_route("/contributions/{contribution_id}", methods=["GET", "HEAD"])
def contribution_page(request: Request, contribution_id: str) -> Response:
    """One contribution's permalink; the page loads it from /api/gallery/{id}."""
    return render(request, "contribution.html")
