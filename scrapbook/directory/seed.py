"""The sourced seed directory shipped with the package, as an ORUK document, loaded on first run.

`seed/directory.json` is the researched source: readable slugs, every entry with its source URL
and review date, and empty wherever a detail could not be sourced. This module only reshapes
it into ORUK (ids are UUIDv5 of the slugs, so every install gets the same ids and loading it
again updates rather than duplicates); it never adds a fact the file does not hold.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from scrapbook.directory import oruk
from scrapbook.directory import schemas as s
from scrapbook.directory.service import CRISIS_CATEGORY, helpline, helpline_rank
from scrapbook.directory.transfer import ImportResult, directory_is_empty, import_document
from scrapbook.vocabulary import ALL_AREAS

SEED_FILE = Path(__file__).resolve().parent / "seed" / "directory.json"
TAXONOMY_NAME = "Scrapbook support categories"
TAXONOMY_ID = oruk.stable_id("taxonomy", "scrapbook-categories")


@lru_cache
def read_seed() -> dict[str, Any]:
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return,unused-ignore]


def _midnight(day: str) -> str:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.UTC).isoformat()


def _phone_type(description: str | None) -> str:
    # The only text-only line in the seed says so in its sourced description.
    return "text" if description and "text only" in description.casefold() else "voice"


def _service(raw: dict[str, Any], org_id: str) -> dict[str, Any]:
    slug = raw["id"]
    service_id = oruk.stable_id("service", slug)
    locations = []
    for i, place in enumerate(raw["locations"]):
        address = {
            "id": oruk.stable_id("address", slug, str(i)),
            "address_1": place.get("address_1") or "",
            "city": place.get("city") or "",
            "postal_code": place.get("postal_code") or "",
            "state_province": "",
            "country": "GB",
            "address_type": "physical",
        }
        locations.append(
            {
                "id": oruk.stable_id("location", slug, str(i)),
                "location_type": "physical",
                "organization_id": org_id,
                "name": place.get("name"),
                "latitude": place.get("latitude"),
                "longitude": place.get("longitude"),
                "addresses": [address] if address["address_1"] or address["city"] else [],
                "accessibility": [],
            }
        )
    if raw.get("accessibility"):
        if not locations:
            # ORUK keeps accessibility on locations; a remote service gets a virtual one.
            locations.append(
                {
                    "id": oruk.stable_id("location", slug, "remote"),
                    "location_type": "virtual",
                    "organization_id": org_id,
                    "name": f"{raw['name']} (remote)",
                    "addresses": [],
                    "accessibility": [],
                }
            )
        for i, loc in enumerate(locations):
            loc["accessibility"].append(
                {
                    "id": oruk.stable_id("accessibility", slug, str(i)),
                    "description": raw["accessibility"],
                }
            )
    return {
        "id": service_id,
        "organization_id": org_id,
        "name": raw["name"],
        "description": raw.get("description") or "",
        "url": raw.get("url"),
        "email": raw.get("email"),
        "status": "active",
        "assured_date": raw["reviewed"],
        "last_modified": _midnight(raw["reviewed"]),
        "source_url": raw["source_url"],
        "notes": raw.get("notes"),
        "phones": [
            {
                "id": oruk.stable_id("phone", slug, str(i)),
                "number": p["number"],
                "description": p.get("description"),
                "type": _phone_type(p.get("description")),
            }
            for i, p in enumerate(raw["phones"])
        ],
        "schedules": (
            [{"id": oruk.stable_id("schedule", slug), "description": raw["schedule_description"]}]
            if raw.get("schedule_description")
            else []
        ),
        "service_areas": [
            {"id": oruk.stable_id("service_area", slug, code), "name": oruk.area_name(code)}
            for code in raw["areas_served"]
        ],
        "attributes": [
            {
                "id": oruk.stable_id("attribute", slug, code),
                "taxonomy_term_id": oruk.stable_id("taxonomy_term", code),
                "link_type": oruk.CATEGORY_LINK_TYPE,
                "link_entity": "service",
            }
            for code in raw["categories"]
        ],
        "service_at_locations": [
            {"id": oruk.stable_id("service_at_location", slug, str(i)), "location": loc}
            for i, loc in enumerate(locations)
        ],
    }


def seed_document() -> dict[str, Any]:
    raw = read_seed()
    return {
        "version": oruk.ORUK_VERSION,
        "taxonomies": [
            {
                "id": TAXONOMY_ID,
                "name": TAXONOMY_NAME,
                "version": "1",
                "description": "Kinds of support for people affected by loneliness in South West "
                "England.",
                "taxonomy_terms": [
                    {
                        "id": oruk.stable_id("taxonomy_term", t["id"]),
                        "term": t["id"],
                        "name": t["name"],
                        "description": t["description"],
                        "taxonomy": TAXONOMY_NAME,
                        "taxonomy_id": TAXONOMY_ID,
                    }
                    for t in raw["taxonomy"]
                ],
            }
        ],
        "organizations": [
            {
                "id": (org_id := oruk.stable_id("organization", org["id"])),
                "name": org["name"],
                "description": org.get("description") or "",
                "email": org.get("email"),
                "website": org.get("website"),
                "source_url": org.get("source_url"),
                "last_modified": _midnight(
                    max([raw["reviewed"]] + [x["reviewed"] for x in org["services"]])
                ),
                "services": [_service(x, org_id) for x in org["services"]],
            }
            for org in raw["organizations"]
        ],
    }


def load_seed(session: Session) -> ImportResult:
    """Upsert the seed (idempotent: same ids, same values)."""
    return import_document(session, seed_document())


def load_seed_if_empty(session: Session) -> ImportResult | None:
    """First run: fill an empty directory from the seed; never overwrite an edited one."""
    if not directory_is_empty(session):
        return None
    return load_seed(session)


@lru_cache
def seed_helplines() -> tuple[s.Helpline, ...]:
    """The national crisis lines straight from the seed file, for a directory not yet loaded."""
    out = []
    organisations = read_seed()["organizations"]
    for org in sorted(
        organisations, key=lambda o: (helpline_rank(o["name"]), o["name"].casefold())
    ):
        for svc in sorted(org["services"], key=lambda x: x["name"].casefold()):
            if CRISIS_CATEGORY in svc["categories"] and ALL_AREAS in svc["areas_served"]:
                for p in svc["phones"]:
                    out.append(
                        helpline(
                            org["name"],
                            oruk.stable_id("service", svc["id"]),
                            svc.get("url") or org.get("website"),
                            (p["number"], _phone_type(p.get("description")), p.get("description")),
                            svc.get("schedule_description"),
                        )
                    )
    return tuple(out)
