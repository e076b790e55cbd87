"""Public JSON reads carry an ETag and answer 304 when the client has them; every copy is
revalidated (a withdrawal must never be served from a cache), and a read that carries a
person's place is never kept at all."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from scrapbook.core.public_reads import PublicReads, generation_of
from scrapbook.main import create_app, public_cache_control
from tests.conftest import TABLES, approve, make_moderator, sign_in, submit


def test_public_reads_answer_304_until_they_change(client, moderator):
    first = client.get("/api/gallery")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/api/gallery", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag

    sent = submit(client, title="Kettle for one").json()
    approve(moderator, sent["id"])
    changed = client.get("/api/gallery", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["items"][0]["id"] == sent["id"]

    # Withdrawn: the copy the client holds is no longer valid, so it gets the new page.
    held = changed.headers["etag"]
    assert client.delete(f"/api/receipts/{sent['receipt']}").status_code == 204
    after = client.get("/api/gallery", headers={"If-None-Match": held})
    assert after.status_code == 200 and after.json()["items"] == []


def test_meta_the_directory_and_oruk_carry_etags(client):
    for url in ("/api/meta", "/api/services", "/openreferral/services"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["etag"].startswith('"'), url
        assert client.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_a_read_with_a_persons_place_is_never_kept(client):
    r = client.get("/api/services", params={"near": "50.72,-3.53"})
    assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers
    r = client.get("/openreferral/service_at_locations",
                   params={"latitude": 50.72, "longitude": -3.53, "proximity": 5000})
    assert r.headers["cache-control"] == "no-store"


def test_private_and_failed_reads_get_no_etag(client, moderator):
    assert "etag" not in client.get("/api/gallery/nope").headers
    r = moderator.get("/api/admin/queue")
    assert "etag" not in r.headers and r.headers["cache-control"] == "no-store"


# --- the page cache and its generation -----------------------------------------------------

def _generation(app):
    return app.state.engine and generation_of(app.state.engine).current()


def test_a_page_is_served_from_the_cache_until_the_public_changes(app, client, moderator):
    sent = submit(client, title="Kettle for one").json()
    approve(moderator, sent["id"])
    first = client.get("/api/gallery").json()
    assert [i["title"] for i in first["items"]] == ["Kettle for one"]
    # A write that bypasses the app (and so the generation) is not seen: the page is kept.
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE contribution SET title = 'changed behind its back'"))
    assert client.get("/api/gallery").json() == first
    # A change through the app is seen at once: the commit advanced the generation.
    current = moderator.get(f"/api/admin/contributions/{sent['id']}").json()
    r = moderator.patch(f"/api/admin/contributions/{sent['id']}",
                        json={"version": current["version"], "title": "Tea for two"})
    assert r.status_code == 200, r.text
    assert [i["title"] for i in client.get("/api/gallery").json()["items"]] == ["Tea for two"]
    assert client.get(f"/api/gallery/{sent['id']}").json()["title"] == "Tea for two"


def test_only_changes_the_public_can_see_advance_the_generation(app, client, moderator):
    before = _generation(app)
    sent = submit(client, title="Pending words").json()  # pending: nothing public changed
    assert moderator.post(f"/api/gallery/{sent['id']}/report", json={"message": "x"}) \
        .status_code == 404
    held = moderator.get(f"/api/admin/contributions/{sent['id']}").json()
    r = moderator.patch(f"/api/admin/contributions/{sent['id']}",
                        json={"version": held["version"], "title": "Still pending"})
    assert r.status_code == 200, r.text
    assert _generation(app) == before
    approve(moderator, sent["id"])
    approved = _generation(app)
    assert approved != before
    assert client.get("/api/gallery").json()["items"][0]["title"] == "Still pending"
    r = moderator.post(f"/api/admin/contributions/{sent['id']}/decision",
                       json={"action": "hold", "version": held["version"] + 2})
    assert r.status_code == 200, r.text
    assert _generation(app) != approved
    assert client.get("/api/gallery").json()["items"] == []


def test_a_read_with_a_persons_place_never_enters_the_cache(app, client):
    for _ in range(2):
        client.get("/api/services", params={"postcode": "EX4 4QJ"})
        client.get("/api/services", params={"near": "50.72,-3.53"})
    cache = _page_cache(app)
    assert cache is not None and not any("near=" in k or "postcode=" in k for k in cache._pages)


def _page_cache(app):
    stack = app.middleware_stack
    while stack is not None:
        if isinstance(stack, PublicReads):
            return stack.cache
        stack = getattr(stack, "app", None)
    return None


def test_when_the_generation_cannot_be_read_nothing_is_cached(settings):
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    application = create_app(broken)
    with TestClient(application) as visitor:
        assert visitor.get("/api/gallery").status_code == 200
        assert len(_page_cache(application)) == 0


def test_the_cdn_may_keep_pages_only_as_long_as_configured(settings):
    assert public_cache_control(settings) == b"no-cache"
    cdn = settings.model_copy(update={"cdn_max_age": 30})
    assert public_cache_control(cdn) == b"public, max-age=0, s-maxage=30"
    purged = cdn.model_copy(update={"cdn_purge_url": "http://127.0.0.1:9/purge"})
    assert public_cache_control(purged) == (
        b"public, max-age=0, s-maxage=30, stale-while-revalidate=60")


def _serve_elsewhere(settings, port):
    env = {**os.environ,
           "SCRAPBOOK_ENVIRONMENT": "test", "SCRAPBOOK_DATABASE_URL": settings.database_url,
           "SCRAPBOOK_UPLOADS_DIR": str(settings.uploads_dir),
           "SCRAPBOOK_TUS_DIR": str(settings.tus_dir),
           "SCRAPBOOK_QUEUE_PATH": str(settings.queue_path),
           "SCRAPBOOK_SECRET_KEY": settings.secret_key, "SCRAPBOOK_WORKER_THREADS": "0"}
    if settings.redis_url:
        env["SCRAPBOOK_REDIS_URL"] = settings.redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "scrapbook.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stderr=subprocess.PIPE)


@pytest.mark.parametrize("shared_by", ["file", "redis"])
def test_a_withdrawal_through_one_process_is_gone_from_the_other_at_once(
        settings, shared_by):
    if shared_by == "redis":
        url = "redis://127.0.0.1:6379/13"  # a database of its own, emptied here
        redis = pytest.importorskip("redis")
        try:
            redis.Redis.from_url(url).flushdb()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis server on 127.0.0.1:6379 (`.ci/run` starts one)")
        settings = settings.model_copy(update={"redis_url": url})
    application = create_app(settings)
    make_moderator(application)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    other = _serve_elsewhere(settings, port)
    try:
        with TestClient(application) as here, httpx.Client(
                base_url=f"http://127.0.0.1:{port}", timeout=10) as there:
            deadline = time.monotonic() + 30
            while True:
                try:
                    there.get("/api/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    assert other.poll() is None, other.stderr.read().decode()
                    assert time.monotonic() < deadline, "the second process did not start"
                    time.sleep(0.2)
            moderator = sign_in(application, "mod")
            sent = submit(here, title="Here and there", tags="elsewhere-only").json()
            approve(moderator, sent["id"])
            for _ in range(3):  # both processes keep the page
                assert there.get("/api/gallery").json()["items"][0]["id"] == sent["id"]
                assert here.get("/api/gallery").json()["items"][0]["id"] == sent["id"]
                assert there.get(f"/api/gallery/{sent['id']}").status_code == 200
            etag = there.get("/api/gallery").headers["etag"]

            assert here.delete(f"/api/receipts/{sent['receipt']}").status_code == 204

            # No wait: the other process serves the change on its very next read.
            assert there.get("/api/gallery").json()["items"] == []
            assert there.get("/api/gallery", headers={"If-None-Match": etag}).status_code == 200
            assert there.get(f"/api/gallery/{sent['id']}").status_code == 404
            assert "elsewhere-only" not in there.get("/api/meta").text
            assert here.get("/api/gallery").json()["items"] == []
    finally:
        other.terminate()
        other.wait(10)
        with application.state.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
        application.state.engine.dispose()


def test_pages_are_gzipped_for_clients_that_take_it(client, moderator):
    for i in range(6):  # a page well past a packet
        approve(moderator, submit(client, title=f"Letter {i}", body="A long quiet day. " * 40)
                .json()["id"])
    plain = client.get("/api/gallery", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    packed = client.get("/api/gallery", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # httpx undoes the gzip
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.headers["etag"] != plain.headers["etag"]
    for answer, encoding in ((plain, "identity"), (packed, "gzip")):
        again = client.get("/api/gallery", headers={"Accept-Encoding": encoding,
                                                    "If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304
    refused = client.get("/api/gallery", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_without_redis_reads_still_work_and_writes_are_refused_plainly(settings):
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    application = create_app(down)
    with TestClient(application) as visitor:
        assert visitor.get("/api/gallery").json()["items"] == []
        r = submit(visitor, title="Into the void", process=False)
        assert r.status_code == 503 and r.json()["error"] == "unavailable"
        assert int(r.headers["retry-after"]) > 0
    with application.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contribution")).scalar_one() == 0
