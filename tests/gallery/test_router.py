"""The public gallery: only approved work, filters, search and keyset pages."""

from __future__ import annotations

import pytest

from tests.conftest import approve, submit
from tests.samples import plain_jpeg


def _publish(client, moderator, **fields):
    cid = submit(client, **fields).json()["id"]
    approve(moderator, cid)
    return cid


def test_only_approved_contributions_are_public(client, moderator):
    pending = submit(client).json()["id"]
    held = submit(client).json()["id"]
    v = moderator.get(f"/api/admin/contributions/{held}").json()["version"]
    moderator.post(
        f"/api/admin/contributions/{held}/decision", json={"action": "hold", "version": v}
    )
    public = _publish(client, moderator)
    assert [i["id"] for i in client.get("/api/gallery").json()["items"]] == [public]
    for hidden in (pending, held):
        r = client.get(f"/api/gallery/{hidden}")
        assert r.status_code == 404
        # the same answer as for an id that never existed: nothing revealed
        assert r.json() == client.get("/api/gallery/never-existed").json()


def test_filters_by_kind_form_region_and_tag(client, moderator):
    poem = _publish(client, moderator, form="poem", region="cornwall", tags="sea, night")
    letter = _publish(client, moderator, form="letter", region="bristol", tags="night")
    photo = submit(
        client,
        kind="image",
        form="photo",
        region="cornwall",
        files=[("p.jpg", plain_jpeg(64, 64), "image/jpeg")],
    ).json()["id"]
    approve(moderator, photo)

    def ids(**params):
        return {i["id"] for i in client.get("/api/gallery", params=params).json()["items"]}

    assert ids(kind="image") == {photo}
    assert ids(kind="text") == {poem, letter}
    assert ids(form="letter") == {letter}
    assert ids(region="cornwall") == {poem, photo}
    assert ids(tag="night") == {poem, letter}
    assert ids(tag="#Sea") == {poem}
    assert ids(region="cornwall", kind="text") == {poem}
    assert ids(tag="nothing") == set()


def test_search_covers_title_body_and_tags(client, moderator):
    a = _publish(client, moderator, title="Harbour lights", body="Boats knock together.")
    b = _publish(client, moderator, title="Bus stop", body="The harbour bus never came.")
    c = _publish(client, moderator, title="Garden", body="Weeds.", tags="allotment")
    _publish(client, moderator, title="Other", body="Nothing related.")

    def ids(q):
        return {i["id"] for i in client.get("/api/gallery", params={"q": q}).json()["items"]}

    assert ids("harbour") == {a, b}
    assert ids("harbour boats") == {a}
    assert ids("allotment") == {c}
    assert ids("zeppelin") == set()
    # Search syntax characters are just text, never an error.
    for nasty in ['"', "harbour OR", "NEAR(", "*", "a:b", "'; drop table --", "()"]:
        r = client.get("/api/gallery", params={"q": nasty})
        assert r.status_code == 200, nasty


def test_cursor_pages_walk_everything_newest_first_without_repeats(client, moderator):
    ids = [_publish(client, moderator, body=f"entry {i}") for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/gallery", params=params).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    # Newest first: the last approved comes first, though all were published the same day.
    assert seen == list(reversed(ids))


def test_item_shape(client, moderator):
    cid = _publish(
        client,
        moderator,
        region="plymouth",
        tags="tide",
        content_warning="loss",
        display_name="Gull",
        licence="cc-by-4.0",
    )
    item = client.get("/api/gallery").json()["items"][0]
    assert item["id"] == cid
    assert set(item) == {
        "id",
        "kind",
        "form",
        "title",
        "body",
        "display_name",
        "region",
        "tags",
        "content_warning",
        "transcript",
        "licence",
        "published_on",
        "media",
        "report_url",
    }
    assert item["licence"] == "cc-by-4.0" and item["content_warning"] == "loss"
    assert len(item["published_on"]) == 10  # a day, nothing finer


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"region": "mars"},
        {"kind": "sound"},
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJ4IiwieSJd"},
        {"q": "x" * 201},
    ],
)
def test_bad_gallery_parameters_are_clear_422s(client, params):
    r = client.get("/api/gallery", params=params)
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"error", "detail", "field"}
    assert body["field"] == next(iter(params))  # the parameter at fault, named for the page


def test_limit_default_and_maximum(client, moderator, settings):
    for i in range(3):
        _publish(client, moderator, body=f"n{i}")
    settings.page_default = 2
    page = client.get("/api/gallery").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert len(client.get("/api/gallery", params={"limit": 100}).json()["items"]) == 3


def test_visitors_can_report_a_published_contribution_to_moderators(client, moderator):
    cid = _publish(client, moderator, title="Harbour")
    item = client.get(f"/api/gallery/{cid}").json()
    assert item["report_url"] == f"/api/gallery/{cid}/report"
    r = client.post(item["report_url"], json={"message": "It <b>names</b> my neighbour."})
    assert r.status_code == 202 and r.json()["detail"]
    # Moderators see it: a count on the contribution, the reported filter, the audit log.
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["reports"] == 1
    reported = moderator.get(
        "/api/admin/queue", params={"status": "approved", "reported": "true"}
    ).json()["items"]
    assert [i["id"] for i in reported] == [cid] and reported[0]["reports"] == 1
    log = moderator.get("/api/admin/audit", params={"action": "reported"}).json()["items"]
    assert log[0]["actor"] == "visitor" and log[0]["reason"] == "It names my neighbour."
    assert log[0]["at"].split("T")[1].startswith("00:00:00")  # the day only
    other = _publish(client, moderator, title="Unreported")
    assert moderator.get(f"/api/admin/contributions/{other}").json()["reports"] == 0


def test_reports_are_only_for_published_work_and_need_words(client, moderator):
    pending = submit(client).json()["id"]
    r = client.post(f"/api/gallery/{pending}/report", json={"message": "x"})
    assert r.status_code == 404
    cid = _publish(client, moderator)
    for body in ({}, {"message": ""}, {"message": "x" * 4001}, {"message": "<b></b>"}):
        assert client.post(f"/api/gallery/{cid}/report", json=body).status_code == 422, body
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["reports"] == 0


def test_deciding_again_closes_the_open_reports(client, moderator):
    cid = _publish(client, moderator)
    client.post(f"/api/gallery/{cid}/report", json={"message": "First worry."})
    client.post(f"/api/gallery/{cid}/report", json={"message": "Second worry."})
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["reports"] == 2
    approve(moderator, cid)  # looked at, kept published: reports closed
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["reports"] == 0
    params = {"status": "approved", "reported": "true"}
    assert moderator.get("/api/admin/queue", params=params).json()["items"] == []
    client.post(f"/api/gallery/{cid}/report", json={"message": "A new worry."})
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["reports"] == 1
    assert [i["id"] for i in moderator.get("/api/admin/queue", params=params).json()["items"]] == [
        cid
    ]
    # The reasons stay in the audit log.
    log = moderator.get("/api/admin/audit", params={"contribution_id": cid, "action": "reported"})
    assert [e["reason"] for e in log.json()["items"]] == [
        "A new worry.",
        "Second worry.",
        "First worry.",
    ]


def test_reports_have_their_own_allowance_and_never_block_contributing(client, moderator, app):
    cid = _publish(client, moderator)
    app.state.report_limiter.limit = 2
    app.state.submission_limiter.limit = 1000
    codes = [client.post(f"/api/gallery/{cid}/report", json={"message": f"r{i}"}).status_code
             for i in range(3)]
    assert codes == [202, 202, 429]
    assert submit(client).status_code == 202


def test_pages_carry_exactly_the_public_rung_of_each_contribution(client, moderator, db,
                                                                   tmp_path, settings):
    """Pages are built from columns, not ORM rows: each item is what the public schema makes
    of the row, media, variants and tags included, whatever the kind."""
    from scrapbook.contributions.schemas import ContributionPublic
    from scrapbook.gallery.service import public_contributions
    from scrapbook.models import Contribution
    from tests import av_samples

    settings.media_base_url = "https://media.example.org"
    wav = av_samples.wav_pcm(tmp_path)
    ids = [
        _publish(client, moderator, tags="tide, kettle", region="devon", display_name="Gull"),
        _publish(client, moderator, kind="image", form="photo", title="Two pictures",
                 files=[("a.jpg", plain_jpeg(), "image/jpeg"),
                        ("b.jpg", plain_jpeg(), "image/jpeg")]),
        _publish(client, moderator, kind="audio", form="song", transcript="Hum, then rain.",
                 files=[(wav.name, wav.read_bytes(), "audio/wav")]),
    ]
    page = client.get("/api/gallery").json()["items"]
    with db() as session:
        rows = session.exec(public_contributions().where(Contribution.id.in_(ids))).all()
        expected = {c.id: ContributionPublic.of(c, settings.media_base_url).model_dump(mode="json")
                    for c in rows}
    assert {item["id"]: item for item in page} == expected
    assert [m["type"] for m in expected[ids[1]]["media"]] == ["image", "image"]
    assert expected[ids[2]]["media"][0]["variants"]["audio"].startswith(
        "https://media.example.org/media/")
    for cid in ids:
        assert client.get(f"/api/gallery/{cid}").json() == expected[cid]
