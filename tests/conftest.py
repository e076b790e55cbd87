"""Shared fixtures: a migrated real database (SQLite, and PostgreSQL when configured), the app
over real HTTP (ASGI), a signed-in moderator, and helpers to submit contributions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from scrapbook.cli import run_migrations
from scrapbook.core.config import Settings
from scrapbook.core.db import make_engine, transaction
from scrapbook.main import create_app
from scrapbook.moderation.auth import add_moderator

pytest_plugins = ["tests.s3server"]  # a real S3-compatible server on loopback (moto)

PG_URL = os.environ.get("SCRAPBOOK_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery staple"
TABLES = ["rate_hit", "upload", "job_lock", "contribution_search", "audit_event", "media_variant",
          "media_asset", "contribution_tag", "contribution", "moderator_session", "moderator",
          # the support directory (children before parents)
          "attribute", "schedule", "phone", "contact", "service_area", "service_at_location",
          "accessibility", "address", "location", "service", "organization", "taxonomy_term",
          "taxonomy"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database built by running the real migrations, once per backend per run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'scrapbook.db'}"
    else:
        assert PG_URL
        url = PG_URL
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    run_migrations(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        uploads_dir=tmp_path / "uploads",
        secret_key="test-secret-" + "x" * 40,
        submissions_per_hour=1000,
        tus_dir=tmp_path / "tus",
        queue_path=tmp_path / "queue.db",
        # Jobs run when a test drains the queue (`app.state.jobs.drain()`), or in consumer
        # threads where a test turns them on.
        worker_threads=0,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    engine = application.state.engine
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
    engine.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def db(app: Any) -> Iterator[Any]:
    """Open a committed transaction against the app's database: `with db() as session:`."""

    @contextmanager
    def _open() -> Iterator[Session]:
        yield from transaction(app.state.engine)

    return _open  # type: ignore[return-value]


def make_moderator(app: Any, username: str = "mod", role: str = "moderator") -> None:
    engine = make_engine(app.state.settings.database_url)
    with contextmanager(transaction)(engine) as session:
        add_moderator(session, username, PASSWORD, role,
                      password_min=app.state.settings.password_min)
    engine.dispose()


def sign_in(app: Any, username: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/admin/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


@pytest.fixture
def moderator(app: Any) -> Iterator[TestClient]:
    """A TestClient signed in as a moderator, sending the CSRF token on every request."""
    make_moderator(app, "mod")
    with sign_in(app, "mod") as c:
        yield c


@contextmanager
def live_server(app: Any) -> Iterator[int]:
    """The app under a real uvicorn on a free loopback port (for raw-socket clients)."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def form_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "text",
        "form": "poem",
        "title": "Kettle",
        "body": "The kettle clicks off\nand nobody asks\nif I want one too.",
        "consent": "true",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def submit(client: TestClient, files: list[tuple[str, bytes, str]] | None = None,
           url: str = "/api/contributions", process: bool = True, **fields: Any) -> Any:
    """POST a multipart contribution; files are (filename, bytes, content_type).

    With `process`, the job queue then runs what the submission queued (pictures, sound and
    video are made ready off the request path), as a worker would.
    """
    data = form_fields(**fields)
    parts = [("files", f) for f in files or []]
    if parts:
        answer = client.post(url, data=data, files=parts)
    else:  # multipart even without files, as the web form sends it
        answer = client.post(url, data=data, files={"_": ("", b"", "application/octet-stream")})
    if process and not client.app.state.settings.worker_threads:  # type: ignore[attr-defined]
        client.app.state.jobs.drain()  # type: ignore[attr-defined]
    return answer


def approve(moderator: TestClient, contribution_id: str, **extra: Any) -> Any:
    current = moderator.get(f"/api/admin/contributions/{contribution_id}").json()
    for item in current["media"]:
        if not item["alt_text"]:
            moderator.patch(f"/api/admin/contributions/{contribution_id}", json={
                "version": current["version"],
                "media": [{"id": item["id"], "alt_text": "A described image"}],
            })
            current = moderator.get(f"/api/admin/contributions/{contribution_id}").json()
    r = moderator.post(f"/api/admin/contributions/{contribution_id}/decision",
                       json={"action": "approve", "version": current["version"], **extra})
    assert r.status_code == 200, r.text
    return r.json()


def stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.uploads_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count_rows(app: Any, table: str) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
