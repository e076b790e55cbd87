"""Validators for ORUK responses built from the shared ORUK 3.0 files, offline.

The API description (openapi.json) names each response schema by its GitHub URL; a referencing
Registry maps those URLs to the local copies under tests/directory/oruk_3_0/, so no test
touches the network. taxonomy.json and taxonomy_term.json are not in the shared folder as files:
they are taken from the `definitions` of service_with_definitions.json, the same standard.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# An unchanged copy of the standard's files (see oruk_3_0/README.md), so no test needs the network
# or anything outside the repository.
ORUK_DIR = Path(__file__).resolve().parent / "oruk_3_0"
REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI_ID = "urn:oruk:openapi"


def _load(name: str) -> Any:
    path = ORUK_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"ORUK standard files are expected at {ORUK_DIR}")
    return json.loads(path.read_text())


@cache
def registry() -> Registry:
    definitions = _load("schema/service_with_definitions.json")["definitions"]

    def from_definitions(name: str) -> dict[str, Any]:
        return {**definitions[name], "definitions": definitions}

    resources = {
        OPENAPI_ID: _load("openapi.json"),
        REMOTE + "compiled/service.json": _load("schema/service.json"),
        REMOTE + "compiled/service_list.json": _load("schema/service_list.json"),
        REMOTE + "compiled/service_at_location_list.json": _load(
            "schema/service_at_location_list.json"
        ),
        REMOTE + "compiled/service_at_location.json": _load("schema/service_at_location.json"),
        REMOTE + "compiled/organization.json": _load("schema/organization.json"),
        REMOTE + "taxonomy.json": from_definitions("taxonomy"),
        REMOTE + "taxonomy_term.json": from_definitions("taxonomy_term"),
        "urn:oruk:phone": from_definitions("phone"),
    }
    return Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
        for uri, contents in resources.items()
    )


def _pointer(path: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"{OPENAPI_ID}#/paths/{escaped}/get/responses/200/content/application~1json/schema"


@cache
def validator_for(ref: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": ref}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def response_validator(path: str) -> Draft202012Validator:
    """The schema openapi.json gives for a 200 response of GET `path` (e.g. '/services')."""
    return validator_for(_pointer(path))


def schema_validator(name: str) -> Draft202012Validator:
    """A shared schema by file name (e.g. 'service_at_location.json') or 'phone'."""
    return validator_for("urn:oruk:phone" if name == "phone" else REMOTE + "compiled/" + name)


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def assert_valid_page(path: str, body: Any) -> None:
    assert set(body) == PAGE_KEYS, set(body) ^ PAGE_KEYS
    assert errors(response_validator(path), body) == []
