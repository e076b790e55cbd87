"""Contributors' API through real HTTP: intake, cleaning, bad input, receipts, withdrawal."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import approve, count_rows, stored_files, submit
from tests.samples import (
    SECRET_STRINGS,
    html_bytes,
    jpeg_with_metadata,
    pixel_flood_png,
    plain_jpeg,
    plain_png,
    png_with_text_chunks,
    svg_bytes,
    text_disguised_as_jpeg,
    truncated_jpeg,
)

POEM = "  The kettle clicks off\n\n      and nobody asks\n\tif I want one too.\n   "


def nothing_stored(app, settings) -> None:
    assert count_rows(app, "contribution") == 0
    assert count_rows(app, "media_asset") == 0
    assert stored_files(settings) == []


def test_whole_lifecycle_text_and_images(client, moderator, app, settings):
    text = submit(client, title="Kettle", body=POEM, region="devon", tags="tea, kitchen")
    image = submit(
        client,
        kind="image",
        form="photo",
        title="Window",
        body="",
        files=[("a.jpg", plain_jpeg(), "image/jpeg"), ("b.png", plain_png(), "image/png")],
        alt_text=["A rainy window", "An empty chair"],
    )
    assert text.status_code == 202 and image.status_code == 202, (text.text, image.text)
    receipts = {r.json()["id"]: r.json()["receipt"] for r in (text, image)}
    assert len(stored_files(settings)) == 4  # display + thumb for each image

    # Not visible until a moderator approves.
    assert client.get("/api/gallery").json()["items"] == []
    for cid, code in receipts.items():
        assert client.get(f"/api/gallery/{cid}").status_code == 404
        assert client.get(f"/api/receipts/{code}").json()["status"] == "pending"

    for cid in receipts:
        approve(moderator, cid)
    items = client.get("/api/gallery").json()["items"]
    assert {i["id"] for i in items} == set(receipts)
    for cid, code in receipts.items():
        status = client.get(f"/api/receipts/{code}").json()
        assert status["status"] == "approved"
        assert status["public_url"] == f"/contributions/{cid}"

    # Withdraw the image contribution: gone from gallery, receipts and disk.
    image_id = image.json()["id"]
    assert client.delete(f"/api/receipts/{receipts[image_id]}").status_code == 204
    assert client.get(f"/api/gallery/{image_id}").status_code == 404
    assert [i["id"] for i in client.get("/api/gallery").json()["items"]] == [text.json()["id"]]
    assert client.get(f"/api/receipts/{receipts[image_id]}").status_code == 404
    assert stored_files(settings) == []
    assert count_rows(app, "media_asset") == 0
    # Its search entry is erased too.
    assert client.get("/api/gallery", params={"q": "Window"}).json()["items"] == []
    log = moderator.get("/api/admin/audit").json()["items"]
    assert log[0]["action"] == "withdrawn" and log[0]["contribution_id"] == image_id


def test_receipt_is_grouped_and_strong_and_only_a_hash_is_stored(client, app):
    r = submit(client)
    body = r.json()
    code = body["receipt"]
    groups = code.split("-")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)  # 20 chars x 5 bits = 100 bits
    assert body["status_url"] == f"/api/receipts/{code}"
    with app.state.engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("SELECT * FROM contribution")).mappings().one()
    assert code not in str(dict(row)) and code.replace("-", "") not in str(dict(row))
    # Typed loosely (lower case, spaces, look-alike letters) it still works.
    loose = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert client.get(f"/api/receipts/{loose}").json()["id"] == body["id"]


def test_public_id_is_random_not_sequential(client):
    ids = [submit(client).json()["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(len(i) >= 16 and not i.isdigit() for i in ids)


def test_poem_spacing_survives_and_markup_is_stripped(client, moderator):
    body = POEM + "<b>bold</b> <script>alert(1)</script> &amp; tea"
    r = submit(client, body=body, title="<i>Kettle</i>\u200b\u202e")
    cid = r.json()["id"]
    stored = moderator.get(f"/api/admin/contributions/{cid}").json()
    assert stored["title"] == "Kettle"
    assert stored["body"].startswith(
        "  The kettle clicks off\n\n      and nobody asks\n\tif I want"
    )
    assert "<" not in stored["body"] and "bold" in stored["body"]


def test_text_is_nfc_normalised_and_invisible_characters_removed(client, moderator):
    decomposed = "Cafe\u0301 at dusk"
    r = submit(client, title=decomposed, body="alone\u200d\u2066 again\u0007")
    stored = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert stored["title"] == "Caf\u00e9 at dusk"
    assert stored["body"] == "alone again"


def test_anonymous_by_default_and_pen_name_kept(client, moderator):
    anon = submit(client).json()["id"]
    named = submit(client, display_name="  Wren  ").json()["id"]
    approve(moderator, anon)
    approve(moderator, named)
    assert client.get(f"/api/gallery/{anon}").json()["display_name"] is None
    assert client.get(f"/api/gallery/{named}").json()["display_name"] == "Wren"


def test_public_views_never_contain_private_fields(client, moderator):
    r = submit(client, contact_email="me@example.org")
    cid = r.json()["id"]
    assert (
        moderator.get(f"/api/admin/contributions/{cid}").json()["contact_email"] == "me@example.org"
    )
    approve(moderator, cid)
    public = client.get(f"/api/gallery/{cid}").json()
    for private in (
        "contact_email",
        "moderator_note",
        "receipt_hash",
        "status",
        "received_on",
        "at_risk",
        "version",
        "channel",
    ):
        assert private not in public
    # Cleared once a decision is made.
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["contact_email"] is None


def test_honeypot_answers_normally_but_stores_nothing(client, app, settings):
    r = submit(
        client,
        website="http://spam.example",
        kind="image",
        files=[("a.jpg", plain_jpeg(), "image/jpeg")],
    )
    assert r.status_code == 202
    assert r.json()["receipt"]
    nothing_stored(app, settings)
    assert client.get(r.json()["status_url"]).status_code == 404


def test_metadata_is_stripped_from_uploaded_photos(client, moderator, settings):
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[
            ("me.jpg", jpeg_with_metadata(), "image/jpeg"),
            ("t.png", png_with_text_chunks(), "image/png"),
        ],
        alt_text=["A view", "A square"],
    )
    assert r.status_code == 202, r.text
    files = stored_files(settings)
    assert len(files) == 4
    for path in files:
        data = path.read_bytes()
        for secret in SECRET_STRINGS:
            assert secret not in data, (path.name, secret)
        with Image.open(io.BytesIO(data)) as im:
            assert not im.getexif()
            assert not {"exif", "xmp", "icc_profile", "comment"} & set(im.info)
    # Client file names are never stored or shown.
    detail = moderator.get(f"/api/admin/contributions/{r.json()['id']}").text
    assert "me.jpg" not in detail and "t.png" not in detail
    assert not any("me" == p.stem for p in files)


def test_image_item_has_sizes_blurhash_and_variant_urls(client, moderator):
    r = submit(
        client,
        kind="image",
        form="painting",
        files=[("x.jpg", plain_jpeg(3000, 1500), "image/jpeg")],
        alt_text=["Blue field"],
    )
    cid = r.json()["id"]
    approve(moderator, cid)
    media = client.get(f"/api/gallery/{cid}").json()["media"][0]
    assert (media["width"], media["height"]) == (2048, 1024)
    assert media["alt_text"] == "Blue field" and media["type"] == "image"
    assert len(media["blurhash"]) >= 6
    thumb = client.get(media["variants"]["thumb"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert max(im.size) == 640


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status", "code"),
    [
        ("photo.jpg", text_disguised_as_jpeg(), "image/jpeg", 415, "unsupported_type"),
        ("drawing.svg", svg_bytes(), "image/svg+xml", 415, "unsupported_type"),
        ("page.jpg", html_bytes(), "image/jpeg", 415, "unsupported_type"),
        ("flood.png", pixel_flood_png(), "image/png", 413, "too_many_pixels"),
        ("empty.jpg", b"", "image/jpeg", 422, "empty_file"),
    ],
)
def test_bad_images_are_refused_and_nothing_is_stored(
    client, app, settings, name, data, content_type, status, code
):
    # A good image first in the same submission: it must not be kept either.
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[("ok.jpg", plain_jpeg(), "image/jpeg"), (name, data, content_type)],
    )
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert r.json()["detail"]
    nothing_stored(app, settings)


def test_a_cut_image_passes_its_header_check_then_fails_and_nothing_is_kept(
    client, moderator, app, settings
):
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[("ok.jpg", plain_jpeg(), "image/jpeg"), ("cut.jpg", truncated_jpeg(), "image/jpeg")],
    )
    assert r.status_code == 202, r.text  # its header is sound: found only while decoding
    status = client.get(r.json()["status_url"]).json()
    assert status["status"] == "failed" and "sorry" in status["public_reason"].lower()
    view = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert view["failure_reason"] == "The image is damaged or incomplete and cannot be read."
    assert stored_files(settings) == []  # the good image's files go too
    assert count_rows(app, "media_variant") == 0


def test_oversized_file_is_refused_while_streaming(app, settings, client):
    settings.image_bytes_max = 50_000
    big = plain_jpeg(2000, 2000)
    assert len(big) > 50_000
    r = submit(client, kind="image", form="photo", files=[("big.jpg", big, "image/jpeg")])
    assert r.status_code == 413
    assert r.json()["error"] == "file_too_large"
    nothing_stored(app, settings)


def test_too_many_images(client, app, settings):
    files = [(f"{i}.jpg", plain_jpeg(32, 32), "image/jpeg") for i in range(7)]
    r = submit(client, kind="image", form="photo", files=files)
    assert r.status_code == 422 and r.json()["error"]
    nothing_stored(app, settings)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"consent": None}, "consent_required"),
        ({"consent": "false"}, "consent_required"),
        ({"title": "x" * 201}, "too_long"),
        ({"body": "x" * 20_001}, "too_long"),
        ({"display_name": "x" * 81}, "too_long"),
        ({"content_warning": "x" * 201}, "too_long"),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "too_many_tags"),
        ({"tags": "x" * 41}, "too_long"),
        ({"body": "   "}, "body_required"),
        ({"body": "nul \x00 byte"}, "invalid_text"),
        ({"kind": "sculpture"}, "invalid_input"),
        ({"form": "limerick"}, "invalid_input"),
        ({"region": "narnia"}, "invalid_input"),
        ({"licence": "cc0"}, "invalid_input"),
        ({"contact_email": "not-an-email"}, "invalid_input"),
        ({"kind": "image"}, "files_required"),
    ],
)
def test_invalid_fields_are_refused_with_a_clear_error(client, app, settings, fields, code):
    r = submit(client, **fields)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == code
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    nothing_stored(app, settings)


def test_text_with_files_is_refused(client, app, settings):
    r = submit(client, files=[("a.jpg", plain_jpeg(), "image/jpeg")])
    assert r.status_code == 422 and r.json()["error"] == "unexpected_files"
    nothing_stored(app, settings)


def test_invalid_utf8_is_refused(client, app, settings):
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntext\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="form"\r\n\r\npoem\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="consent"\r\n\r\ntrue\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\n'
        ).encode()
        + b"caf\xe9 \xff\xfe\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    r = client.post(
        "/api/contributions",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_text"
    nothing_stored(app, settings)


def test_json_or_garbage_bodies_get_clear_errors(client, app, settings):
    r = client.post("/api/contributions", json={"kind": "text"})
    assert r.status_code == 415 and r.json()["error"] == "unsupported_content_type"
    r = client.post(
        "/api/contributions",
        content=b"--x\r\ngarbage",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert 400 <= r.status_code < 500 and "error" in r.json()
    nothing_stored(app, settings)


def test_request_larger_than_the_hard_cap_is_refused(client, settings, app):
    settings.image_bytes_max = 10_000
    settings.images_max = 1
    payload = b"x" * (settings.request_bytes_max + 10)
    r = client.post(
        "/api/contributions",
        content=payload,
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    nothing_stored(app, settings)


def test_submissions_are_rate_limited_per_client(client, settings, app):
    app.state.submission_limiter.limit = 2
    assert submit(client).status_code == 202
    assert submit(client).status_code == 202
    r = submit(client)
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited" and int(r.headers["Retry-After"]) > 0
    assert count_rows(app, "contribution") == 2


def test_unknown_receipt_is_404_and_malformed_is_404(client):
    assert client.get("/api/receipts/AAAA-BBBB-CCCC-DDDD-EEEE").status_code == 404
    r = client.get("/api/receipts/nonsense")
    assert r.status_code == 404 and r.json()["error"] == "receipt_not_found"
    assert client.delete("/api/receipts/nonsense").status_code == 404


def test_rejected_receipt_shows_the_kind_reason(client, moderator):
    r = submit(client)
    cid, code = r.json()["id"], r.json()["receipt"]
    version = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    moderator.post(
        f"/api/admin/contributions/{cid}/decision",
        json={
            "action": "reject",
            "version": version,
            "public_reason": "Thank you; it names a real person, so we can't share it.",
            "note": "names a neighbour",
        },
    )
    status = client.get(f"/api/receipts/{code}").json()
    assert status["status"] == "rejected"
    assert status["public_reason"].startswith("Thank you")
    assert "note" not in status and "neighbour" not in str(status)
    assert status["public_url"] is None


def test_blank_optional_fields_are_treated_as_not_sent(client, moderator):
    r = submit(
        client,
        region="",
        licence="",
        display_name="",
        content_warning="",
        contact_email="",
        website="",
    )
    assert r.status_code == 202, r.text
    stored = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert stored["licence"] == "all-rights-reserved" and stored["region"] is None
    assert stored["display_name"] is None and stored["contact_email"] is None


def test_checkbox_consent_value_on_is_accepted(client):
    assert submit(client, consent="on").status_code == 202


def test_hostile_markup_in_many_tag_fields_is_refused_quickly(client, app, settings):
    hostile = "<a " + "b " * 5_000 + ">"
    r = submit(client, tags=[hostile] * 11)
    assert r.status_code == 422 and r.json()["error"] == "too_many_tags"
    r = submit(client, tags=[hostile])
    assert r.status_code == 422 and r.json()["error"] == "too_long"
    nothing_stored(app, settings)


def test_chunked_upload_without_length_is_capped_while_streaming(client, settings, app):
    settings.image_bytes_max = settings.audio_bytes_max = settings.video_bytes_max = 10_000
    settings.images_max = 1
    sent = 0

    def body():
        nonlocal sent
        for _ in range(200):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)

    r = client.post(
        "/api/contributions",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    nothing_stored(app, settings)


def test_mistakes_do_not_use_up_the_allowance_and_parallel_ones_cannot_pass_it(app, settings):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    app.state.submission_limiter.limit = 3
    settings.receives_per_client = 100  # all eight are read at once
    for _ in range(5):  # five mistakes: each refused, none counted as a contribution
        assert submit(TestClient(app), title="x" * 500).status_code == 422

    def attempt(_):
        with TestClient(app) as c:
            return submit(c).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert sorted(codes) == [202, 202, 202] + [429] * 5
    assert count_rows(app, "contribution") == 3


def test_attempts_have_a_generous_allowance_of_their_own(app, client):
    app.state.attempt_limiter.limit = 4
    codes = [submit(client, consent=None).status_code for _ in range(5)]
    assert codes == [422] * 4 + [429]
    assert submit(client).status_code == 429  # attempts are attempts, right or wrong


def test_receipt_look_ups_and_withdrawals_are_limited_per_client(app, client):
    app.state.receipt_limiter.limit = 3
    code = submit(client).json()["receipt"]
    assert [client.get(f"/api/receipts/{code}").status_code for _ in range(3)] == [200] * 3
    r = client.delete(f"/api/receipts/{code}")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    elsewhere = TestClient(app, client=("203.0.113.9", 4000))
    assert elsewhere.get(f"/api/receipts/{code}").status_code == 200


def test_when_every_intake_slot_is_busy_the_answer_is_a_clear_503(client, app, settings):
    import asyncio

    app.state.intake_slots = asyncio.Semaphore(0)
    settings.intake_wait_seconds = 0.05
    r = submit(client)
    assert r.status_code == 503 and r.json()["error"] == "busy"
    assert r.headers["Retry-After"] == "60"
    nothing_stored(app, settings)


@pytest.mark.parametrize(
    "url", ["/api/gallery?tag=%00", "/api/gallery/a%00b", "/media/a%00b", "/api/receipts/%00"]
)
def test_nul_in_an_address_is_a_400_not_a_500(client, url):
    r = client.get(url)
    assert r.status_code == 400 and r.json()["error"] == "invalid_input"


def test_receipts_carry_helplines_and_a_word_of_care_when_it_sounds_hard(client):
    calm = submit(client, body="The garden was quiet today.").json()
    numbers = " ".join(str(h) for h in calm["support"]["helplines"])
    for number in ("116 123", "85258", "111"):
        assert number in numbers
    assert "not a crisis service" in calm["support"]["message"]
    assert "sounds very hard" not in calm["support"]["message"]

    hard = submit(client, body="Most nights I want to die.").json()
    assert "sounds very hard" in hard["support"]["message"]
    status = client.get(hard["status_url"]).json()
    assert "sounds very hard" in status["support"]["message"]
    assert status["support"]["helplines"] == hard["support"]["helplines"]


def test_the_honeypot_answer_has_the_same_shape_as_a_real_one(client):
    real = submit(client).json()
    decoy = submit(client, website="x").json()
    assert set(decoy) == set(real) and set(decoy["support"]) == set(real["support"])


def test_image_description_limit(client, app, settings):
    r = submit(
        client,
        kind="image",
        form="photo",
        files=[("a.jpg", plain_jpeg(64, 64), "image/jpeg")],
        alt_text=["x" * 1001],
    )
    assert r.status_code == 422 and r.json()["error"] == "too_long"
    nothing_stored(app, settings)
