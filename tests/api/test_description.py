"""The API description tells the truth: schemathesis drives every documented operation
against a live server, anonymously and as a signed-in moderator, and every answer must be
a documented status with a body matching its schema, never a 5xx; wrong methods get a 405
whose Allow is right. Bounded (tests/api/schemathesis.toml: fixed seed, 25 examples per
operation) so it runs in CI on SQLite; `make api-check` runs it longer, on PostgreSQL too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from scrapbook.main import create_app
from tests.conftest import PASSWORD, approve, live_server, make_moderator, sign_in, submit

CONFIG = Path(__file__).with_name("schemathesis.toml")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES")


def _schemathesis(port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    args = [str(cli), "--config-file", str(CONFIG), "run",
            f"http://127.0.0.1:{port}/openapi.json", "--checks", "all", *extra]
    if EXAMPLES:
        args += ["--max-examples", EXAMPLES]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # for the hooks module
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False,
                          cwd=ROOT, env=env)


def _report(run: subprocess.CompletedProcess[str]) -> str:
    return (run.stdout + run.stderr)[-12000:]


@pytest.fixture
def open_app(settings: Any) -> Any:
    """The app with allowances that a single tester would never reach, so the limits do not
    hide the answers behind 429s (the limits have tests of their own)."""
    generous = settings.model_copy(update={
        "submissions_per_hour": 10**6, "submission_attempts_per_hour": 10**6,
        "receipts_per_hour": 10**6, "reports_per_hour": 10**6,
        "signin_failures_max": 10**6, "signin_global_failures": 10**6,
    })
    application = create_app(generous)
    yield application
    application.state.engine.dispose()


def test_every_answer_is_documented_and_matches_its_schema(
    open_app: Any, app: Any, database_url: str
) -> None:
    # `app` (unused here) empties the database afterwards; both share the test database.
    from fastapi.testclient import TestClient

    if database_url.startswith("postgresql") and not EXAMPLES:
        pytest.skip("the suite runs it on SQLite; `make api-check` runs it on both, longer")

    make_moderator(open_app, "mod")
    with TestClient(open_app) as client, sign_in(open_app, "mod") as moderator:
        for n in range(3):  # something to browse, report and decide on
            answer = submit(client, title=f"Kettle {n}").json()
            if n < 2:
                approve(moderator, answer["id"])
    with live_server(open_app) as port:
        anonymous = _schemathesis(port)
        signed = httpx.post(f"http://127.0.0.1:{port}/api/admin/session",
                            json={"username": "mod", "password": PASSWORD})
        assert signed.status_code == 200
        cookie = f"scrapbook_session={signed.cookies['scrapbook_session']}"
        moderating = _schemathesis(
            port, "-H", f"Cookie: {cookie}", "-H",
            f"X-CSRF-Token: {signed.json()['csrf_token']}",
            "--include-path-regex", "^/api/admin/",
            "--exclude-operation-id", "sign_out_api_admin_session_delete",
        )
    assert (anonymous.returncode, moderating.returncode) == (0, 0), (
        "anonymous:\n" + _report(anonymous) + "\n\nsigned in:\n" + _report(moderating))
