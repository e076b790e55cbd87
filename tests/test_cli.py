"""The `scrapbook` command, run for real in a subprocess against a fresh SQLite database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SCRAPBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'cli.db'}",
        "SCRAPBOOK_UPLOADS_DIR": str(tmp_path / "uploads"),
        "SCRAPBOOK_SECRET_KEY": "s" * 40,
    }


def scrapbook(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapbook.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_and_manage_moderators(env):
    assert scrapbook(env, "migrate").returncode == 0
    added = scrapbook(
        env,
        "moderator",
        "add",
        "Robin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a sufficiently long password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "robin" in added.stdout
    short = scrapbook(env, "moderator", "add", "sam", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr
    stricter = {**env, "SCRAPBOOK_PASSWORD_MIN": "30"}  # the minimum is a setting
    refused = scrapbook(stricter, "moderator", "add", "sam", "--password-stdin",
                        stdin="a sufficiently long password\n")
    assert refused.returncode == 1 and "at least 30 characters" in refused.stderr
    again = scrapbook(
        env, "moderator", "add", "robin", "--password-stdin", stdin="another long password\n"
    )
    assert again.returncode == 1 and "already" in again.stderr
    assert scrapbook(env, "moderator", "list").stdout.split() == ["robin", "admin", "active"]
    assert scrapbook(env, "moderator", "disable", "robin").returncode == 0
    assert "disabled" in scrapbook(env, "moderator", "list").stdout
    assert scrapbook(env, "moderator", "disable", "nobody").returncode == 1


def test_serve_migrates_then_serves_without_logging_clients(env, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapbook.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120  # a busy machine starts processes slowly
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health") as r:  # noqa: S310
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/meta") as r:  # noqa: S310
            assert r.status == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=60)
    assert (tmp_path / "var" / "cli.db").exists()
    assert "Uvicorn running" in output  # the log was captured...
    assert "GET /api" not in output  # ...and has no access lines
    assert not re.search(r"127\.0\.0\.1:\d+ -", output)  # nor client addresses


def test_serve_runs_one_worker_process_per_core_sharing_everything(env, tmp_path):
    """The default: one process per core (at most 4); submissions, receipts and the public
    pages agree whichever process answers."""
    expected = max(1, min(os.cpu_count() or 1, 4))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapbook.cli", "serve", "--port", str(port)],
        env={**env, "SCRAPBOOK_SUBMISSIONS_PER_HOUR": "100"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 120  # a busy machine starts processes slowly
        while True:
            try:
                httpx.get(f"{base}/api/health").raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        receipts = []
        for i in range(6):  # new connections: the kernel spreads them over the processes
            r = httpx.post(f"{base}/api/contributions", data={
                "kind": "text", "form": "note", "body": f"Note {i}", "consent": "true",
                "licence": "cc-by-4.0"}, files={"_": ("", b"", "application/octet-stream")})
            assert r.status_code == 202, r.text
            receipts.append(r.json()["receipt"])
        for code in receipts:
            assert httpx.get(f"{base}/api/receipts/{code}").json()["status"] == "pending"
        assert httpx.get(f"{base}/api/gallery").json()["items"] == []
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    workers = "process" if expected == 1 else "processes"
    assert f"{expected} worker {workers}" in output
    assert output.count("Started server process") == expected
    assert "died" not in output  # no worker killed and restarted while starting


def test_refresh_public_moves_every_process_on_to_fresh_pages(env, tmp_path):
    from scrapbook.core.public_reads import FileGeneration

    env = {**env, "SCRAPBOOK_QUEUE_PATH": str(tmp_path / "var" / "queue.db")}
    generation = FileGeneration(tmp_path / "var" / "public.generation")
    before = generation.current()
    done = scrapbook(env, "refresh-public")
    assert done.returncode == 0, done.stderr
    assert "afresh" in done.stdout
    assert generation.current() not in (None, before)
