"""Hostile text in directory administration and ORUK queries: a clear 422, never a 500,
and nothing stored that PostgreSQL could not store or that hides characters."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scrapbook.directory.transfer import ImportRefused, import_document
from scrapbook.models import Service
from tests.conftest import make_moderator, sign_in
from tests.directory.conftest import small_document, tid

BASE = "/api/admin/directory"
SOURCE = "https://kernow.example.org/about"


@pytest.fixture
def admin(app, small):
    make_moderator(app, "boss", role="admin")
    with sign_in(app, "boss") as c:
        yield c


def refused(r):
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) >= {"error", "detail"} and body["detail"]
    return body


def new_service(admin, **fields):
    body = {
        "organization_id": tid("org/alpha"),
        "name": "Kernow phone friends",
        "source_url": SOURCE,
        **fields,
    }
    return admin.post(f"{BASE}/services", json=body)


@pytest.mark.parametrize("name", ["\x85", "\u200b\u200d", "\u200b \u2060", "<b></b>"])
def test_a_service_name_empty_after_cleaning_is_refused(admin, name):
    assert refused(new_service(admin, name=name))["error"] == "missing_name"
    sid = new_service(admin).json()["id"]
    assert refused(admin.patch(f"{BASE}/services/{sid}", json={"name": name}))["error"] == (
        "missing_name"
    )
    refused(admin.patch(f"{BASE}/services/{sid}", json={"phones": [{"number": "\u200b\x85"}]}))
    assert admin.get(f"/openreferral/services/{sid}").json()["name"] == "Kernow phone friends"


def test_an_organisation_name_empty_after_cleaning_is_refused(admin):
    refused(admin.post(f"{BASE}/organizations", json={"name": "\x9f", "source_url": SOURCE}))
    org = tid("org/alpha")
    refused(admin.patch(f"{BASE}/organizations/{org}", json={"name": "\u200b\ufeff"}))


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Kernow\x00friends"},
        {"description": "Weekly\x00calls"},
        {"notes": "From the leaflet\x00"},
        {"url": "https://kernow.example.org/x\x00y"},
        {"source_url": "https://kernow.example.org/\x00"},
        {"schedule_description": "Weekdays\x00"},
        {"phones": [{"number": "01872\x00222222"}]},
        {"phones": [{"number": "01872 222222", "description": "Office\x00"}]},
        {"locations": [{"name": "Hall\x00", "city": "Truro"}]},
        {"locations": [{"address_1": "2 Quay St\x00", "city": "Truro"}]},
        {"locations": [{"city": "Truro", "accessibility": "Ramp\x00"}]},
        {"categories": ["loneliness\x00"]},
        {"areas_served": ["cornwall\x00"]},
    ],
)
def test_nul_in_any_service_field_is_refused_and_nothing_is_stored(admin, client, fields):
    refused(new_service(admin, **fields))
    sid = new_service(admin, name="Plain entry").json()["id"]
    refused(admin.patch(f"{BASE}/services/{sid}", json=fields))
    got = admin.get(f"/openreferral/services/{sid}").json()
    assert got["name"] == "Plain entry" and "\x00" not in str(got)
    listed = client.get("/openreferral/services", params={"per_page": 100}).json()
    assert "Kernow phone friends" not in [s["name"] for s in listed["contents"]]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "New\x00Org"},
        {"description": "About\x00"},
        {"notes": "Seen\x00"},
        {"website": "https://kernow.example.org/\x00"},
    ],
)
def test_nul_in_any_organisation_field_is_refused(admin, fields):
    refused(admin.post(f"{BASE}/organizations", json={"name": "Org", "source_url": SOURCE,
                                                      **fields}))
    refused(admin.patch(f"{BASE}/organizations/{tid('org/alpha')}", json=fields))


def test_nul_in_review_and_retire_is_refused(admin):
    sid = new_service(admin).json()["id"]
    refused(admin.post(f"{BASE}/services/{sid}/review", json={"note": "ok\x00"}))
    refused(admin.post(f"{BASE}/services/{sid}/review", json={"source_url": SOURCE + "\x00"}))
    refused(admin.post(f"{BASE}/services/{sid}/retire", json={"reason": "gone\x00"}))
    refused(admin.post(f"{BASE}/services/{sid}/retire", json={"reason": "\u200b\x85"}))
    refused(admin.post(f"{BASE}/organizations/{tid('org/alpha')}/retire",
                       json={"reason": "\u2060"}))


def test_directory_text_is_cleaned_like_contributions(admin, db):
    r = new_service(
        admin,
        name="Kernow\u200b phone\x85 friends",
        notes="From <b>the</b> leaflet\x07",
        schedule_description="Week\u202edays",
        phones=[{"number": "01872\u200b 222222", "description": "<i>Office</i>"}],
        locations=[{"name": "Hall\x9f", "address_1": "2 Quay\u200d Street", "city": "Truro",
                    "accessibility": "Ramp<script>x</script>"}],
    )
    assert r.status_code == 201, r.text
    svc = r.json()
    assert svc["name"] == "Kernow phone friends"
    assert svc["phones"][0] == {**svc["phones"][0], "number": "01872 222222",
                                "description": "Office"}
    assert svc["schedules"][0]["description"] == "Weekdays"
    location = svc["service_at_locations"][0]["location"]
    assert location["name"] == "Hall"
    assert location["addresses"][0]["address_1"] == "2 Quay Street"
    assert location["accessibility"][0]["description"] == "Rampx"
    with db() as session:
        assert session.get(Service, svc["id"]).notes == "From the leaflet"


@pytest.mark.parametrize("email", ["a@b.cc?subject=hi&body=x", "mailto:a@b.cc", "a@b", "a b@c.cc"])
def test_directory_email_must_be_a_plain_address(admin, email):
    refused(new_service(admin, email=email))
    refused(admin.patch(f"{BASE}/organizations/{tid('org/alpha')}", json={"email": email}))


def test_directory_email_is_kept_as_the_validator_normalises_it(admin):
    r = new_service(admin, email="Help@Kernow.Example.ORG")
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "Help@kernow.example.org"


@pytest.mark.parametrize(
    "value, expected",
    [("0001-01-01T00:00:00+14:00", "all"), ("9999-12-31T23:59:59-14:00", "none")],
)
def test_modified_after_at_the_ends_of_the_calendar(client, small, value, expected):
    everything = client.get("/openreferral/services").json()["total_items"]
    for path in ("/openreferral/services", "/openreferral/service_at_locations"):
        r = client.get(path, params={"modified_after": value})
        assert r.status_code == 200, r.text
        if path == "/openreferral/services":
            assert r.json()["total_items"] == (everything if expected == "all" else 0)


def test_an_import_with_text_that_cannot_be_stored_is_refused_whole(app, db):
    doc = small_document()
    doc["organizations"][0]["services"][0]["description"] = "Weekly\x00calls"
    doc["organizations"][1]["name"] = "Beta\ud800"
    with pytest.raises(ImportRefused) as refused_import, db() as session:
        import_document(session, doc)
    assert refused_import.value.errors == [
        "organizations[0].services[0].description: contains a NUL byte or a lone surrogate, "
        "which text cannot hold",
        "organizations[1].name: contains a NUL byte or a lone surrogate, which text cannot hold",
    ]
    with db() as session:
        assert session.exec(select(Service)).first() is None
