"""Directory fixtures: the real seed loaded through the real import, and a small hand-made
directory (with coordinates, which the sourced seed does not have) for filters and proximity."""

from __future__ import annotations

from typing import Any

import pytest

from scrapbook.directory.oruk import stable_id
from scrapbook.directory.seed import load_seed
from scrapbook.directory.transfer import import_document


@pytest.fixture
def seeded(app: Any, db: Any) -> None:
    """The shipped seed, loaded the way `scrapbook migrate` loads it on first run."""
    with db() as session:
        load_seed(session)


def tid(name: str) -> str:
    return stable_id("test", name)


def make_service(
    slug: str,
    *,
    name: str | None = None,
    categories: tuple[str, ...] = (),
    areas: tuple[str, ...] = (),
    point: tuple[float, float] | None = None,
    status: str = "active",
    modified: str = "2026-01-01T00:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": tid(f"service/{slug}"),
        "name": name or slug.title(),
        "description": f"About {slug}.",
        "status": status,
        "last_modified": modified,
        "assured_date": "2026-11-01",
        "source_url": f"https://example.org/{slug}",
        "service_areas": [{"id": tid(f"area/{slug}/{a}"), "name": a} for a in areas],
        "attributes": [
            {"id": tid(f"attr/{slug}/{c}"), "taxonomy_term_id": tid(f"term/{c}")}
            for c in categories
        ],
        "service_at_locations": [],
        **extra,
    }
    if point:
        service["service_at_locations"] = [
            {
                "id": tid(f"sal/{slug}"),
                "location": {
                    "id": tid(f"loc/{slug}"),
                    "location_type": "physical",
                    "name": f"{slug} hall",
                    "latitude": point[0],
                    "longitude": point[1],
                    "addresses": [
                        {
                            "id": tid(f"addr/{slug}"),
                            "address_1": "1 High Street",
                            "city": slug.title(),
                            "state_province": "",
                            "postal_code": "",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ]
    return service


def small_document() -> dict[str, Any]:
    """Two organisations, five services; Exeter, Truro and Bristol have places."""
    terms = ["crisis-support", "loneliness-befriending", "older-people"]
    return {
        "taxonomies": [
            {
                "id": tid("taxonomy/a"),
                "name": "Test categories",
                "description": "",
                "taxonomy_terms": [
                    {
                        "id": tid(f"term/{t}"),
                        "name": t.replace("-", " "),
                        "description": t,
                        "term": t,
                    }
                    for t in terms
                ],
            },
            {
                "id": tid("taxonomy/b"),
                "name": "Other scheme",
                "description": "",
                "taxonomy_terms": [
                    {"id": tid("term/other"), "name": "Other", "description": "", "term": "other"}
                ],
            },
        ],
        "organizations": [
            {
                "id": tid("org/alpha"),
                "name": "Alpha Trust",
                "description": "Alpha.",
                "services": [
                    make_service(
                        "exeter",
                        name="Exeter Friends",
                        point=(50.72, -3.53),
                        categories=("loneliness-befriending", "older-people"),
                        areas=("Devon",),
                        contacts=[
                            {
                                "id": tid("contact/exeter"),
                                "name": "Duty coordinator",
                                "email": "duty@example.org",
                            }
                        ],
                    ),
                    make_service(
                        "truro",
                        name="Truro Listening",
                        point=(50.26, -5.05),
                        categories=("crisis-support",),
                        areas=("Cornwall",),
                        modified="2026-06-01T00:00:00Z",
                        phones=[{"id": tid("phone/truro"), "number": "01872 000000"}],
                    ),
                    make_service(
                        "national",
                        name="National Line",
                        categories=("crisis-support",),
                        areas=("All South West areas (national service)",),
                        phones=[
                            {"id": tid("phone/national"), "number": "0800 000 000", "type": "voice"}
                        ],
                        schedules=[{"id": tid("schedule/national"), "description": "Every day"}],
                    ),
                ],
            },
            {
                "id": tid("org/beta"),
                "name": "Beta Group",
                "description": "Beta.",
                "services": [
                    make_service(
                        "bristol",
                        name="Bristol Befriending",
                        point=(51.45, -2.59),
                        categories=("loneliness-befriending", "other"),
                        areas=("Bristol",),
                        modified="2026-09-01T00:00:00Z",
                    ),
                    make_service(
                        "closed",
                        name="Closed Club",
                        status="defunct",
                        categories=("loneliness-befriending",),
                        areas=("Devon",),
                    ),
                ],
            },
        ],
    }


@pytest.fixture
def small(app: Any, db: Any) -> dict[str, Any]:
    doc = small_document()
    with db() as session:
        import_document(session, doc)
    return doc
