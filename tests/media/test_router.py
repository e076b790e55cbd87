"""Serving media: approved to everyone with caching headers; unpublished only to moderators."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import approve, submit
from tests.samples import plain_jpeg


def _image(client):
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[("a.jpg", plain_jpeg(), "image/jpeg")],
        alt_text=["Sea wall"],
    )
    return r.json()["id"]


def test_pending_media_is_hidden_from_the_public_but_shown_to_moderators(client, moderator, app):
    cid = _image(client)
    media = moderator.get(f"/api/admin/contributions/{cid}").json()["media"][0]
    url = media["variants"]["display"]
    assert moderator.get(url).status_code == 200
    assert moderator.get(url).headers["cache-control"] == "private, no-store"
    anonymous = TestClient(app)
    r = anonymous.get(url)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_approved_media_has_type_nosniff_etag_and_long_cache(client, moderator, app):
    cid = _image(client)
    approve(moderator, cid)
    item = client.get(f"/api/gallery/{cid}").json()
    url = item["media"][0]["variants"]["display"]
    anonymous = TestClient(app)
    r = anonymous.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (
        "immutable" in r.headers["cache-control"]
        and "max-age=31536000" in r.headers["cache-control"]
    )
    etag = r.headers["etag"]
    again = anonymous.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_unknown_and_traversal_keys_are_404(client):
    for key in ("nope.webp", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", ""):
        r = client.get(f"/media/{key}")
        assert r.status_code == 404, key
