"""Opaque keyset-pagination cursors."""

from __future__ import annotations

import base64
import json
from typing import Any

from scrapbook.core.errors import InvalidInput


def encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The cursor is not valid; start again from the first page.", code="invalid_cursor"
        ) from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidInput(
            "The cursor is not valid; start again from the first page.", code="invalid_cursor"
        )
    return values
