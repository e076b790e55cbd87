"""Page sizes, one rule for every paged list: at least 1, at most `page_max` (a setting, stated
in the API description), `page_default` unless a list has a default of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query

from scrapbook.core.deps import SettingsDep
from scrapbook.core.errors import ErrorCode, InvalidInput
from scrapbook.core.openapi import limit as bound

LimitQuery = Annotated[int | None, Query(ge=1, json_schema_extra=bound("page_max"))]


def page_limit(default: int | None = None) -> Callable[[SettingsDep, LimitQuery], int]:
    """A dependency giving the page size asked for (`limit`), checked against the settings."""

    def checked(settings: SettingsDep, limit: LimitQuery = None) -> int:
        if limit is None:
            return default or settings.page_default
        if limit > settings.page_max:
            raise InvalidInput(f"limit may be at most {settings.page_max}.",
                               code=ErrorCode.limit_too_large, field="limit")
        return limit

    return checked
