"""The ORUK CSV data package: `datapackage.json` plus one CSV per table, in a folder or a .zip.

Export flattens the document the JSON export writes; import rebuilds that document from the
tables and hands it to `import_document`, so validation, the upsert by id and all-or-nothing are
the JSON path's. Problems are reported against the CSV file and row they came from (the header
is row 1, as a spreadsheet numbers it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlmodel import Session

from scrapbook.directory import oruk
from scrapbook.directory import schemas as s
from scrapbook.directory.transfer import (
    ImportRefused,
    ImportResult,
    import_document,
    validate_document,
)

DESCRIPTOR = "datapackage.json"
# A fixed timestamp, so the same directory always zips to the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_EXTENSION = "Scrapbook extension: "
EXTENSIONS = {
    ("organization", "source_url"): _EXTENSION + "where these details were sourced.",
    ("organization", "notes"): _EXTENSION + "reviewers' provenance notes.",
    ("organization", "last_modified"): _EXTENSION + "when the organisation last changed.",
    ("service", "source_url"): _EXTENSION + "where these details were sourced.",
    ("service", "notes"): _EXTENSION + "reviewers' provenance notes.",
}


@dataclass(frozen=True)
class Table:
    name: str  # the ORUK (HSDS) table name, the data package's resource name
    path: str  # the file name the ORUK schemas give it
    model: type[BaseModel]  # the document object one row becomes
    nested: tuple[str, ...] = ()  # document fields that are other tables, not columns
    references: dict[str, str] = field(default_factory=dict)  # column -> table it points to
    needs: tuple[str, ...] = ()  # columns that attach a row to others, beyond the required

    @property
    def columns(self) -> list[str]:
        return [name for name in self.model.model_fields if name not in self.nested]

    @property
    def required(self) -> list[str]:
        model_required = [n for n in self.columns if self.model.model_fields[n].is_required()]
        return model_required + list(self.needs)


_SERVICE_CHILDREN = (
    "schedules",
    "service_areas",
    "service_at_locations",
    "phones",
    "contacts",
    "attributes",
)
# In the order the ORUK schemas number them (`datapackage_metadata.order`).
TABLES = (
    Table(
        "organization",
        "organizations.csv",
        s.OrganizationWithServices,
        ("services",),
        {"parent_organization_id": "organization"},
    ),
    Table(
        "service",
        "services.csv",
        s.ServiceNested,
        _SERVICE_CHILDREN,
        {"organization_id": "organization"},
        ("organization_id",),
    ),
    Table(
        "attribute",
        "attribute.csv",
        s.AttributeOut,
        ("taxonomy_term",),
        {"taxonomy_term_id": "taxonomy_term"},
        ("link_id", "taxonomy_term_id"),
    ),
    Table(
        "service_at_location",
        "service_at_location.csv",
        s.ServiceAtLocationFull,
        ("location",),
        {"service_id": "service", "location_id": "location"},
        ("service_id", "location_id"),
    ),
    Table(
        "location",
        "locations.csv",
        s.LocationOut,
        ("addresses", "accessibility"),
        {"organization_id": "organization"},
    ),
    Table(
        "phone",
        "phones.csv",
        s.PhoneOut,
        references={
            "service_id": "service",
            "organization_id": "organization",
            "location_id": "location",
            "contact_id": "contact",
        },
        needs=("service_id",),
    ),
    Table(
        "contact",
        "contacts.csv",
        s.ContactOut,
        references={"service_id": "service", "organization_id": "organization"},
        needs=("service_id",),
    ),
    Table(
        "address",
        "address.csv",
        s.AddressOut,
        references={"location_id": "location"},
        needs=("location_id",),
    ),
    Table(
        "schedule",
        "schedule.csv",
        s.ScheduleOut,
        references={"service_id": "service", "service_at_location_id": "service_at_location"},
        needs=("service_id",),
    ),
    Table(
        "service_area",
        "service_areas.csv",
        s.ServiceAreaOut,
        references={"service_id": "service"},
        needs=("service_id",),
    ),
    Table(
        "accessibility",
        "accessibility.csv",
        s.AccessibilityOut,
        references={"location_id": "location"},
        needs=("location_id",),
    ),
    Table(
        "taxonomy_term",
        "taxonomy_terms.csv",
        s.TaxonomyTermOut,
        references={"taxonomy_id": "taxonomy", "parent_id": "taxonomy_term"},
        needs=("taxonomy_id",),
    ),
    Table("taxonomy", "taxonomies.csv", s.TaxonomyOut, ("taxonomy_terms",)),
)
TABLE = {t.name: t for t in TABLES}


# ---- the descriptor --------------------------------------------------------------------------


def _markers(info: FieldInfo) -> list[Any]:
    """The validators a field carries, including those inside `Email | None` and the like."""
    found = list(info.metadata)
    for arg in get_args(info.annotation):
        if get_origin(arg) is Annotated:
            found += get_args(arg)[1:]
    return found


def _marker(alias: Any) -> Any:
    return get_args(alias)[-1]


_FORMATS = {"uuid": _marker(s.Id), "email": _marker(s.Email), "uri": _marker(s.Url)}


def _describe(table: Table, name: str) -> dict[str, Any]:
    info = table.model.model_fields[name]
    markers = _markers(info)
    kinds = [info.annotation, *get_args(info.annotation)]
    out: dict[str, Any] = {"name": name, "type": "string"}
    if float in kinds:
        out["type"] = "number"
    elif dt.datetime in kinds:
        out["type"] = "datetime"
    elif any(m is _marker(s.Day) for m in markers):
        out["type"] = "date"
    for fmt, marker in _FORMATS.items():
        if any(m is marker for m in markers):
            out["format"] = fmt
    if (table.name, name) in EXTENSIONS:
        out["description"] = EXTENSIONS[(table.name, name)]
    constraints: dict[str, Any] = {}
    # Frictionless reads an empty cell as no value: only fields that cannot be empty say so.
    if info.is_required() and (name == "id" or any(getattr(m, "min_length", 0) for m in markers)):
        constraints["required"] = True
    if name == "id":
        constraints["unique"] = True
    for kind in kinds:
        if get_origin(kind) is Literal:
            constraints["enum"] = list(get_args(kind))
    if constraints:
        out["constraints"] = constraints
    return out


def descriptor(doc: s.DirectoryDocument) -> dict[str, Any]:
    """The Frictionless `datapackage.json` naming every table, its file and its fields."""
    return {
        "profile": "tabular-data-package",
        "name": "scrapbook-support-directory",
        "title": "Scrapbook support directory (Open Referral UK)",
        "openreferral": {"version": doc.version, "profile": doc.profile},
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [_describe(table, name) for name in table.columns],
                    "primaryKey": ["id"],
                    "foreignKeys": [
                        {
                            "fields": [column],
                            "reference": {
                                "resource": "" if target == table.name else target,
                                "fields": ["id"],
                            },
                        }
                        for column, target in table.references.items()
                    ],
                },
            }
            for table in TABLES
        ],
    }


# ---- export ----------------------------------------------------------------------------------


def _rows(doc: s.DirectoryDocument) -> dict[str, list[dict[str, Any]]]:
    """The document's objects, table by table, each carrying the id of the one it was in."""
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
    data = doc.model_dump(mode="json")
    for taxonomy in data["taxonomies"]:
        rows["taxonomy"].append(taxonomy)
        for term in taxonomy["taxonomy_terms"] or []:
            rows["taxonomy_term"].append(
                {**term, "taxonomy_id": term["taxonomy_id"] or taxonomy["id"]}
            )
    seen_locations: set[str] = set()
    for org in data["organizations"]:
        rows["organization"].append(org)
        for svc in org["services"]:
            rows["service"].append({**svc, "organization_id": org["id"]})
            for kind in ("schedule", "service_area", "phone", "contact"):
                rows[kind] += [{**x, "service_id": svc["id"]} for x in svc[kind + "s"]]
            rows["attribute"] += [
                {**a, "link_id": svc["id"], "link_entity": a["link_entity"] or "service"}
                for a in svc["attributes"]
            ]
            for sal in svc["service_at_locations"]:
                location = sal["location"]
                rows["service_at_location"].append(
                    {**sal, "service_id": svc["id"], "location_id": location["id"]}
                )
                if location["id"] in seen_locations:
                    continue
                seen_locations.add(location["id"])
                rows["location"].append(location)
                for kind, key in (("address", "addresses"), ("accessibility", "accessibility")):
                    rows[kind] += [{**x, "location_id": location["id"]} for x in location[key]]
    return rows


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def package_files(doc: s.DirectoryDocument) -> dict[str, bytes]:
    """File name -> bytes: `datapackage.json` and one CSV per table (a header alone if empty)."""
    files = {DESCRIPTOR: (json.dumps(descriptor(doc), indent=2) + "\n").encode()}
    rows = _rows(doc)
    for table in TABLES:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(table.columns)
        writer.writerows([_cell(row.get(c)) for c in table.columns] for row in rows[table.name])
        files[table.path] = out.getvalue().encode()
    return files


def write_package(doc: s.DirectoryDocument, path: Path) -> None:
    """A folder, or a .zip of the same files when the path ends in .zip."""
    files = package_files(doc)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.external_attr = 0o644 << 16  # readable files when unzipped
                archive.writestr(info, data, zipfile.ZIP_DEFLATED)
        return
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} is a file, not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / DESCRIPTOR).is_file():
        raise FileExistsError(f"{path} is a folder with other things in it, not a data package")
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / name).write_bytes(data)


# ---- reading ---------------------------------------------------------------------------------

Row = tuple[int, dict[str, str]]  # (row number, column -> cell)
_BROKEN = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape


def is_package(path: Path) -> bool:
    """A folder, a datapackage.json, or a .zip; anything else is read as ORUK JSON."""
    if path.is_dir() or path.name == DESCRIPTOR:
        return True
    return path.is_file() and zipfile.is_zipfile(path)


def _opener(path: Path) -> Callable[[str], bytes | None]:
    """A reader of the package's files by name, whether it is a folder or a zip."""
    if path.name == DESCRIPTOR:
        path = path.parent
    if path.is_dir():
        return lambda name: (path / name).read_bytes() if (path / name).is_file() else None
    with zipfile.ZipFile(path) as archive:
        members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
        # A zipped folder keeps its files one level down; the descriptor says where.
        descriptors = sorted((n for n in members if PurePosixPath(n).name == DESCRIPTOR), key=len)
        base = str(PurePosixPath(descriptors[0]).parent) if descriptors else "."
        if not descriptors and not any("/" not in n for n in members):
            tops = {n.split("/", 1)[0] for n in members}
            base = tops.pop() if len(tops) == 1 else "."
        contents = {
            str(PurePosixPath(n).relative_to(base)) if base != "." else n: archive.read(m)
            for n, m in members.items()
            if base == "." or n.startswith(base + "/")
        }
    return contents.get


def _safe(name: Any) -> bool:
    if not isinstance(name, str) or not name or "://" in name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and ".." not in parts


def _locate(read: Callable[[str], bytes | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """The descriptor (if any) and the file of each table it lists, or found by the usual names."""
    raw = read(DESCRIPTOR)
    found: dict[str, str] = {}
    if raw is None:
        for table in TABLES:
            for file_name in (table.path, f"{table.name}.csv"):
                if read(file_name) is not None:
                    found[table.name] = file_name
                    break
        if not found:
            expected = ", ".join(t.path for t in TABLES)
            raise ImportRefused([f"no {DESCRIPTOR} and none of the ORUK tables ({expected})"])
        return {}, found
    try:
        meta = json.loads(raw.decode("utf-8-sig"))
        resources = meta["resources"]
        assert isinstance(resources, list)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError):
        raise ImportRefused(
            [f"{DESCRIPTOR}: not a data package descriptor with resources"]
        ) from None
    errors: list[str] = []
    for ri, resource in enumerate(resources):
        name = resource.get("name") if isinstance(resource, dict) else None
        if name not in TABLE:
            continue  # tables Scrapbook does not keep (funding, languages, ...), as in JSON
        where = f"{DESCRIPTOR}: resources[{ri}] ({name})"
        if not _safe(resource.get("path")):
            errors.append(f"{where}: path must name one file inside the package")
        elif read(resource["path"]) is None:
            errors.append(f"{where}: {resource['path']} is missing")
        else:
            found[name] = resource["path"]
    if not found and not errors:
        errors.append(f"{DESCRIPTOR}: lists none of the ORUK tables Scrapbook keeps")
    if errors:
        raise ImportRefused(errors)
    return meta, found


def _read_table(table: Table, label: str, data: bytes, errors: list[str]) -> list[Row] | None:
    """The rows of one CSV, or None when the file as a whole cannot be read as that table."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # bad quoting is refused
    header = [h.strip() for h in next(reader, [])]
    if not header:
        errors.append(f"{label}: no header row")
        return None
    if any(_BROKEN.search(h) for h in header):
        errors.append(f"{label} row 1: the header is not valid UTF-8; save the file as UTF-8")
        return None
    doubled = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in table.required if c not in header]
    if doubled:
        errors.append(f"{label}: column(s) named twice: {', '.join(doubled)}")
    if missing:
        errors.append(f"{label}: missing required column(s): {', '.join(missing)}")
    if doubled or missing:
        return None
    rows: list[Row] = []
    number = 1
    try:
        for cells in reader:
            number += 1
            if not cells:
                continue  # a blank line
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                errors.append(f"{label} row {number}: more cells than the header has columns")
            row = dict.fromkeys(header, "")  # a short row's missing cells are empty
            for column, cell in zip(header, cells, strict=False):
                if broken := _BROKEN.search(cell):
                    byte = ord(broken.group()) - 0xDC00
                    errors.append(
                        f"{label} row {number}: {column}: not valid UTF-8 (byte 0x{byte:02X}); "
                        "save the file as UTF-8"
                    )
                    cell = _BROKEN.sub("\ufffd", cell)
                row[column] = cell
            rows.append((number, row))
    except csv.Error as exc:  # raised while reading the row after the last one counted
        errors.append(f"{label} row {number + 1}: not readable as CSV: {exc}")
        return None
    return rows


# ---- the document ----------------------------------------------------------------------------


@dataclass
class PackageDocument:
    """A package read into the import's document, with where each object came from."""

    document: dict[str, Any]
    errors: list[str]  # problems found while reading the tables
    origins: dict[str, str]  # document path -> "services.csv row 4"

    _PATH = re.compile(r"(?:taxonomies|organizations)(?:\[\d+\]|\.[A-Za-z_]+)*")
    _PART = re.compile(r"\[\d+\]|\.?[A-Za-z_]+")

    def _origin(self, path: str) -> tuple[str, str] | None:
        prefix, best = "", None
        for part in self._PART.findall(path):
            prefix += part
            if prefix in self.origins:
                best = (self.origins[prefix], path[len(prefix) :].lstrip("."))
        return best

    def translate(self, error: str) -> str:
        """`organizations[0].services[2].email: ...` -> `services.csv row 4: email: ...`."""
        head = self._PATH.match(error)
        found = self._origin(head.group()) if head else None
        if head and found and error[head.end() :].startswith(": "):
            origin, rest = found
            error = f"{origin}: {rest + ': ' if rest else ''}{error[head.end() + 2 :]}"
        return self._PATH.sub(lambda m: (self._origin(m.group()) or (m.group(), ""))[0], error)


def _values(table: Table, row: dict[str, str]) -> dict[str, Any]:
    """A row's cells as document fields: an empty cell is no value (the field's default)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        cell = row.get(column)
        if cell:
            out[column] = cell
        elif cell is not None and table.model.model_fields[column].is_required():
            out[column] = ""  # refused by the field's own check, not as "missing"
    return out


class _Builder:
    """Nests table rows into the document, noting each object's origin and each orphan."""

    def __init__(self, tables: dict[str, tuple[str, list[Row]]], errors: list[str]):
        self.tables = tables
        self.errors = errors
        self.origins: dict[str, str] = {}
        self.dropped: dict[str, set[str]] = {t.name: set() for t in TABLES}

    def label(self, name: str) -> str:
        return self.tables.get(name, (TABLE[name].path, []))[0]

    def rows(self, name: str) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        """(origin, cells, fields) of a table's rows, the first of any repeated id only."""
        label, rows = self.label(name), self.tables.get(name, ("", []))[1]
        first: dict[str, int] = {}
        out = []
        for number, cells in rows:
            ident = cells.get("id", "")
            if ident and ident in first:
                self.errors.append(
                    f"{label} row {number}: id: {ident} is also used at row {first[ident]}"
                )
                continue
            first[ident] = number
            out.append((f"{label} row {number}", cells, _values(TABLE[name], cells)))
        return out

    def parent(
        self, origin: str, cells: dict[str, str], column: str, parents: dict[str, Any], kind: str
    ) -> Any:
        """The object a row belongs to, or None after reporting it (once, not for orphans of
        rows already refused)."""
        ident = cells.get(column, "")
        if ident in parents:
            return parents[ident]
        if ident not in self.dropped[kind]:
            named = f"no {kind} {ident} in {self.label(kind)}" if ident else "is empty"
            self.errors.append(f"{origin}: {column}: {named}")
        return None

    def build(self, meta: dict[str, Any]) -> PackageDocument:
        info = meta.get("openreferral")
        info = info if isinstance(info, dict) else {}
        doc: dict[str, Any] = {
            "version": str(info.get("version") or oruk.ORUK_VERSION),
            "profile": info.get("profile") or oruk.PROFILE_URL,
            "taxonomies": [],
            "organizations": [],
        }
        taxonomies: dict[str, Any] = {}
        for origin, cells, obj in self.rows("taxonomy"):
            obj.update(taxonomy_terms=[], _path=f"taxonomies[{len(doc['taxonomies'])}]")
            self.origins[obj["_path"]] = origin
            doc["taxonomies"].append(obj)
            taxonomies[cells["id"]] = obj
        for origin, cells, obj in self.rows("taxonomy_term"):
            if (
                taxonomy := self.parent(origin, cells, "taxonomy_id", taxonomies, "taxonomy")
            ) is None:
                continue
            terms = taxonomy["taxonomy_terms"]
            self.origins[f"{taxonomy['_path']}.taxonomy_terms[{len(terms)}]"] = origin
            terms.append(obj)

        orgs: dict[str, Any] = {}
        for origin, cells, obj in self.rows("organization"):
            obj.update(services=[], _path=f"organizations[{len(doc['organizations'])}]")
            self.origins[obj["_path"]] = origin
            doc["organizations"].append(obj)
            orgs[cells["id"]] = obj
        services: dict[str, Any] = {}
        for origin, cells, obj in self.rows("service"):
            org = self.parent(origin, cells, "organization_id", orgs, "organization")
            if org is None:
                self.dropped["service"].add(cells["id"])
                continue
            obj.update({k: [] for k in _SERVICE_CHILDREN})
            obj["_path"] = f"{org['_path']}.services[{len(org['services'])}]"
            self.origins[obj["_path"]] = origin
            org["services"].append(obj)
            services[cells["id"]] = obj

        locations: dict[str, Any] = {}
        used_locations: set[str] = set()
        for origin, cells, obj in self.rows("location"):
            obj.update(addresses=[], accessibility=[], _origins=[origin, [], []])
            locations[cells["id"]] = obj
        for kind, key, slot in (("address", "addresses", 1), ("accessibility", "accessibility", 2)):
            for origin, cells, obj in self.rows(kind):
                if location := self.parent(origin, cells, "location_id", locations, "location"):
                    location[key].append(obj)
                    location["_origins"][slot].append(origin)
        sals: dict[str, Any] = {}
        for origin, cells, obj in self.rows("service_at_location"):
            used_locations.add(cells.get("location_id", ""))
            svc = self.parent(origin, cells, "service_id", services, "service")
            location = self.parent(origin, cells, "location_id", locations, "location")
            if svc is None or location is None:
                self.dropped["service_at_location"].add(cells["id"])
                continue
            path = f"{svc['_path']}.service_at_locations[{len(svc['service_at_locations'])}]"
            loc_origin, addresses, accessibility = location["_origins"]
            self.origins.update({path: origin, f"{path}.location": loc_origin})
            self.origins.update(
                {f"{path}.location.addresses[{i}]": o for i, o in enumerate(addresses)}
            )
            self.origins.update(
                {f"{path}.location.accessibility[{i}]": o for i, o in enumerate(accessibility)}
            )
            svc["service_at_locations"].append({**obj, "location": location})
            sals[cells["id"]] = svc
        for ident, location in locations.items():
            if ident not in used_locations:
                self.errors.append(
                    f"{location['_origins'][0]}: no row of {self.label('service_at_location')} "
                    "places a service here (Scrapbook keeps the locations of services)"
                )

        contacts: dict[str, Any] = {}
        for origin, cells, obj in self.rows("contact"):
            if svc := self.parent(origin, cells, "service_id", services, "service"):
                self._attach(svc, "contacts", obj, origin)
                contacts[cells["id"]] = svc
            else:
                self.dropped["contact"].add(cells["id"])
        for origin, cells, obj in self.rows("phone"):
            if not cells.get("service_id") and cells.get("contact_id"):  # a contact's phone
                svc = self.parent(origin, cells, "contact_id", contacts, "contact")
            else:
                svc = self.parent(origin, cells, "service_id", services, "service")
            if svc:
                self._attach(svc, "phones", obj, origin)
        for origin, cells, obj in self.rows("schedule"):
            if not cells.get("service_id") and cells.get("service_at_location_id"):
                svc = self.parent(
                    origin, cells, "service_at_location_id", sals, "service_at_location"
                )
            else:
                svc = self.parent(origin, cells, "service_id", services, "service")
            if svc:
                self._attach(svc, "schedules", obj, origin)
        for origin, cells, obj in self.rows("service_area"):
            if svc := self.parent(origin, cells, "service_id", services, "service"):
                self._attach(svc, "service_areas", obj, origin)
        for origin, cells, obj in self.rows("attribute"):
            if cells.get("link_entity", "service") not in ("", "service"):
                self.errors.append(
                    f"{origin}: link_entity: Scrapbook keeps the attributes of services only"
                )
            elif svc := self.parent(origin, cells, "link_id", services, "service"):
                self._attach(svc, "attributes", obj, origin)

        for obj in [*doc["taxonomies"], *doc["organizations"], *services.values()]:
            obj.pop("_path")
        for location in locations.values():
            location.pop("_origins")
        return PackageDocument(doc, self.errors, self.origins)

    def _attach(self, svc: dict[str, Any], key: str, obj: dict[str, Any], origin: str) -> None:
        self.origins[f"{svc['_path']}.{key}[{len(svc[key])}]"] = origin
        svc[key].append(obj)


def read_package(path: Path) -> PackageDocument:
    """Read a folder, zip or datapackage.json into the document `import_document` takes.
    Raises ImportRefused when the package cannot be read at all, OSError when the file cannot."""
    try:
        read = _opener(path)
    except zipfile.BadZipFile as exc:
        raise ImportRefused([f"{path.name}: not a readable zip: {exc}"]) from None
    meta, found = _locate(read)
    errors: list[str] = []
    tables: dict[str, tuple[str, list[Row]]] = {}
    unreadable = False
    for name, file_name in found.items():
        data = read(file_name)
        assert data is not None
        rows = _read_table(TABLE[name], file_name, data, errors)
        unreadable |= rows is None
        tables[name] = (file_name, rows or [])
    if unreadable:  # a table without its columns: its rows, and those that refer to them, are moot
        raise ImportRefused(errors)
    return _Builder(tables, errors).build(meta)


def import_package(session: Session, package: PackageDocument) -> ImportResult:
    """Validate and upsert a read package through the JSON import, in the caller's transaction.
    Every problem names the CSV file and row it came from."""
    errors = list(package.errors)
    try:
        if errors:  # still check the rest, so one run lists every problem; writes nothing
            validate_document(session, package.document)
        else:
            return import_document(session, package.document)
    except ImportRefused as exc:
        errors += exc.errors
    raise ImportRefused(list(dict.fromkeys(package.translate(e) for e in errors)))
