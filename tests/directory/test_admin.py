"""Administrators create, edit, review and retire directory entries; every step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from scrapbook.models import AuditEvent
from tests.conftest import make_moderator, sign_in
from tests.directory.conftest import tid

BASE = "/api/admin/directory"


@pytest.fixture
def admin(app, small):
    make_moderator(app, "boss", role="admin")
    with sign_in(app, "boss") as c:
        yield c


def audit(db):
    with db() as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.pk)).all()
        return [(e.action, e.actor, e.entity, e.entity_id, e.reason) for e in rows]


def test_only_administrators_may_manage_the_directory(client, moderator, small):
    body = {"name": "New Org"}
    assert client.post(f"{BASE}/organizations", json=body).status_code == 401
    r = moderator.post(f"{BASE}/organizations", json=body)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_create_organisation_and_service_then_it_is_listed(admin, client, db):
    org = admin.post(
        f"{BASE}/organizations",
        json={
            "name": "Kernow Friends",
            "description": "Befriending in <i>Cornwall</i>.",
            "website": "https://kernow.example.org",
            "source_url": "https://kernow.example.org/about",
        },
    )
    assert org.status_code == 201, org.text
    org = org.json()
    assert org["description"] == "Befriending in Cornwall."  # markup stripped
    svc = admin.post(
        f"{BASE}/services",
        json={
            "organization_id": org["id"],
            "name": "Kernow phone friends",
            "description": "Weekly calls.",
            "source_url": "https://kernow.example.org/calls",
            "categories": ["loneliness-befriending"],
            "areas_served": ["cornwall"],
            "phones": [{"number": "01872 222222", "description": "Office"}],
            "schedule_description": "Weekdays",
            "locations": [
                {
                    "name": "Kernow hall",
                    "address_1": "2 Quay Street",
                    "city": "Truro",
                    "latitude": 50.26,
                    "longitude": -5.05,
                }
            ],
        },
    )
    assert svc.status_code == 201, svc.text
    svc = svc.json()
    assert svc["status"] == "active" and svc["assured_date"] == dt.date.today().isoformat()
    listed = client.get(
        "/api/services", params={"region": "cornwall", "category": "loneliness-befriending"}
    ).json()
    card = next(x for x in listed["items"] if x["id"] == svc["id"])
    assert card["phones"][0]["number"] == "01872 222222"
    assert card["addresses"][0]["city"] == "Truro" and card["opening_hours"] == ["Weekdays"]
    assert [a[:3] for a in audit(db)] == [
        ("directory_create", "boss", "organization"),
        ("directory_create", "boss", "service"),
    ]


def test_edit_review_and_retire_a_service(admin, client, db):
    sid = tid("service/truro")
    r = admin.patch(
        f"{BASE}/services/{sid}",
        json={"name": "Truro Listeners", "areas_served": ["cornwall", "isles-of-scilly"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Truro Listeners"
    assert {a["name"] for a in r.json()["service_areas"]} == {"Cornwall", "Isles of Scilly"}
    scilly = client.get("/api/services", params={"region": "isles-of-scilly"}).json()
    assert "Truro Listeners" in [x["name"] for x in scilly["items"]]

    r = admin.post(f"{BASE}/services/{sid}/review", json={"note": "Checked by phone."})
    assert r.json()["assured_date"] == dt.date.today().isoformat()

    r = admin.post(f"{BASE}/services/{sid}/retire", json={"reason": "Closed in 2026."})
    assert r.status_code == 200 and r.json()["status"] == "defunct"
    assert client.get(f"/api/services/{sid}").status_code == 404
    assert client.get(f"/openreferral/services/{sid}").json()["status"] == "defunct"

    events = audit(db)
    assert [e[0] for e in events] == ["directory_edit", "directory_review", "directory_retire"]
    assert events[2][4] == "Closed in 2026." and events[1][4] == "Checked by phone."
    with db() as session:
        edit = session.exec(select(AuditEvent).where(AuditEvent.action == "directory_edit")).one()
        assert edit.changes["fields"]["name"] == ["Truro Listening", "Truro Listeners"]


def test_retiring_an_organisation_retires_its_services(admin, client, db):
    r = admin.post(
        f"{BASE}/organizations/{tid('org/alpha')}/retire",
        json={"reason": "Charity wound up.", "status": "inactive"},
    )
    assert r.status_code == 200
    remaining = [x["name"] for x in client.get("/api/services").json()["items"]]
    assert remaining == ["Bristol Befriending"]
    assert audit(db)[0][:3] == ("directory_retire", "boss", "organization")


BAD_REQUESTS = [
    (
        "post",
        "/services",
        {"organization_id": "nope", "name": "X", "source_url": "https://x.example.org"},
        404,
        "not_found",
    ),
    ("post", "/services", {"organization_id": "x", "name": "X"}, 422, "invalid_input"),
    ("patch", "/services/{truro}", {"categories": ["made-up"]}, 422, "unknown_category"),
    ("patch", "/services/{truro}", {"areas_served": ["mars"]}, 422, "unknown_region"),
    ("patch", "/services/{truro}", {"email": "nope"}, 422, "invalid_input"),
    ("patch", "/services/{truro}", {"status": "open"}, 422, "invalid_input"),
    ("patch", "/services/{truro}", {"name": None}, 422, "missing_name"),
    ("patch", "/services/{truro}", {"surprise": 1}, 422, "invalid_input"),
    ("patch", "/services/{missing}", {"name": "X"}, 404, "not_found"),
    ("patch", "/organizations/{missing}", {"name": "X"}, 404, "not_found"),
    ("patch", "/organizations/{alpha}", {"name": None}, 422, "missing_name"),
    ("patch", "/organizations/{alpha}", {"name": "  "}, 422, "missing_name"),
    ("patch", "/organizations/{alpha}", {"source_url": None}, 422, "missing_source"),
    ("post", "/services/{truro}/retire", {}, 422, "invalid_input"),
]


def test_bad_admin_requests_are_4xx_json_and_change_nothing(admin, client, db):
    before = client.get(f"/openreferral/services/{tid('service/truro')}").json()
    for method, path, body, status, code in BAD_REQUESTS:
        url = BASE + path.format(
            truro=tid("service/truro"), missing=tid("missing"), alpha=tid("org/alpha")
        )
        r = getattr(admin, method)(url, json=body)
        assert r.status_code == status and r.json()["error"] == code, (path, body, r.text)
    assert audit(db) == []
    assert client.get(f"/openreferral/services/{tid('service/truro')}").json() == before


def test_clearing_an_organisation_description_keeps_it_valid(admin, client):
    r = admin.patch(f"{BASE}/organizations/{tid('org/alpha')}", json={"description": None})
    assert r.status_code == 200, r.text
    org = client.get(f"/openreferral/services/{tid('service/truro')}").json()["organization"]
    assert org["description"] == ""


def test_a_kept_page_never_outlives_a_directory_change(admin, client):
    sid = tid("service/truro")
    for _ in range(2):  # kept by the page cache, with its ETag
        listed = client.get("/api/services")
        assert client.get(f"/api/services/{sid}").status_code == 200
        oruk = client.get(f"/openreferral/services/{sid}").json()
    assert oruk["status"] == "active"
    r = admin.patch(f"{BASE}/services/{sid}", json={"name": "Truro friends, renamed"})
    assert r.status_code == 200, r.text
    assert client.get(f"/api/services/{sid}").json()["name"] == "Truro friends, renamed"
    assert client.get("/api/services", headers={"If-None-Match": listed.headers["etag"]}) \
        .status_code == 200
    retired = admin.post(f"{BASE}/services/{sid}/retire", json={"reason": "Closed."})
    assert retired.status_code == 200
    assert client.get(f"/api/services/{sid}").status_code == 404
    assert client.get(f"/openreferral/services/{sid}").json()["status"] == "defunct"
