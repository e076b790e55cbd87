"""Alembic environment: URL from Settings, schema from SQLModel.metadata."""

from collections.abc import Mapping
from typing import Any

from alembic import context
from sqlmodel import SQLModel

import scrapbook.models  # noqa: F401  (registers every table)
from scrapbook.core.config import get_settings
from scrapbook.core.db import make_engine

config = context.config
target_metadata = SQLModel.metadata

# The full-text search table is made by hand in the initial migration (an FTS5 virtual table
# and its shadow tables on SQLite, a tsvector table on PostgreSQL) and has no model, so
# autogenerate and `alembic check` must not offer to drop it.
SEARCH_TABLE = "contribution_search"


# Indexes with a descending part: alembic cannot compare expression indexes (it offers to drop
# and re-create them each time), so `alembic check` leaves them out;
# tests/test_migrations.py checks they exist on every backend.
EXPRESSION_INDEXES = frozenset({"ix_contribution_queue_order"})


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    if type_ != "table" or name is None or name in target_metadata.tables:
        return True
    return name != SEARCH_TABLE and not name.startswith(f"{SEARCH_TABLE}_")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
                   ) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


OPTIONS: dict[str, Any] = {
    "target_metadata": target_metadata,
    "render_as_batch": True,
    "include_name": include_name,
    "include_object": include_object,
}


def _url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
