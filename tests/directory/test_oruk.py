"""The Open Referral UK API: every response validated against the shared ORUK 3.0 schemas."""

from __future__ import annotations

import math

import pytest

from scrapbook.directory.oruk import stable_id
from tests.directory.conftest import tid
from tests.directory.oruk_schemas import (
    assert_valid_page,
    errors,
    response_validator,
    schema_validator,
)

BASE = "/openreferral"


def names(body):
    return [item["name"] for item in body["contents"]]


def test_root_says_version_profile_and_openapi(client):
    body = client.get(f"{BASE}/").json()
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://") and body["openapi_url"].endswith(".json")
    assert errors(response_validator("/"), body) == []


def test_every_endpoint_validates_against_the_shared_schemas_on_the_seed(client, seeded):
    services = client.get(f"{BASE}/services", params={"per_page": 200}).json()
    assert services["total_items"] == 60 and services["size"] == 60
    assert_valid_page("/services", services)

    full = client.get(f"{BASE}/services", params={"full": "true", "per_page": 200}).json()
    assert_valid_page("/services", full)
    for item in full["contents"]:
        assert errors(schema_validator("service.json"), item) == [], item["name"]

    minimal = client.get(f"{BASE}/services", params={"minimal": "true", "per_page": 200}).json()
    assert_valid_page("/services", minimal)
    assert set(minimal["contents"][0]) == {"id", "name", "status", "last_modified"}

    for item in services["contents"]:
        one = client.get(f"{BASE}/services/{item['id']}").json()
        assert errors(response_validator("/services/{id}"), one) == [], item["name"]
        for phone in one["phones"]:
            assert errors(schema_validator("phone"), phone) == []

    taxonomies = client.get(f"{BASE}/taxonomies").json()
    assert_valid_page("/taxonomies", taxonomies)
    taxonomy = client.get(f"{BASE}/taxonomies/{taxonomies['contents'][0]['id']}").json()
    assert errors(response_validator("/taxonomies/{id}"), taxonomy) == []
    assert len(taxonomy["taxonomy_terms"]) == 12

    terms = client.get(f"{BASE}/taxonomy_terms").json()
    assert_valid_page("/taxonomy_terms", terms)
    assert terms["total_items"] == 12
    term = client.get(f"{BASE}/taxonomy_terms/{terms['contents'][0]['id']}").json()
    assert errors(response_validator("/taxonomy_terms/{id}"), term) == []

    sals = client.get(f"{BASE}/service_at_locations", params={"per_page": 200}).json()
    assert_valid_page("/service_at_locations", sals)
    assert sals["total_items"] == 14
    for item in sals["contents"]:
        one = client.get(f"{BASE}/service_at_locations/{item['id']}").json()
        # openapi.json points this path at service.json, which cannot describe a
        # service_at_location; the shared service_at_location.json does.
        assert errors(schema_validator("service_at_location.json"), one) == []
        assert errors(schema_validator("service.json"), one["service"]) == []


def test_full_service_nests_organisation_areas_schedule_phones_categories(client, seeded):
    # seed ids are UUIDv5 of the seed file's slugs: the same on every install
    samaritans = client.get(f"{BASE}/services/{stable_id('service', 'samaritans-helpline')}")
    samaritans = samaritans.json()
    assert samaritans["organization"]["name"] == "Samaritans"
    assert samaritans["phones"][0]["number"] == "116 123"
    assert samaritans["schedules"][0]["description"] == "24 hours a day, every day of the year"
    assert samaritans["service_areas"][0]["name"] == "All South West areas (national service)"
    assert {a["taxonomy_term"]["term"] for a in samaritans["attributes"]} == {
        "crisis-support",
        "mental-health",
        "loneliness-befriending",
    }
    assert samaritans["assured_date"] == "2026-11-25"
    assert samaritans["source_url"].startswith(
        ("https://samaritans.org/", "https://www.samaritans.org/")
    )
    assert "notes" not in samaritans  # provenance notes are for exports, not the public API
    # Nothing the seed leaves empty is filled in: no invented address, postcode or coordinates.
    truro = stable_id("service", "samaritans-cornwall-branch")
    place = client.get(f"{BASE}/services/{truro}").json()
    location = place["service_at_locations"][0]["location"]
    assert "latitude" not in location and location["addresses"][0]["postal_code"] == ""
    # The cited page names the town only, so the street stays empty.
    assert location["addresses"][0]["address_1"] == ""
    assert location["addresses"][0]["city"] == "Truro"


@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
def test_page_envelope_arithmetic(client, small, per_page):
    total = 5
    pages = math.ceil(total / per_page)
    seen = []
    for number in range(1, pages + 2):
        body = client.get(f"{BASE}/services", params={"page": number, "per_page": per_page}).json()
        assert_valid_page("/services", body)
        expected_size = max(0, min(per_page, total - (number - 1) * per_page))
        assert body == {
            **body,
            "total_items": total,
            "total_pages": pages,
            "page_number": number,
            "size": expected_size,
            "first_page": number == 1,
            "last_page": number >= pages,
            "empty": expected_size == 0,
        }
        seen += names(body)
    assert seen == sorted(seen) and len(set(seen)) == total


def test_empty_directory_is_an_empty_first_and_last_page(client):
    body = client.get(f"{BASE}/services").json()
    assert_valid_page("/services", body)
    assert body == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


def test_search_and_its_text_alias(client, small):
    assert names(client.get(f"{BASE}/services", params={"search": "befriend"}).json()) == [
        "Bristol Befriending"
    ]
    assert names(client.get(f"{BASE}/services", params={"text": "TRURO"}).json()) == [
        "Truro Listening"
    ]
    # organisation names are searched too; LIKE wildcards are literal
    assert len(names(client.get(f"{BASE}/services", params={"search": "beta"}).json())) == 2
    assert client.get(f"{BASE}/services", params={"search": "%"}).json()["total_items"] == 0


def test_taxonomy_term_taxonomy_and_organization_filters(client, small):
    by_term = client.get(
        f"{BASE}/services", params={"taxonomy_term_id": tid("term/crisis-support")}
    ).json()
    assert names(by_term) == ["National Line", "Truro Listening"]
    by_taxonomy = client.get(f"{BASE}/services", params={"taxonomy_id": tid("taxonomy/b")})
    assert names(by_taxonomy.json()) == ["Bristol Befriending"]
    by_org = client.get(f"{BASE}/services", params={"organization_id": tid("org/beta")}).json()
    assert names(by_org) == ["Bristol Befriending", "Closed Club"]
    assert by_org["contents"][1]["status"] == "defunct"  # the feed keeps retired services
    both = client.get(
        f"{BASE}/services",
        params={"organization_id": tid("org/alpha"), "taxonomy_term_id": tid("term/older-people")},
    )
    assert names(both.json()) == ["Exeter Friends"]
    terms = client.get(f"{BASE}/taxonomy_terms", params={"taxonomy_id": tid("taxonomy/b")})
    assert [t["term"] for t in terms.json()["contents"]] == ["other"]


def test_modified_after(client, small):
    body = client.get(f"{BASE}/services", params={"modified_after": "2026-05-31"}).json()
    assert names(body) == ["Bristol Befriending", "Truro Listening"]
    body = client.get(f"{BASE}/services", params={"modified_after": "2026-09-01T00:00:00Z"}).json()
    assert names(body) == ["Bristol Befriending"]
    bad = client.get(f"{BASE}/services", params={"modified_after": "last tuesday"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_modified_after"


def test_service_at_locations_nearest_first_within_proximity(client, small):
    exeter = {"latitude": 50.7, "longitude": -3.5}
    body = client.get(f"{BASE}/service_at_locations", params=exeter).json()
    assert_valid_page("/service_at_locations", body)
    assert [x["service"]["name"] for x in body["contents"]] == [
        "Exeter Friends",
        "Bristol Befriending",
        "Truro Listening",
    ]
    distances = [x["distance"] for x in body["contents"]]
    assert distances == sorted(distances) and distances[0] < 5_000
    near = client.get(
        f"{BASE}/service_at_locations", params={**exeter, "proximity": 120_000}
    ).json()
    assert [x["service"]["name"] for x in near["contents"]] == [
        "Exeter Friends",
        "Bristol Befriending",
    ]
    assert near["total_items"] == 2
    paged = client.get(
        f"{BASE}/service_at_locations", params={**exeter, "per_page": 1, "page": 2}
    ).json()
    assert [x["service"]["name"] for x in paged["contents"]] == ["Bristol Befriending"]
    assert paged["total_pages"] == 3
    filtered = client.get(
        f"{BASE}/service_at_locations", params={"taxonomy_term_id": tid("term/crisis-support")}
    ).json()
    assert [x["service"]["name"] for x in filtered["contents"]] == ["Truro Listening"]


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/service_at_locations", {"postcode": "EX4 4QJ"}, "postcode_unplaceable"),
        ("/service_at_locations", {"proximity": 1000}, "invalid_point"),
        ("/service_at_locations", {"latitude": 50}, "invalid_point"),
        ("/service_at_locations", {"latitude": 91, "longitude": 0}, "invalid_input"),
        ("/services", {"page": 0}, "invalid_input"),
        ("/services", {"per_page": 201}, "invalid_input"),
        ("/services", {"minimal": "true", "full": "true"}, "invalid_mode"),
        ("/services", {"minimal": "perhaps"}, "invalid_input"),
    ],
)
def test_bad_parameters_are_422_json(client, path, params, code):
    r = client.get(f"{BASE}{path}", params=params)
    assert r.status_code == 422 and r.json()["error"] == code, r.text


@pytest.mark.parametrize(
    "path", ["/services/", "/taxonomies/", "/taxonomy_terms/", "/service_at_locations/"]
)
def test_unknown_ids_are_404_json(client, path):
    r = client.get(f"{BASE}{path}{tid('missing')}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_openapi_document_describes_the_directory(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/openreferral/services",
        "/openreferral/services/{service_id}",
        "/openreferral/service_at_locations",
        "/api/services",
    } <= set(paths)
