"""Public JSON reads carry an ETag and answer 304 when the client has them; every copy is
revalidated (a withdrawal must never be served from a cache), and a read that carries a
person's place is never kept at all."""

from __future__ import annotations

from tests.conftest import approve, submit


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
