"""Typed access to what create_app() keeps on `app.state`: one checked read per name, so no
caller handles an untyped value."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def state_of(app: Any, name: str, kind: type[T]) -> T:
    value = getattr(app.state, name)
    if not isinstance(value, kind):
        raise TypeError(f"app.state.{name} is a {type(value).__name__}, not a {kind.__name__}")
    return value
