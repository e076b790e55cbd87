"""Opaque keyset-pagination cursors, decoded strictly: a bad cursor is a 422, never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from typing import Any, Literal

from scrapbook.core.errors import ErrorCode, InvalidInput
from scrapbook.core.security import is_public_id

Part = Literal["date", "id", "int", "bool", "float", "str"]
_INT_MAX = 2**62


def encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, parts: tuple[Part, ...]) -> list[Any]:
    """The cursor's values, each checked and converted to the kind named in `parts`."""
    invalid = InvalidInput(
        "The cursor is not valid; start again from the first page.",
        code=ErrorCode.invalid_cursor, field="cursor"
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(values, list) or len(values) != len(parts):
        raise invalid
    out: list[Any] = []
    for value, part in zip(values, parts, strict=True):
        if part == "date" and isinstance(value, str):
            try:
                out.append(dt.date.fromisoformat(value))
                continue
            except ValueError:
                raise invalid from None
        elif part == "id" and isinstance(value, str) and is_public_id(value):
            out.append(value)
            continue
        elif part == "int" and type(value) is int and 0 <= value < _INT_MAX:
            out.append(value)
            continue
        elif part == "bool" and type(value) in (bool, int) and value in (0, 1):
            out.append(bool(value))
            continue
        elif part == "float" and type(value) in (int, float) and math.isfinite(value):
            out.append(float(value))
            continue
        elif part == "str" and isinstance(value, str) and len(value) <= 500 and "\x00" not in value:
            out.append(value)
            continue
        raise invalid
    return out
