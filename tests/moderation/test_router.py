"""Moderators' API through real HTTP: auth, CSRF, the queue, decisions, corrections, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, approve, make_moderator, sign_in, submit
from tests.samples import plain_jpeg

ANONYMOUS_OK = {("POST", "/api/admin/session")}  # signing in is the one way in


def _admin_routes(app) -> list[tuple[str, str]]:
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/admin"):
            for method in operations:
                routes.append((method.upper(), path))
    return routes


def test_every_admin_route_refuses_an_anonymous_caller(client, app):
    routes = _admin_routes(app)
    assert len(routes) >= 9  # the walk really found the moderation API
    for method, path in routes:
        if (method, path) in ANONYMOUS_OK:
            continue
        url = path.replace("{contribution_id}", "someid")
        r = client.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"] == "not_signed_in"


def test_sign_in_sets_a_strict_httponly_cookie_and_returns_csrf(app):
    make_moderator(app, "kim")
    c = TestClient(app)
    r = c.post("/api/admin/session", json={"username": "Kim", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["username"] == "kim" and len(r.json()["csrf_token"]) >= 32
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http in tests; https gets Secure
    assert c.get("/api/admin/queue").status_code == 200
    # The session survives a reload: who am I, with the CSRF token.
    assert c.get("/api/admin/session").json()["csrf_token"] == r.json()["csrf_token"]


def test_cookie_is_secure_over_https(app):
    make_moderator(app, "kim")
    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_and_unknown_user_look_the_same(app, client):
    make_moderator(app, "kim")
    a = client.post("/api/admin/session", json={"username": "kim", "password": "nope"})
    b = client.post("/api/admin/session", json={"username": "nobody", "password": "nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()
    assert "set-cookie" not in a.headers


def _slow_machine_proof(app):
    # Five password checks can take longer than the first 1 s wait on a busy machine; a long
    # first wait keeps the test about the rule, not the machine's speed.
    app.state.signin_throttle.pairs.base = 60.0


def test_failed_sign_ins_are_throttled(app, client):
    make_moderator(app, "kim")
    _slow_machine_proof(app)
    for _ in range(app.state.settings.signin_failures_max):
        assert (
            client.post(
                "/api/admin/session", json={"username": "kim", "password": "wrong"}
            ).status_code
            == 401
        )
    r = client.post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0


def test_a_guesser_elsewhere_cannot_lock_the_real_moderator_out(app):
    from fastapi.testclient import TestClient

    make_moderator(app, "kim")
    _slow_machine_proof(app)
    guesser = TestClient(app, client=("198.51.100.7", 5000))
    for _ in range(app.state.settings.signin_failures_max):
        r = guesser.post("/api/admin/session", json={"username": "kim", "password": "wrong"})
        assert r.status_code == 401
    blocked = guesser.post("/api/admin/session", json={"username": "kim", "password": "wrong"})
    assert blocked.status_code == 429
    real = TestClient(app, client=("203.0.113.20", 6000))
    r = real.post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 200, r.text


def test_a_storm_of_guesses_from_many_places_slows_sign_in_but_never_refuses_it(app):
    import time

    from fastapi.testclient import TestClient

    settings = app.state.settings
    app.state.signin_throttle.ceiling = 3
    app.state.signin_throttle.slowdown_seconds = 0.5
    make_moderator(app, "kim")
    for i in range(3):
        c = TestClient(app, client=(f"198.51.100.{i}", 5000))
        assert c.post("/api/admin/session",
                      json={"username": "kim", "password": "wrong"}).status_code == 401
    real = TestClient(app, client=("203.0.113.20", 6000))
    started = time.monotonic()
    r = real.post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 200
    assert time.monotonic() - started >= 0.5
    del settings


def test_state_changes_need_the_csrf_token(app, client):
    make_moderator(app, "kim")
    signed = sign_in(app, "kim")
    cid = submit(client).json()["id"]
    version = signed.get(f"/api/admin/contributions/{cid}").json()["version"]
    token = signed.headers.pop("X-CSRF-Token")
    r = signed.post(
        f"/api/admin/contributions/{cid}/decision", json={"action": "approve", "version": version}
    )
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    r = signed.post(
        f"/api/admin/contributions/{cid}/decision",
        json={"action": "approve", "version": version},
        headers={"X-CSRF-Token": "forged"},
    )
    assert r.status_code == 403
    r = signed.post(
        f"/api/admin/contributions/{cid}/decision",
        json={"action": "approve", "version": version},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200
    # Reads need no token.
    assert signed.get("/api/admin/queue").status_code == 200


def test_sign_out_ends_the_session(app):
    make_moderator(app, "kim")
    c = sign_in(app, "kim")
    assert c.delete("/api/admin/session").status_code == 204
    assert c.get("/api/admin/queue").status_code == 401


def test_disabled_moderator_is_refused(app, db):
    from scrapbook.moderation.auth import disable_moderator

    make_moderator(app, "kim")
    c = sign_in(app, "kim")
    with db() as session:
        disable_moderator(session, "kim")
    assert c.get("/api/admin/queue").status_code == 401
    r = TestClient(app).post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 401


def test_queue_is_oldest_first_with_risk_first(client, moderator):
    first = submit(client, body="Rain again today.").json()["id"]
    second = submit(client, body="Quiet week.").json()["id"]
    risky = submit(client, body="Some nights I want to die, honestly.").json()["id"]
    items = moderator.get("/api/admin/queue").json()["items"]
    assert [i["id"] for i in items] == [risky, first, second]
    assert items[0]["at_risk"] is True and items[1]["at_risk"] is False


def test_queue_pages_by_cursor_and_filters(client, moderator):
    ids = [
        submit(client, body=f"note {i}", region="bristol" if i % 2 else "devon").json()["id"]
        for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = moderator.get("/api/admin/queue", params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    bristol = moderator.get("/api/admin/queue", params={"region": "bristol"}).json()["items"]
    assert [i["id"] for i in bristol] == [ids[1], ids[3]]
    assert moderator.get("/api/admin/queue", params={"cursor": "!!"}).status_code == 422


def test_queue_pages_walk_from_the_at_risk_group_into_the_rest(client, moderator):
    calm = [submit(client, body=f"Quiet day {i}.").json()["id"] for i in range(2)]
    risky = [submit(client, body=f"Some nights I want to die, honestly ({i}).").json()["id"]
             for i in range(3)]
    seen, cursor = [], None
    while True:  # pages of two: the first and second end on an at-risk piece
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = moderator.get("/api/admin/queue", params=params)
        assert r.status_code == 200, r.text
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == risky + calm
    assert moderator.get("/api/admin/queue", params={"status": "nope"}).status_code == 422


def test_stale_version_is_a_409_and_nothing_is_overwritten(client, app):
    make_moderator(app, "ann")
    make_moderator(app, "bob")
    ann, bob = sign_in(app, "ann"), sign_in(app, "bob")
    cid = submit(client).json()["id"]
    loaded = ann.get(f"/api/admin/contributions/{cid}").json()["version"]
    assert bob.get(f"/api/admin/contributions/{cid}").json()["version"] == loaded
    r = ann.post(
        f"/api/admin/contributions/{cid}/decision",
        json={"action": "hold", "version": loaded, "note": "checking a name"},
    )
    assert r.status_code == 200
    r = bob.post(
        f"/api/admin/contributions/{cid}/decision", json={"action": "approve", "version": loaded}
    )
    assert r.status_code == 409 and r.json()["error"] == "version_conflict"
    r = bob.patch(f"/api/admin/contributions/{cid}", json={"version": loaded, "title": "Bob's"})
    assert r.status_code == 409
    now = ann.get(f"/api/admin/contributions/{cid}").json()
    assert now["status"] == "held" and now["title"] == "Kettle"
    assert client.get(f"/api/gallery/{cid}").status_code == 404


def test_reject_needs_a_reason_and_approve_needs_image_descriptions(client, moderator):
    cid = submit(client).json()["id"]
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    r = moderator.post(
        f"/api/admin/contributions/{cid}/decision", json={"action": "reject", "version": v}
    )
    assert r.status_code == 422 and r.json()["error"] == "reason_required"

    img = submit(
        client, kind="image", form="photo", files=[("a.jpg", plain_jpeg(), "image/jpeg")]
    ).json()["id"]
    view = moderator.get(f"/api/admin/contributions/{img}").json()
    r = moderator.post(
        f"/api/admin/contributions/{img}/decision",
        json={"action": "approve", "version": view["version"]},
    )
    assert r.status_code == 422 and r.json()["error"] == "alt_text_required"
    r = moderator.patch(
        f"/api/admin/contributions/{img}",
        json={
            "version": view["version"],
            "media": [{"id": view["media"][0]["id"], "alt_text": "A cup of tea on a sill"}],
        },
    )
    assert r.status_code == 200
    r = moderator.post(
        f"/api/admin/contributions/{img}/decision",
        json={"action": "approve", "version": r.json()["version"]},
    )
    assert r.status_code == 200
    assert (
        client.get(f"/api/gallery/{img}").json()["media"][0]["alt_text"] == "A cup of tea on a sill"
    )


def test_corrections_change_only_what_is_sent_and_reach_the_gallery(client, moderator):
    cid = submit(client, region="devon", tags="tea", content_warning="grief").json()["id"]
    approve(moderator, cid)
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    r = moderator.patch(
        f"/api/admin/contributions/{cid}",
        json={
            "version": v,
            "title": "Kettle, evening",
            "tags": ["Evening", "#tea"],
            "region": "torbay",
            "form": "note",
        },
    )
    assert r.status_code == 200, r.text
    public = client.get(f"/api/gallery/{cid}").json()
    assert public["title"] == "Kettle, evening"
    assert public["tags"] == ["evening", "tea"]
    assert public["region"] == "torbay" and public["form"] == "note"
    assert public["content_warning"] == "grief"  # not sent, not changed
    assert [
        i["id"] for i in client.get("/api/gallery", params={"q": "evening"}).json()["items"]
    ] == [cid]
    bad = moderator.patch(
        f"/api/admin/contributions/{cid}",
        json={"version": r.json()["version"], "region": "atlantis"},
    )
    assert bad.status_code == 422


def test_unpublishing_removes_from_gallery_and_search(client, moderator):
    cid = submit(client, title="Lighthouse").json()["id"]
    approve(moderator, cid)
    assert client.get("/api/gallery", params={"q": "lighthouse"}).json()["items"]
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    moderator.post(
        f"/api/admin/contributions/{cid}/decision", json={"action": "hold", "version": v}
    )
    assert client.get(f"/api/gallery/{cid}").status_code == 404
    assert client.get("/api/gallery", params={"q": "lighthouse"}).json()["items"] == []


def test_audit_log_records_who_what_when_and_why(client, moderator):
    cid = submit(client).json()["id"]
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    moderator.post(
        f"/api/admin/contributions/{cid}/decision",
        json={"action": "reject", "version": v, "public_reason": "Too identifying."},
    )
    log = moderator.get("/api/admin/audit", params={"contribution_id": cid}).json()["items"]
    assert len(log) == 1
    event = log[0]
    assert event["actor"] == "mod" and event["action"] == "rejected"
    assert event["reason"] == "Too identifying."
    assert event["changes"]["status"] == ["pending", "rejected"]
    assert event["at"]
    # Append-only: there is no route to change or delete it.
    assert moderator.delete("/api/admin/audit").status_code == 405


def test_moderator_enters_a_contribution_that_came_by_post(client, moderator):
    r = submit(
        moderator,
        url="/api/admin/contributions",
        channel="post",
        body="Written on a card, posted from Truro.",
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    detail = moderator.get(f"/api/admin/contributions/{cid}").json()
    assert detail["channel"] == "post" and detail["status"] == "pending"
    assert moderator.get("/api/admin/audit").json()["items"][0]["action"] == "entered"
    bad = submit(moderator, url="/api/admin/contributions", channel="pigeon")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_channel"


def test_unknown_contribution_is_404(moderator):
    assert moderator.get("/api/admin/contributions/nope").status_code == 404
    r = moderator.post(
        "/api/admin/contributions/nope/decision", json={"action": "approve", "version": 1}
    )
    assert r.status_code == 404 and r.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"action": "publish", "version": 1},
        {"action": "approve"},
        {"action": "approve", "version": "x"},
    ],
)
def test_malformed_decisions_are_422(client, moderator, payload):
    cid = submit(client).json()["id"]
    r = moderator.post(f"/api/admin/contributions/{cid}/decision", json=payload)
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"


def test_hostile_cursors_and_ids_are_4xx(moderator):
    from scrapbook.core import cursor

    for bad in (
        [1, "2020-01-01", 10**30],
        [1, "2020-01-01", 1.5],
        [2, "2020-01-01", 1],
        [1, "not a date", 1],
    ):
        r = moderator.get("/api/admin/queue", params={"cursor": cursor.encode(bad)})
        assert r.status_code == 422, bad
    r = moderator.get("/api/admin/audit", params={"cursor": cursor.encode([10**30])})
    assert r.status_code == 422
    assert (
        moderator.get("/api/admin/audit", params={"contribution_id": "x" * 40}).status_code == 422
    )
    assert moderator.get("/api/admin/contributions/a%00").status_code == 400
    r = moderator.post("/api/admin/session", json={"username": "a\u0000", "password": "x"})
    assert r.status_code == 422


def test_a_disabled_account_is_refused_even_with_a_live_session(app, db):
    from sqlmodel import select

    from scrapbook.models import Moderator

    make_moderator(app, "kim")
    c = sign_in(app, "kim")
    with db() as session:
        kim = session.exec(select(Moderator).where(Moderator.username == "kim")).one()
        kim.disabled = True  # the flag alone, sessions left in place
        session.add(kim)
    assert c.get("/api/admin/queue").status_code == 401


def test_parallel_wrong_passwords_cannot_pass_the_throttle(app):
    from concurrent.futures import ThreadPoolExecutor

    make_moderator(app, "kim")

    def attempt(_):
        with TestClient(app) as c:
            return c.post(
                "/api/admin/session", json={"username": "kim", "password": "wrong guess"}
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(12)))
    limit = app.state.settings.signin_failures_max
    assert codes.count(401) == limit and codes.count(429) == 12 - limit


def test_a_correct_sign_in_does_not_use_up_the_allowance(app):
    make_moderator(app, "kim")
    for _ in range(app.state.settings.signin_failures_max + 2):
        sign_in(app, "kim").close()


def test_session_cookie_is_secure_in_production(app):
    make_moderator(app, "kim")
    app.state.settings.environment = "production"
    r = TestClient(app).post("/api/admin/session", json={"username": "kim", "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower()


def test_two_moderators_deciding_at_once_one_wins_one_gets_409(client, app):
    from concurrent.futures import ThreadPoolExecutor

    make_moderator(app, "ann")
    make_moderator(app, "bob")
    clients = [sign_in(app, "ann"), sign_in(app, "bob")]
    for _ in range(3):
        cid = submit(client).json()["id"]
        version = clients[0].get(f"/api/admin/contributions/{cid}").json()["version"]

        def decide(pair, cid=cid, version=version):
            c, action = pair
            return c.post(
                f"/api/admin/contributions/{cid}/decision",
                json={"action": action, "version": version},
            ).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = sorted(pool.map(decide, zip(clients, ["approve", "hold"], strict=True)))
        assert codes == [200, 409]
        final = clients[0].get(f"/api/admin/contributions/{cid}").json()
        assert final["version"] == version + 1
        public = client.get(f"/api/gallery/{cid}").status_code
        assert (final["status"], public) in {("approved", 200), ("held", 404)}


def test_reason_and_note_limits(client, moderator):
    cid = submit(client).json()["id"]
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    url = f"/api/admin/contributions/{cid}/decision"
    r = moderator.post(url, json={"action": "reject", "version": v, "public_reason": "x" * 1001})
    assert r.status_code == 422 and r.json()["error"] == "too_long"
    r = moderator.post(url, json={"action": "hold", "version": v, "note": "x" * 4001})
    assert r.status_code == 422 and r.json()["error"] == "too_long"
    r = moderator.patch(
        f"/api/admin/contributions/{cid}", json={"version": v, "content_warning": "x" * 201}
    )
    assert r.status_code == 422 and r.json()["error"] == "too_long"
    assert moderator.get(f"/api/admin/contributions/{cid}").json()["status"] == "pending"


def test_page_sizes_follow_the_one_setting(app, moderator, client):
    # The queue, the audit log and the gallery share one rule: 1 to page_max (a setting).
    for url in ("/api/admin/queue", "/api/admin/audit"):
        r = moderator.get(url, params={"limit": app.state.settings.page_max + 1})
        assert r.status_code == 422 and r.json()["error"] == "limit_too_large", url
        assert r.json()["field"] == "limit"
        assert moderator.get(url, params={"limit": app.state.settings.page_max}).status_code == 200
    r = client.get("/api/gallery", params={"limit": app.state.settings.page_max + 1})
    assert r.json()["error"] == "limit_too_large"
