"""The API description, with every limit read from Settings.

Schemas name the setting that bounds a field (`"x-limit": "title_max"`); when the document
is built, each such field gets its `maxLength` (text), `maxItems` (lists) or `maximum`
(numbers) from this server's Settings, so the document states the limits the server
enforces, and an operator who changes a limit changes the document with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from scrapbook.core.config import Settings

LIMIT = "x-limit"


def limit(setting: str) -> dict[str, Any]:
    """For `Field(json_schema_extra=...)` or a hand-written schema: bounded by this setting."""
    return {LIMIT: setting}


def _bound(node: dict[str, Any], value: int) -> None:
    kind = node.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind == "string":
        node["maxLength"] = value
    elif kind == "array":
        node["maxItems"] = value
    elif kind in ("integer", "number"):
        node["maximum"] = value
    for branch in node.get("anyOf", []):  # Optional[...] fields
        if branch.get("type") != "null":
            _bound(branch, value)


def apply_limits(node: Any, settings: Settings) -> None:
    if isinstance(node, dict):
        if isinstance(setting := node.get(LIMIT), str):
            _bound(node, int(getattr(settings, setting)))
        for value in node.values():
            apply_limits(value, settings)
    elif isinstance(node, list):
        for value in node:
            apply_limits(value, settings)


def describer(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """`app.openapi`: the document built once, with this server's limits."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes,
            )
            apply_limits(document, settings)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
