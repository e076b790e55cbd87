"""A CDN in front keeps public pages only as long as it is told, and is purged by every
change the public can see: a real HTTP receiver on loopback stands in for its purge API."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text

from scrapbook.core.config import Settings
from scrapbook.main import create_app
from tests.conftest import TABLES, approve, make_moderator, sign_in, submit


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((json.loads(body), self.headers.get("Authorization")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def purge_api():
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/purge", _Receiver.received
    server.shutdown()


def _purges_after(received, seconds=5.0):
    deadline = time.monotonic() + seconds
    count = len(received)
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if len(received) > count:
            break
    time.sleep(0.2)  # anything else on its way
    return len(received)


def test_every_public_change_purges_the_cdn_and_nothing_else_does(settings, purge_api):
    url, received = purge_api
    settings = settings.model_copy(update={
        "cdn_max_age": 30, "cdn_purge_url": url, "cdn_purge_token": "t0ken"})
    app = create_app(settings)
    make_moderator(app)
    try:
        with TestClient(app) as client:
            moderator = sign_in(app, "mod")
            page = client.get("/api/gallery")
            assert page.headers["cache-control"] == (
                "public, max-age=0, s-maxage=30, stale-while-revalidate=60")
            assert page.headers["surrogate-key"] == "public" == page.headers["cache-tag"]

            sent = submit(client, title="Quiet kitchen").json()
            time.sleep(0.5)
            assert received == []  # pending: nothing public changed, nothing to purge
            approve(moderator, sent["id"])
            assert _purges_after(received) == 1
            assert received[0] == ({"surrogate_keys": ["public"], "tags": ["public"]},
                                   "Bearer t0ken")
            assert client.delete(f"/api/receipts/{sent['receipt']}").status_code == 204
            assert _purges_after(received) == 2
    finally:
        with app.state.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
        app.state.engine.dispose()


def test_without_a_purge_the_cdn_must_revalidate_and_may_not_serve_stale(client):
    r = client.get("/api/gallery")
    assert r.headers["cache-control"] == "no-cache" and "surrogate-key" not in r.headers


def test_a_purge_url_must_be_http():
    with pytest.raises(ValidationError, match="http"):
        Settings(cdn_purge_url="file:///etc/passwd")
