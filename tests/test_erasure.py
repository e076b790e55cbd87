"""A withdrawal erases the words from the disk, not only from the tables: SQLite's database,
`-wal` and `-shm` files hold no copy of them once it has answered (old FTS5 index segments
merged, the write-ahead log checkpointed and truncated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import approve, submit

WORD = "plovzqxjt"  # porter stemming leaves it whole, so the index holds it as written


def _files(app: Any) -> list[Path]:
    database = Path(app.state.engine.url.database)
    return [database, *(Path(f"{database}{end}") for end in ("-wal", "-shm"))]


def test_withdrawn_words_leave_no_copy_on_disk(
    app: Any, client: TestClient, moderator: TestClient
) -> None:
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL erasure is operational (VACUUM; see the README)")
    sent = submit(client, title=f"The {WORD} kettle",
                  body=f"Every {WORD} morning\nthe {WORD} kettle", tags=WORD).json()
    approve(moderator, sent["id"])
    assert client.get("/api/gallery", params={"q": WORD}).json()["items"]
    # Other approved writing keeps the index in several segments, as on a live site.
    for i in range(1):
        approve(moderator, submit(client, title=f"Other {i}").json()["id"])
    assert any(WORD.encode() in p.read_bytes() for p in _files(app) if p.exists())

    assert client.delete(f"/api/receipts/{sent['receipt']}").status_code == 204

    assert not client.get("/api/gallery", params={"q": WORD}).json()["items"]
    for path in _files(app):
        if path.exists():
            assert WORD.encode() not in path.read_bytes(), path.name


def test_a_cleared_contact_email_leaves_no_copy_on_disk(
    app: Any, client: TestClient, moderator: TestClient
) -> None:
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL erasure is operational (VACUUM; see the README)")
    address = f"{WORD}@example.org"
    sent = submit(client, contact_email=address).json()
    assert any(WORD.encode() in p.read_bytes() for p in _files(app) if p.exists())
    approve(moderator, sent["id"])  # a decision clears the address
    for path in _files(app):
        if path.exists():
            assert WORD.encode() not in path.read_bytes(), path.name
