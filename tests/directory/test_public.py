"""The website's directory API (/api/services) and the site's helplines."""

from __future__ import annotations

import pytest

from scrapbook.directory.oruk import AREAS, stable_id
from tests.directory.conftest import tid


def names(body):
    return [item["name"] for item in body["items"]]


def test_seed_serves_every_south_west_area_with_a_local_entry(client, seeded):
    for code in AREAS:
        body = client.get("/api/services", params={"region": code, "limit": 100}).json()
        local = [x for x in body["items"] if not x["national"]]
        assert local, f"no local service for {code}"
        assert all(code in {a["code"] for a in x["areas_served"]} for x in body["items"])
        assert all(x["source_url"] and x["last_reviewed"] for x in body["items"])


def test_service_card_has_what_the_support_page_shows(client, seeded):
    card = client.get(f"/api/services/{stable_id('service', 'nhs-111-mental-health-option')}")
    card = card.json()
    assert card["organisation"]["name"] == "NHS 111"
    assert card["phones"] == [
        {
            "number": "111",
            "type": "voice",
            "description": "Call and select the mental health option",
        }
    ]
    assert card["opening_hours"] == ["24 hours a day, 7 days a week"]
    assert card["national"] and len(card["areas_served"]) == 15
    assert card["accessibility"] and "interpreter" in card["accessibility"][0]
    assert card["url"] == "https://111.nhs.uk" and card["last_reviewed"] == "2026-11-25"
    assert {c["code"] for c in card["categories"]} == {"crisis-support", "mental-health"}
    assert card["report_url"].endswith(f"/{card['id']}/report")
    shout = client.get(f"/api/services/{stable_id('service', 'shout-text')}").json()
    assert shout["phones"][0]["type"] == "text"


def test_region_category_and_q_filters_show_active_services_only(client, small):
    devon = client.get("/api/services", params={"region": "devon"}).json()
    assert names(devon) == ["Exeter Friends", "National Line"]  # not the defunct Closed Club
    crisis = client.get("/api/services", params={"category": "crisis-support"}).json()
    assert names(crisis) == ["National Line", "Truro Listening"]
    both = client.get(
        "/api/services", params={"region": "bristol", "category": "loneliness-befriending"}
    ).json()
    assert names(both) == ["Bristol Befriending"]
    assert names(client.get("/api/services", params={"q": "listening"}).json()) == [
        "Truro Listening"
    ]
    unknown = client.get("/api/services", params={"category": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_category"
    cats = client.get("/api/services/categories").json()
    assert {"code": "crisis-support", "name": "crisis support"} in cats


def test_near_orders_by_distance_then_unplaced_services_by_name(client, small):
    body = client.get("/api/services", params={"near": "50.2632,-5.0510"}).json()
    assert names(body) == [
        "Truro Listening",
        "Exeter Friends",
        "Bristol Befriending",
        "National Line",
    ]
    distances = [x["distance_km"] for x in body["items"]]
    assert distances[0] < 2 and distances[0] < distances[1] < distances[2]
    assert distances[3] is None
    # about 120 km from Truro to Exeter, as the crow flies
    assert 110 < distances[1] < 130


def test_cursor_pages_through_without_repeats(client, small):
    for params in ({}, {"near": "51.45,-2.59"}):
        seen, cursor = [], None
        while True:
            body = client.get(
                "/api/services",
                params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})},
            )
            body = body.json()
            seen += names(body)
            cursor = body["next_cursor"]
            if not cursor:
                break
        everything = names(client.get("/api/services", params=params).json())
        assert seen == everything and len(everything) == 4


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"postcode": "TR1 2AB"}, "postcode_unplaceable"),
        ({"near": "somewhere"}, "invalid_near"),
        ({"near": "91,0"}, "invalid_near"),
        ({"region": "mars"}, "unknown_region"),
        ({"cursor": "!!!"}, "invalid_cursor"),
        ({"limit": 0}, "invalid_input"),
    ],
)
def test_bad_queries_are_clear_422s(client, params, code):
    r = client.get("/api/services", params=params)
    assert r.status_code == 422 and r.json()["error"] == code, r.text


def test_retired_or_unknown_service_is_404(client, small):
    for service_id in (tid("service/closed"), tid("nothing"), "not-a-uuid"):
        r = client.get(f"/api/services/{service_id}")
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_report_out_of_date_is_recorded_for_administrators(client, small, app):
    from tests.conftest import count_rows

    r = client.post(
        f"/api/services/{tid('service/truro')}/report",
        json={"message": "The phone number has <b>changed</b>."},
    )
    assert r.status_code == 202 and r.json()["received"] is True
    assert count_rows(app, "audit_event") == 1
    with app.state.engine.connect() as conn:
        from sqlalchemy import text

        at = conn.execute(text("SELECT at FROM audit_event")).scalar_one()
    assert str(at)[11:19] in ("", "00:00:00")  # a visitor's report keeps the day only
    assert client.post(f"/api/services/{tid('x')}/report", json={"message": "x"}).status_code == 404
    assert (
        client.post(
            f"/api/services/{tid('service/truro')}/report", json={"message": ""}
        ).status_code
        == 422
    )


def test_meta_helplines_come_from_the_directory(client, db, small):
    helplines = client.get("/api/meta").json()["helplines"]
    # the small directory has one national crisis line: it replaces the seed's
    assert helplines == [
        {
            "name": "Alpha Trust",
            "service_id": tid("service/national"),
            "how": "Call 0800 000 000. Every day",
            "phone": "0800 000 000",
            "text": None,
            "url": None,
            "hours": "Every day",
        }
    ]


def test_meta_helplines_from_the_loaded_seed_and_before_it_is_loaded(client, db):
    before = client.get("/api/meta").json()["helplines"]
    with db() as session:
        from scrapbook.directory.seed import load_seed

        load_seed(session)
    after = client.get("/api/meta").json()["helplines"]
    assert before == after
    by_name = {h["name"]: h for h in after}
    assert by_name["Samaritans"]["phone"] == "116 123"
    assert by_name["Shout 85258"]["text"] == "85258" and by_name["Shout 85258"]["phone"] is None
    assert by_name["NHS 111"]["phone"] == "111"


def test_helplines_for_anyone_come_first(client, seeded):
    names = [h["name"] for h in client.get("/api/meta").json()["helplines"]]
    assert names[:3] == ["Samaritans", "Shout 85258", "NHS 111"], names


def test_unknown_category_is_a_422_and_any_located_is_reported(client, seeded):
    r = client.get("/api/services", params={"category": "made-up"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_category"
    page = client.get("/api/services").json()
    assert page["any_located"] is False  # the seed has no sourced coordinates
