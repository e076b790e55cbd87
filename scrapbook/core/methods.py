"""Unknown API addresses and wrong methods answer in JSON, with an `Allow` that tells the truth.

Starlette answers 405 from the first route whose path matches (or from the website's static
mount, which says `GET, HEAD` for everything), so a POST-only API path would claim `Allow:
GET, HEAD`. Here every route is asked which methods it takes for the path; every 405 on an
API path is answered with that list, and an API path no route takes is a JSON 404 rather
than the website's friendly page.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from scrapbook.core.errors import ErrorCode, MethodNotAllowed, NotFound, error_body

API_PREFIXES = ("/api/", "/openreferral/", "/media/")
_CATCH_ALL = "unknown_api_path"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    routes = [
        route for route in request.app.router.routes
        if not isinstance(route, Mount) and getattr(route, "name", None) != _CATCH_ALL
    ]
    scope = dict(request.scope)
    allowed = []
    for method in _METHODS:
        scope["method"] = method
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def wrong_method(request: Request) -> MethodNotAllowed | NotFound:
    allowed = allowed_methods(request)
    if not allowed:
        return NotFound("There is no such API endpoint.")
    return MethodNotAllowed(
        f"{request.method} is not allowed here; this address takes {', '.join(allowed)}.",
        headers={"Allow": ", ".join(allowed)},
    )


def unknown_api_path(rest: str, request: Request) -> None:
    """Unknown API paths stay JSON errors rather than the website's friendly 404 page."""
    raise wrong_method(request)


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's 405s (the static mount's among them) on API paths get the true Allow."""
    if request.url.path.startswith(API_PREFIXES):
        error = wrong_method(request)
        return JSONResponse(error_body(error.code, error.detail, error.field),
                            status_code=error.status_code, headers=error.headers)
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return JSONResponse(error_body(ErrorCode.method_not_allowed, "Method not allowed."),
                        status_code=405, headers=headers)


def install_api_fallback(app: FastAPI) -> None:
    """After every API router, before the website's static mount."""
    for prefix in ("/api", "/openreferral"):
        # Every method, so that one an API route lacks (HEAD on a GET route) is a JSON 405
        # here rather than the website's HTML 404 from the static mount.
        app.add_api_route(f"{prefix}/{{rest:path}}", unknown_api_path, methods=list(_METHODS),
                          name=_CATCH_ALL, include_in_schema=False)
    app.add_exception_handler(405, _method_not_allowed)
