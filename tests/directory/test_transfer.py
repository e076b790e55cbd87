"""Seed loading, ORUK JSON export and import: idempotent, round-trips, refuses bad files whole."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from scrapbook.cli import app as cli_app
from scrapbook.core.config import get_settings
from scrapbook.directory.seed import load_seed, load_seed_if_empty, read_seed
from scrapbook.directory.transfer import (
    ImportRefused,
    dump_document,
    export_document,
    import_document,
)
from tests.conftest import TABLES, count_rows
from tests.directory.conftest import small_document, tid
from tests.directory.oruk_schemas import errors, schema_validator

DIRECTORY_TABLES = TABLES[TABLES.index("attribute") :]


def export_text(db) -> str:
    with db() as session:
        return dump_document(export_document(session))


def counts(app) -> dict[str, int]:
    return {t: count_rows(app, t) for t in DIRECTORY_TABLES}


def clear_directory(app) -> None:
    with app.state.engine.begin() as conn:
        for table in DIRECTORY_TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")


def test_seed_is_sourced_and_complete():
    seed = read_seed()
    services = [s for o in seed["organizations"] for s in o["services"]]
    assert len(services) >= 30
    assert all(s["source_url"].startswith("http") and s["reviewed"] for s in services)
    assert {"samaritans-helpline", "shout-text", "nhs-111-mental-health-option"} <= {
        s["id"] for s in services
    }


def test_seed_loads_on_first_run_only_and_reloading_changes_nothing(app, db):
    with db() as session:
        assert load_seed_if_empty(session) is not None
    first, first_counts = export_text(db), counts(app)
    assert first_counts["service"] == 60 and first_counts["organization"] == 53
    with db() as session:
        assert load_seed_if_empty(session) is None  # never over an existing directory
        result = load_seed(session)  # an explicit re-seed upserts: no duplicates, no changes
    assert result.created == []
    assert export_text(db) == first and counts(app) == first_counts


def test_export_validates_as_oruk_organizations(db, seeded):
    doc = json.loads(export_text(db))
    assert doc["version"] == "3.0" and len(doc["organizations"]) == 53
    for org in doc["organizations"]:
        assert errors(schema_validator("organization.json"), org) == [], org["name"]


@pytest.mark.parametrize(("data", "services"), [("seeded", 60), ("small", 5)])
def test_round_trip_export_import_into_empty_database_export_again(
    request, app, db, data, services
):
    request.getfixturevalue(data)
    first = export_text(db)
    clear_directory(app)
    assert counts(app)["service"] == 0
    with db() as session:
        result = import_document(session, json.loads(first))
    assert result.services == services and len(result.created) > services
    assert export_text(db) == first


def test_import_is_idempotent(app, db, small):
    before, before_counts = export_text(db), counts(app)
    with db() as session:
        assert import_document(session, small_document()).created == []
    assert export_text(db) == before and counts(app) == before_counts


def test_import_updates_by_id_and_replaces_children(client, db, small):
    doc = small_document()
    truro = doc["organizations"][0]["services"][1]
    truro["name"] = "Truro Listening Service"
    truro["phones"] = [{"id": tid("phone/truro-new"), "number": "01872 111111"}]
    truro["attributes"] = []
    with db() as session:
        import_document(session, doc)
    body = client.get(f"/openreferral/services/{tid('service/truro')}").json()
    assert body["name"] == "Truro Listening Service"
    assert [p["number"] for p in body["phones"]] == ["01872 111111"]
    assert body["attributes"] == []


def test_bad_import_is_refused_with_row_level_errors_and_nothing_written(app, db, small):
    before, before_counts = export_text(db), counts(app)
    doc = small_document()
    doc["organizations"][0]["name"] = "Alpha Renamed"  # a valid change, which must not land
    doc["organizations"][0]["services"][0]["email"] = "not an email"
    doc["organizations"][1]["services"][0]["attributes"].append(
        {"id": tid("attr/x"), "taxonomy_term_id": tid("term/missing")}
    )
    doc["organizations"][1]["services"][1]["id"] = "not-a-uuid"
    with pytest.raises(ImportRefused) as refused, db() as session:
        import_document(session, doc)
    problems = refused.value.errors
    assert "organizations[0].services[0].email: must be an e-mail address" in problems
    assert "organizations[1].services[1].id: must be a UUID" in problems
    # referential problems are reported once the shapes are right
    doc["organizations"][0]["services"][0]["email"] = "ok@example.org"
    doc["organizations"][1]["services"][1]["id"] = tid("service/closed")
    doc["organizations"][1]["services"].append(
        copy.deepcopy(doc["organizations"][0]["services"][0])
    )
    with pytest.raises(ImportRefused) as refused, db() as session:
        import_document(session, doc)
    problems = refused.value.errors
    assert any(
        p.startswith("organizations[1].services[0].attributes[2].taxonomy_term_id")
        for p in problems
    )
    assert any("organizations[1].services[2].id: service id" in p for p in problems)
    assert export_text(db) == before and counts(app) == before_counts


def test_database_limits_beyond_the_schema_still_refuse_the_whole_file(app, db, small):
    before_counts = counts(app)
    doc = small_document()
    doc["organizations"][0]["name"] = "Changed"
    doc["organizations"][0]["services"][0]["service_at_locations"][0]["location"]["addresses"][0][
        "country"
    ] = "GBR"
    with pytest.raises(ImportRefused), db() as session:
        import_document(session, doc)
    assert counts(app) == before_counts


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setenv("SCRAPBOOK_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_export_then_import(cli, app, db, small, tmp_path):
    out = tmp_path / "directory.json"
    r = cli.invoke(cli_app, ["directory", "export", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text() == export_text(db)
    clear_directory(app)
    r = cli.invoke(cli_app, ["directory", "import", str(out)])
    assert r.exit_code == 0 and "5 services" in r.output, r.output
    assert out.read_text() == export_text(db)


def test_cli_refuses_a_bad_file_listing_its_rows(cli, app, small, tmp_path):
    doc = small_document()
    doc["organizations"][0]["services"][0]["status"] = "open"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = cli.invoke(cli_app, ["directory", "import", str(bad)])
    assert r.exit_code == 1
    assert "Refused: nothing was imported" in r.output
    assert "organizations[0].services[0].status" in r.output
    (tmp_path / "junk.json").write_text("{not json")
    assert cli.invoke(cli_app, ["directory", "import", str(tmp_path / "junk.json")]).exit_code == 1


def test_migrate_loads_the_seed_into_an_empty_directory_once(cli, app):
    assert cli.invoke(cli_app, ["migrate"]).exit_code == 0
    assert count_rows(app, "service") == 60
    r = cli.invoke(cli_app, ["migrate"])
    assert r.exit_code == 0 and "loaded from the seed" not in r.output
    assert count_rows(app, "service") == 60
