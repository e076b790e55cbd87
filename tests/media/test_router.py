"""Serving media on both storage backends (local files; S3 over real HTTP, proxied or presigned):
visibility, byte ranges, revalidation, sandboxing headers, and no exact time in any response."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from scrapbook.core.config import Settings
from scrapbook.models import MediaAsset, MediaVariant
from tests.conftest import approve, stored_files, submit
from tests.s3server import bucket_keys
from tests.samples import noisy_jpeg

SANDBOX = "default-src 'none'; sandbox"
# A clock time (12:34) anywhere in a header would date the file finer than the day.
CLOCK = re.compile(r"\d{1,2}:\d{2}")


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings on the chosen backend: "local", "s3" (proxied through the app)
    or "s3-presigned" (redirected to a signed URL)."""
    if backend == "local":
        return settings
    overrides = dict(request.getfixturevalue("s3_settings"))
    overrides["s3_serve"] = "presigned" if backend == "s3-presigned" else "proxy"
    return settings.model_copy(update=overrides)


def _submit_image(client: TestClient) -> dict[str, Any]:
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[("a.jpg", noisy_jpeg(), "image/jpeg")],
        alt_text=["Sea wall"],
    )
    assert r.status_code == 202, r.text
    return dict(r.json())


def _display_url(moderator: TestClient, cid: str) -> str:
    media = moderator.get(f"/api/admin/contributions/{cid}").json()["media"][0]
    return str(media["variants"]["display"])


def _published(client: TestClient, moderator: TestClient) -> str:
    """The display file's URL of a newly approved image contribution."""
    cid = _submit_image(client)["id"]
    approve(moderator, cid)
    item = client.get(f"/api/gallery/{cid}").json()
    return str(item["media"][0]["variants"]["display"])


def _stored_keys(settings: Settings) -> list[str]:
    if settings.storage_backend == "s3":
        return bucket_keys(settings)
    root = settings.uploads_dir
    return [p.relative_to(root).as_posix() for p in stored_files(settings)]


def _no_exact_time(r: httpx.Response) -> None:
    assert "last-modified" not in r.headers and "expires" not in r.headers
    for name, value in r.headers.items():
        assert not CLOCK.search(value), (name, value)


def test_whole_file_and_byte_ranges(client, moderator, app):
    url = _published(client, moderator)
    anonymous = TestClient(app)
    whole = anonymous.get(url)
    assert whole.status_code == 200
    data = whole.content
    size = len(data)
    assert size > 1000
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(size)

    cases = {
        "bytes=0-99": (0, 99),  # the first bytes
        "bytes=500-999": (500, 999),  # the middle
        "bytes=-100": (size - 100, size - 1),  # suffix
        "bytes=300-": (300, size - 1),  # open-ended
        f"bytes=10-{size + 5000}": (10, size - 1),  # past the end: clipped
        f"bytes={size - 1}-{size - 1}": (size - 1, size - 1),  # the last byte alone
        f"bytes=-{size * 2}": (0, size - 1),  # a suffix longer than the file
    }
    for header, (start, end) in cases.items():
        r = anonymous.get(url, headers={"Range": header})
        assert r.status_code == 206, header
        assert r.content == data[start : end + 1], header
        assert r.headers["content-range"] == f"bytes {start}-{end}/{size}", header
        assert r.headers["content-length"] == str(end - start + 1), header
        assert r.headers["content-type"] == "image/webp", header
        assert r.headers["etag"] == whole.headers["etag"], header
        _no_exact_time(r)


def test_unsatisfiable_ranges_are_416_with_the_size(client, moderator, app):
    url = _published(client, moderator)
    anonymous = TestClient(app)
    size = len(anonymous.get(url).content)
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        r = anonymous.get(url, headers={"Range": header})
        assert r.status_code == 416, header
        assert r.headers["content-range"] == f"bytes */{size}"
        assert r.json()["error"] == "range_not_satisfiable"
        _no_exact_time(r)


def test_ranges_answered_with_the_whole_file(client, moderator, app):
    """Several ranges, malformed or inverted ranges, other units and a stale If-Range: 200."""
    url = _published(client, moderator)
    anonymous = TestClient(app)
    whole = anonymous.get(url)
    etag = whole.headers["etag"]
    for headers in (
        {"Range": "bytes=0-9,20-29"},
        {"Range": "bytes=abc"},
        {"Range": "bytes=50-10"},
        {"Range": "items=0-1"},
        {"Range": "bytes=0-9", "If-Range": '"some-other-version"'},
        {"Range": "bytes=0-9", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"Range": "bytes=0-9", "If-Range": f"W/{etag}"},
    ):
        r = anonymous.get(url, headers=headers)
        assert r.status_code == 200, headers
        assert r.content == whole.content, headers
    matching = anonymous.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert matching.status_code == 206 and matching.content == whole.content[:10]


def test_audio_and_video_files_seek_with_their_exact_type(client, moderator, app, db):
    """Players seek with ranges; the type is exactly the one stored on the variant."""
    url = _published(client, moderator)
    asset_id = url.split("/")[3]
    payload = bytes(range(256)) * 400
    storage = app.state.storage
    with db() as session:
        asset = session.exec(select(MediaAsset).where(MediaAsset.id == asset_id)).one()
        for name, ext, content_type in (("audio", "m4a", "audio/mp4"),
                                        ("video", "mp4", "video/mp4")):
            key = f"{asset_id[:2]}/{asset_id}/{name}-abcdefgh.{ext}"
            storage.put(key, payload, content_type)
            session.add(MediaVariant(asset_pk=asset.pk, name=name, key=key,
                                     content_type=content_type, bytes=len(payload),
                                     etag="0123456789abcdef0123456789abcdef"))
    anonymous = TestClient(app)
    for name, ext, content_type in (("audio", "m4a", "audio/mp4"), ("video", "mp4", "video/mp4")):
        file_url = f"/media/{asset_id[:2]}/{asset_id}/{name}-abcdefgh.{ext}"
        r = anonymous.get(file_url, headers={"Range": "bytes=70000-"})
        assert r.status_code == 206
        assert r.content == payload[70000:]
        assert r.headers["content-type"] == content_type
        assert r.headers["content-range"] == f"bytes 70000-{len(payload) - 1}/{len(payload)}"
        assert r.headers["content-security-policy"] == SANDBOX
        _no_exact_time(r)


def test_headers_etag_and_no_time(client, moderator, app):
    url = _published(client, moderator)
    anonymous = TestClient(app)
    r = anonymous.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == SANDBOX
    assert "immutable" in r.headers["cache-control"]
    assert "max-age=31536000" in r.headers["cache-control"]
    _no_exact_time(r)
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = anonymous.get(url, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"", sent
        assert again.headers["etag"] == etag
        assert again.headers["content-security-policy"] == SANDBOX
        _no_exact_time(again)
    assert anonymous.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_head_gives_the_headers_only(client, moderator, app):
    url = _published(client, moderator)
    anonymous = TestClient(app)
    size = len(anonymous.get(url).content)
    r = anonymous.head(url)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(size)
    assert r.headers["content-type"] == "image/webp"
    ranged = anonymous.head(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.headers["content-range"] == f"bytes 0-9/{size}"


def test_pending_media_is_hidden_from_the_public_but_shown_to_moderators(
    client, moderator, app
):
    cid = _submit_image(client)["id"]
    url = _display_url(moderator, cid)
    seen = moderator.get(url)
    assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"
    assert seen.headers["content-security-policy"] == SANDBOX
    assert moderator.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    anonymous = TestClient(app)
    for r in (anonymous.get(url), anonymous.get(url, headers={"Range": "bytes=0-9"}),
              anonymous.head(url)):
        assert r.status_code == 404
    # Exactly what an unknown key gets: nothing tells that the file exists.
    unknown = anonymous.get(url[:-10] + "abcdefgh.webp")
    assert anonymous.get(url).json() == unknown.json()
    assert anonymous.get(url).json()["error"] == "not_found"


def test_media_of_assets_not_ready_is_not_served(client, moderator, app, db):
    url = _published(client, moderator)
    with db() as session:
        for asset in session.exec(select(MediaAsset)).all():
            asset.state = "processing"
            session.add(asset)
    assert TestClient(app).get(url).status_code == 404
    assert moderator.get(url).status_code == 404


def test_raw_uploads_are_never_served(client, moderator, app):
    """Raw uploads live under incoming/: even when the object exists, no URL reaches it."""
    storage = app.state.storage
    storage.put("incoming/abcdefghijklmnop/source", b"raw upload")
    for key in ("incoming/abcdefghijklmnop/source", "incoming/abcdefghijklmnop/source.mp4",
                "incoming%2Fabcdefghijklmnop%2Fsource"):
        assert moderator.get(f"/media/{key}").status_code == 404, key
        assert TestClient(app).get(f"/media/{key}").status_code == 404, key
    storage.delete("incoming/abcdefghijklmnop/source")


def test_withdrawn_media_is_gone_from_storage_and_urls(client, moderator, app, settings):
    posted = _submit_image(client)
    url = _display_url(moderator, posted["id"])
    assert len(_stored_keys(settings)) == 2  # thumb and display
    assert client.delete(f"/api/receipts/{posted['receipt']}").status_code == 204
    assert _stored_keys(settings) == []  # objects deleted, in either backend
    assert moderator.get(url).status_code == 404
    assert TestClient(app).get(url).status_code == 404


def test_a_file_missing_from_storage_is_404_not_500(client, moderator, app):
    url = _published(client, moderator)
    app.state.storage.delete(url.removeprefix("/media/"))
    anonymous = TestClient(app)
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(url, headers={"Range": "bytes=0-9"}).status_code == 404
    assert anonymous.head(url).status_code == 404


def test_unknown_and_traversal_keys_are_404(client):
    for key in ("nope.webp", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "",
                "ab/abcdefghijklmnop/../../../etc/passwd"):
        r = client.get(f"/media/{key}")
        assert r.status_code == 404, key


@pytest.mark.parametrize("backend", ["s3-presigned"])
def test_presigned_mode_redirects_to_a_short_lived_url(client, moderator, app, settings):
    url = _published(client, moderator)
    anonymous = TestClient(app, follow_redirects=False)
    r = anonymous.get(url)
    assert r.status_code == 307
    assert r.headers["cache-control"] == "private, no-store"
    target = r.headers["location"]
    assert target.startswith(f"{settings.s3_endpoint_url}/{settings.s3_bucket}/")
    assert "X-Amz-Expires=300" in target and "X-Amz-Signature=" in target
    assert "last-modified" not in r.headers
    # The client follows the redirect to the object store, which answers with the bytes.
    key = url.removeprefix("/media/")
    with app.state.storage.local_copy(key) as stored:
        expected = stored.read_bytes()
    followed = httpx.get(target)
    assert followed.status_code == 200
    assert followed.content == expected
    assert followed.headers["content-type"] == "image/webp"
    ranged = httpx.get(target, headers={"Range": "bytes=0-9"})  # players seek on S3 directly
    assert ranged.status_code == 206 and ranged.content == expected[:10]


@pytest.mark.parametrize("backend", ["s3-presigned"])
def test_presigned_mode_checks_visibility_first(client, moderator, app):
    cid = _submit_image(client)["id"]
    url = _display_url(moderator, cid)
    assert TestClient(app, follow_redirects=False).get(url).status_code == 404
    moderator.follow_redirects = False
    seen = moderator.get(url)
    assert seen.status_code == 307 and seen.headers["cache-control"] == "private, no-store"
    assert httpx.get(seen.headers["location"]).status_code == 200
