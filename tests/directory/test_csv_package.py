"""The ORUK CSV data package: round trips, idempotent re-import, bad tables refused whole, the
descriptor, and the CLI run for real."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from scrapbook.cli import app as cli_app
from scrapbook.cli import run_migrations
from scrapbook.core.config import get_settings
from scrapbook.core.db import make_engine, transaction
from scrapbook.directory.csv_package import (
    DESCRIPTOR,
    import_package,
    read_package,
    write_package,
)
from scrapbook.directory.seed import load_seed
from scrapbook.directory.transfer import ImportRefused, dump_document, export_document
from tests.directory.conftest import tid
from tests.directory.test_transfer import clear_directory, counts, export_text

TABLE_FILES = {
    "organization": "organizations.csv",
    "service": "services.csv",
    "location": "locations.csv",
    "address": "address.csv",
    "phone": "phones.csv",
    "contact": "contacts.csv",
    "schedule": "schedule.csv",
    "service_area": "service_areas.csv",
    "service_at_location": "service_at_location.csv",
    "taxonomy": "taxonomies.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "attribute": "attribute.csv",
    "accessibility": "accessibility.csv",
}


def export_package(db, path: Path) -> Path:
    with db() as session:
        write_package(export_document(session), path)
    return path


def import_path(db, path: Path):
    package = read_package(path)
    with db() as session:
        return import_package(session, package)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def write_rows(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def edit(path: Path, ident: str, **cells: str) -> int:
    """Change cells of the row with this id; returns its row number (the header is row 1)."""
    rows = read_rows(path)
    index = next(i for i, row in enumerate(rows) if row["id"] == ident)
    rows[index].update(cells)
    write_rows(path, rows)
    return index + 2


@pytest.mark.parametrize(("data", "services"), [("seeded", 60), ("small", 5)])
def test_round_trip_csv_into_an_empty_database(request, app, db, tmp_path, data, services):
    request.getfixturevalue(data)
    original_json = export_text(db)
    first = export_package(db, tmp_path / "first")
    clear_directory(app)
    assert counts(app)["service"] == 0
    result = import_path(db, first)
    assert result.services == services and len(result.created) > services
    assert export_text(db) == original_json  # the JSON export of the original, exactly
    second = export_package(db, tmp_path / "second")
    assert files(second) == files(first)  # and CSV -> CSV byte for byte


def test_reimport_is_idempotent(app, db, small, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    before, before_counts = export_text(db), counts(app)
    for _ in range(2):
        assert import_path(db, package).created == []
    assert export_text(db) == before and counts(app) == before_counts


def test_datapackage_lists_every_resource_with_its_fields(db, small, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    meta = json.loads((package / DESCRIPTOR).read_text())
    assert meta["profile"] == "tabular-data-package"
    assert meta["openreferral"]["version"] == "3.0"
    resources = {r["name"]: r for r in meta["resources"]}
    assert {n: r["path"] for n, r in resources.items()} == TABLE_FILES
    assert sorted(p.name for p in package.iterdir()) == sorted([DESCRIPTOR, *TABLE_FILES.values()])
    for name, resource in resources.items():
        fields = resource["schema"]["fields"]
        assert header(package / resource["path"]) == [f["name"] for f in fields], name
        assert all(f["type"] in ("string", "number", "date", "datetime") for f in fields)
        assert resource["schema"]["primaryKey"] == ["id"]
        for key in resource["schema"]["foreignKeys"]:
            assert key["reference"]["resource"] in ("", *resources)
    fields = {(r["name"], f["name"]): f for r in meta["resources"] for f in r["schema"]["fields"]}
    assert fields[("service", "assured_date")]["type"] == "date"
    assert fields[("service", "email")]["format"] == "email"
    assert fields[("service", "status")]["constraints"]["enum"][0] == "active"
    assert fields[("service", "source_url")]["description"].startswith("Scrapbook extension")
    # Extensions appear only where the JSON export has them: not the region code, not `code`.
    assert ("service_area", "region") not in fields and ("taxonomy_term", "code") not in fields
    assert fields[("taxonomy_term", "term")]  # the category code, under its ORUK name


def test_every_field_of_the_json_export_has_a_column(db, seeded, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    doc = json.loads(export_text(db))
    headers = {name: set(header(package / path)) for name, path in TABLE_FILES.items()}
    nested = {"services", "taxonomy_terms", "location", "addresses", "accessibility"}
    nested |= {"schedules", "service_areas", "service_at_locations", "phones", "contacts"}
    nested |= {"attributes", "taxonomy_term"}
    services = [s for o in doc["organizations"] for s in o["services"]]
    seen = {
        "organization": doc["organizations"],
        "service": services,
        "taxonomy": doc["taxonomies"],
        "phone": [p for s in services for p in s["phones"]],
        "schedule": [x for s in services for x in s["schedules"]],
        "service_area": [x for s in services for x in s["service_areas"]],
        "attribute": [x for s in services for x in s["attributes"]],
        "location": [x["location"] for s in services for x in s["service_at_locations"]],
    }
    for table, objects in seen.items():
        assert objects, table
        keys = {k for obj in objects for k in obj} - nested
        assert keys <= headers[table], (table, keys - headers[table])


def test_a_package_from_elsewhere_imports(app, db, small, tmp_path):
    """Zipped in a folder, no descriptor, a singular file name, a BOM, extra columns and a
    table Scrapbook does not keep."""
    original = export_text(db)
    package = export_package(db, tmp_path / "pkg")
    (package / DESCRIPTOR).unlink()
    (package / "services.csv").rename(package / "service.csv")
    orgs = package / "organizations.csv"
    orgs.write_bytes(b"\xef\xbb\xbf" + orgs.read_bytes().replace(b"\r\n", b",languages\r\n", 1))
    (package / "funding.csv").write_text("id,service_id,source\r\n")
    archive = tmp_path / "from-elsewhere.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in package.iterdir():
            z.write(path, f"directory/{path.name}")
    clear_directory(app)
    import_path(db, archive)
    assert export_text(db) == original


def test_a_contacts_phone_and_a_locations_schedule_find_their_service(client, db, small, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    edit(
        package / "phones.csv", tid("phone/truro"), service_id="", contact_id=tid("contact/exeter")
    )
    edit(
        package / "schedule.csv",
        tid("schedule/national"),
        service_id="",
        service_at_location_id=tid("sal/bristol"),
    )
    import_path(db, package)
    exeter = client.get(f"/openreferral/services/{tid('service/exeter')}").json()
    assert [p["number"] for p in exeter["phones"]] == ["01872 000000"]
    bristol = client.get(f"/openreferral/services/{tid('service/bristol')}").json()
    assert [x["description"] for x in bristol["schedules"]] == ["Every day"]


def test_zip_export_is_the_folder_zipped_and_imports(app, db, small, tmp_path):
    original = export_text(db)
    folder = files(export_package(db, tmp_path / "pkg"))
    archive = export_package(db, tmp_path / "directory.zip")
    with zipfile.ZipFile(archive) as z:
        assert {n: z.read(n) for n in z.namelist()} == folder
    assert export_package(db, tmp_path / "again.zip").read_bytes() == archive.read_bytes()
    clear_directory(app)
    import_path(db, archive)
    assert export_text(db) == original


def test_bad_rows_are_refused_whole_naming_file_and_row(app, db, small, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    before, before_counts = export_text(db), counts(app)
    edit(package / "organizations.csv", tid("org/alpha"), name="Alpha Renamed")  # valid: not kept
    email_row = edit(package / "services.csv", tid("service/exeter"), email="not an email")
    missing_term = tid("term/missing")
    attrs = read_rows(package / "attribute.csv")
    attr_row = next(i for i, a in enumerate(attrs) if a["id"] == tid("attr/bristol/other")) + 2
    attrs[attr_row - 2]["taxonomy_term_id"] = missing_term
    write_rows(package / "attribute.csv", attrs)
    services = read_rows(package / "services.csv")
    orphan = {**services[0], "id": tid("service/orphan"), "organization_id": tid("org/nobody")}
    write_rows(package / "services.csv", [*services, orphan])
    phones = read_rows(package / "phones.csv")
    orphan_phone = {**phones[0], "id": tid("phone/orphan"), "service_id": tid("service/orphan")}
    write_rows(package / "phones.csv", [*phones, orphan_phone])  # no cascade of errors for it
    with pytest.raises(ImportRefused) as refused:
        import_path(db, package)
    assert refused.value.errors == [
        f"services.csv row {len(services) + 2}: organization_id: no organization "
        f"{tid('org/nobody')} in organizations.csv",
        f"services.csv row {email_row}: email: must be an e-mail address",
    ]
    # Once the shapes are right, references are checked, still against their rows.
    edit(package / "services.csv", tid("service/exeter"), email="ok@example.org")
    write_rows(package / "services.csv", [*read_rows(package / "services.csv")[:-1]])
    write_rows(package / "phones.csv", phones)
    with pytest.raises(ImportRefused) as refused:
        import_path(db, package)
    assert refused.value.errors == [
        f"attribute.csv row {attr_row}: taxonomy_term_id: no taxonomy term {missing_term} "
        "in the file or the directory"
    ]
    assert export_text(db) == before and counts(app) == before_counts


def test_duplicate_ids_and_unplaced_locations_are_row_errors(app, db, small, tmp_path):
    package = export_package(db, tmp_path / "pkg")
    phones = read_rows(package / "phones.csv")
    write_rows(package / "phones.csv", [*phones, phones[0]])
    locations = read_rows(package / "locations.csv")
    spare = {**locations[0], "id": tid("loc/spare")}
    write_rows(package / "locations.csv", [*locations, spare])
    with pytest.raises(ImportRefused) as refused:
        import_path(db, package)
    assert set(refused.value.errors) == {
        f"phones.csv row {len(phones) + 2}: id: {phones[0]['id']} is also used at row 2",
        f"locations.csv row {len(locations) + 2}: no row of service_at_location.csv places a "
        "service here (Scrapbook keeps the locations of services)",
    }


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("missing_column", "organizations.csv: missing required column(s): name"),
        ("broken_utf8", "services.csv row {row}: name: not valid UTF-8 (byte 0xE9)"),
        ("bad_descriptor", "datapackage.json: resources[1] (service): path must name one file"),
        ("ragged_row", "schedule.csv row 2: more cells than the header has columns"),
        ("bad_quoting", "contacts.csv row 3: not readable as CSV: unexpected end of data"),
    ],
)
def test_broken_files_are_refused_with_nothing_written(
    app, db, small, tmp_path, breakage, expected
):
    package = export_package(db, tmp_path / "pkg")
    before, before_counts = export_text(db), counts(app)
    edit(package / "organizations.csv", tid("org/beta"), name="Beta Renamed")  # must not land
    row = 0
    if breakage == "missing_column":
        rows = read_rows(package / "organizations.csv")
        write_rows(package / "organizations.csv", rows, [c for c in rows[0] if c != "name"])
    elif breakage == "broken_utf8":
        row = edit(package / "services.csv", tid("service/truro"), name="Truro Caf\u00e9")
        path = package / "services.csv"
        path.write_bytes(path.read_bytes().replace("Caf\u00e9".encode(), b"Caf\xe9"))
    elif breakage == "bad_descriptor":
        meta = json.loads((package / DESCRIPTOR).read_text())
        meta["resources"][1]["path"] = "../services.csv"
        (package / DESCRIPTOR).write_text(json.dumps(meta))
    elif breakage == "bad_quoting":
        path = package / "contacts.csv"
        path.write_bytes(path.read_bytes() + b'"unterminated,quote\r\n')
    else:
        path = package / "schedule.csv"
        lines = path.read_bytes().split(b"\r\n")
        lines[1] += b",surplus"
        path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(ImportRefused) as refused:
        import_path(db, package)
    assert any(e.startswith(expected.format(row=row)) for e in refused.value.errors), (
        refused.value.errors
    )
    assert export_text(db) == before and counts(app) == before_counts


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setenv("SCRAPBOOK_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_export_csv_needs_a_path_and_refuses_a_bad_package(cli, app, small, tmp_path):
    r = cli.invoke(cli_app, ["directory", "export", "--format", "csv"])
    assert r.exit_code == 2 and "-o PATH" in r.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("keep me")
    r = cli.invoke(cli_app, ["directory", "export", "-f", "csv", "-o", str(tmp_path / "busy")])
    assert r.exit_code == 1 and "not a data package" in r.output
    package = tmp_path / "pkg"
    assert (
        cli.invoke(cli_app, ["directory", "export", "-f", "csv", "-o", str(package)]).exit_code == 0
    )
    edit(package / "services.csv", tid("service/truro"), status="open")
    r = cli.invoke(cli_app, ["directory", "import", str(package)])
    assert r.exit_code == 1 and "Refused: nothing was imported" in r.output
    assert "services.csv row " in r.output and ": status: Input should be" in r.output


def run_cli(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "scrapbook"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "scrapbook.cli"]
    env = {**os.environ, "SCRAPBOOK_DATABASE_URL": database_url}
    return subprocess.run(
        [*command, "directory", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@contextmanager
def session_on(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    try:
        yield from transaction(engine)
    finally:
        engine.dispose()


def test_the_real_cli_exports_a_package_and_imports_it_elsewhere(tmp_path):
    """`scrapbook directory export --format csv` then `import` into another, empty database."""
    source, target = (f"sqlite:///{tmp_path / name}" for name in ("source.db", "target.db"))
    for url in (source, target):
        run_migrations(url)
    with session_on(source) as session:
        load_seed(session)
    with session_on(source) as session:
        original = dump_document(export_document(session))

    r = run_cli(source, tmp_path, "export", "--format", "csv", "-o", "package")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "package" / "services.csv").is_file()
    r = run_cli(target, tmp_path, "import", "package")
    assert r.returncode == 0, r.stderr
    assert "60 services" in r.stdout
    with session_on(target) as session:
        assert dump_document(export_document(session)) == original
