"""ORUK JSON import (idempotent upserts by id, all or nothing) and export."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, col, select

from scrapbook.core.errors import ErrorCode, InvalidInput
from scrapbook.directory import oruk
from scrapbook.directory import schemas as s
from scrapbook.directory.service import load_attributes, load_services
from scrapbook.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

MAX_ERRORS = 50


class ImportRefused(InvalidInput):
    code = ErrorCode.import_refused

    def __init__(self, errors: list[str]):
        shown = errors[:MAX_ERRORS]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        super().__init__(
            f"The import was refused: {len(errors)} problem(s){more}. " + "; ".join(shown)
        )
        self.errors = errors


@dataclass
class ImportResult:
    taxonomies: int = 0
    taxonomy_terms: int = 0
    organizations: int = 0
    services: int = 0
    created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.organizations} organisations, {self.services} services, "
            f"{self.taxonomies} taxonomies and {self.taxonomy_terms} terms "
            f"({len(self.created)} new records)"
        )


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:100] or "term"


# NUL cannot be stored in PostgreSQL text, nor a lone surrogate in UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(data: Any, where: tuple[Any, ...] = ()) -> Iterable[str]:
    if isinstance(data, str):
        if _UNSTORABLE.search(data):
            yield f"{_loc(where)}: contains a NUL byte or a lone surrogate, which text cannot hold"
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _unstorable(value, (*where, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _unstorable(value, (*where, index))


def validate_document(session: Session, data: Any) -> s.DirectoryDocument:
    """Parse and check a whole file before anything is written; every problem is reported."""
    unstorable = list(_unstorable(data))
    if unstorable:
        raise ImportRefused(unstorable)
    try:
        doc: s.DirectoryDocument = s.strict_validate(s.DirectoryDocument, data)
    except ValidationError as exc:
        raise ImportRefused(
            [f"{_loc(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        ) from None
    errors: list[str] = []
    seen: dict[tuple[str, str], str] = {}

    def unique(kind: str, ident: str, where: str) -> None:
        first = seen.setdefault((kind, ident), where)
        if first != where:
            errors.append(f"{where}.id: {kind} id {ident} is also used at {first}")

    terms_in_file: dict[str, str] = {}
    for ti, taxonomy in enumerate(doc.taxonomies):
        unique("taxonomy", taxonomy.id, f"taxonomies[{ti}]")
        for ki, term in enumerate(taxonomy.taxonomy_terms or []):
            where = f"taxonomies[{ti}].taxonomy_terms[{ki}]"
            unique("taxonomy_term", term.id, where)
            code = term.term or _slug(term.name)
            if code in terms_in_file.values():
                errors.append(f"{where}.term: the category code '{code}' is used twice")
            terms_in_file[term.id] = code
    existing_codes = dict(session.exec(select(TaxonomyTerm.code, TaxonomyTerm.id)).all())
    for file_term, code in terms_in_file.items():
        if existing_codes.get(code, file_term) != file_term:
            errors.append(
                f"taxonomy term {file_term}: the category code '{code}' belongs to "
                f"another term already in the directory"
            )
    known_terms = set(terms_in_file) | set(existing_codes.values())
    org_ids = {org.id for org in doc.organizations}
    known_orgs = org_ids | set(session.exec(select(Organization.id)).all())

    for oi, org in enumerate(doc.organizations):
        where = f"organizations[{oi}]"
        unique("organization", org.id, where)
        if org.parent_organization_id and org.parent_organization_id not in known_orgs:
            errors.append(f"{where}.parent_organization_id: no organisation has that id")
        for si, svc in enumerate(org.services):
            sw = f"{where}.services[{si}]"
            unique("service", svc.id, sw)
            if svc.organization_id and svc.organization_id != org.id:
                errors.append(f"{sw}.organization_id: does not match the organisation it is in")
            children: tuple[tuple[str, Sequence[Any]], ...] = (
                ("phone", svc.phones),
                ("contact", svc.contacts),
                ("schedule", svc.schedules),
                ("service_area", svc.service_areas),
                ("attribute", svc.attributes),
                ("service_at_location", svc.service_at_locations),
            )
            for kind, rows in children:
                for ri, row in enumerate(rows):
                    unique(kind, row.id, f"{sw}.{kind}s[{ri}]")
            for ai, attr in enumerate(svc.attributes):
                term_id: str | None = attr.taxonomy_term_id or (
                    attr.taxonomy_term.id if attr.taxonomy_term else None
                )
                if term_id is None:
                    errors.append(f"{sw}.attributes[{ai}]: names no taxonomy term")
                elif term_id not in known_terms:
                    errors.append(
                        f"{sw}.attributes[{ai}].taxonomy_term_id: no taxonomy term "
                        f"{term_id} in the file or the directory"
                    )
    if errors:
        raise ImportRefused(errors)
    return doc


def _upsert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    result: ImportResult,
    now: dt.datetime | None = None,
) -> None:
    """Insert or update rows by id. A `last_modified` of None (the file gave none) becomes
    `now` for new rows and for rows whose fields changed; unchanged rows keep theirs."""
    if not rows:
        return
    ident: Any = getattr(model, "id")  # noqa: B009 (every directory table has an id)
    found: Sequence[Any] = session.exec(
        select(model).where(col(ident).in_([r["id"] for r in rows]))
    ).all()
    existing = {r.id: r for r in found}
    for row in rows:
        current = existing.get(row["id"])
        stamp = row.get("last_modified", False)
        if stamp is None:
            row = {**row, "last_modified": now}
        if current is None:
            session.add(model(**row))
            result.created.append(f"{model.__tablename__}:{row['id']}")
            continue
        changed = False
        for key, value in row.items():
            if key != "last_modified" and getattr(current, key) != value:
                setattr(current, key, value)
                changed = True
        if stamp is not False and (stamp is not None or changed):
            current.last_modified = row["last_modified"]
    session.flush()


def _fields(model: s.Oruk, *names: str, **extra: Any) -> dict[str, Any]:
    data = {name: getattr(model, name) for name in names}
    data.update(extra)
    return data


def import_document(session: Session, data: Any, *, now: dt.datetime | None = None) -> ImportResult:
    """Upsert a whole ORUK document by id; the caller's transaction makes it all or nothing."""
    doc = validate_document(session, data)
    try:
        return _write(session, doc, now or dt.datetime.now(dt.UTC))
    except DBAPIError as exc:  # a limit the schema checks did not catch: still refused whole
        raise ImportRefused(
            [
                f"the database refused a row: {type(exc.orig).__name__}: "
                f"{str(exc.orig).splitlines()[0][:200]}"
            ]
        ) from None


def _write(session: Session, doc: s.DirectoryDocument, now: dt.datetime) -> ImportResult:
    result = ImportResult()

    # Taxonomies and terms (parents are linked in a second pass, whatever the file's order).
    _upsert(
        session,
        Taxonomy,
        [_fields(t, "id", "name", "description", "uri", "version") for t in doc.taxonomies],
        result,
    )
    terms = [(t, taxonomy) for taxonomy in doc.taxonomies for t in taxonomy.taxonomy_terms or []]
    _upsert(
        session,
        TaxonomyTerm,
        [
            _fields(
                t,
                "id",
                "name",
                "description",
                "taxonomy",
                "term_uri",
                parent_id=None,
                taxonomy_id=t.taxonomy_id or taxonomy.id,
                code=t.term or _slug(t.name),
            )
            for t, taxonomy in terms
        ],
        result,
    )
    _upsert(
        session, TaxonomyTerm, [{"id": t.id, "parent_id": t.parent_id} for t, _ in terms], result
    )
    result.taxonomies, result.taxonomy_terms = len(doc.taxonomies), len(terms)

    org_fields = (
        "id",
        "name",
        "description",
        "email",
        "website",
        "logo",
        "uri",
        "source_url",
        "notes",
    )
    _upsert(
        session,
        Organization,
        [
            _fields(
                o,
                *org_fields,
                parent_organization_id=None,
                last_modified=oruk.utc(o.last_modified) if o.last_modified else None,
            )
            for o in doc.organizations
        ],
        result,
        now,
    )
    _upsert(
        session,
        Organization,
        [
            {"id": o.id, "parent_organization_id": o.parent_organization_id}
            for o in doc.organizations
        ],
        result,
    )
    result.organizations = len(doc.organizations)

    services = [(svc, org) for org in doc.organizations for svc in org.services]
    service_ids = [svc.id for svc, _ in services]
    locations = {
        sal.location.id: sal.location for svc, _ in services for sal in svc.service_at_locations
    }

    # Children are replaced wholesale: what the file says about a service is the truth.
    if service_ids:
        session.execute(
            delete(Attribute).where(
                col(Attribute.link_id).in_(service_ids), col(Attribute.link_entity) == "service"
            )
        )
        session.execute(delete(Schedule).where(col(Schedule.service_id).in_(service_ids)))
        for by_service in (Phone, Contact, ServiceArea, ServiceAtLocation):
            session.execute(delete(by_service).where(col(by_service.service_id).in_(service_ids)))
    if locations:
        for by_location in (Address, Accessibility):
            session.execute(
                delete(by_location).where(col(by_location.location_id).in_(list(locations)))
            )

    _upsert(
        session,
        Location,
        [
            _fields(
                loc,
                "id",
                "location_type",
                "organization_id",
                "name",
                "description",
                "latitude",
                "longitude",
                "external_identifier",
                "external_identifier_type",
            )
            for loc in locations.values()
        ],
        result,
    )
    service_fields = (
        "id",
        "name",
        "description",
        "url",
        "email",
        "status",
        "fees",
        "accreditations",
        "minimum_age",
        "maximum_age",
        "assurer_email",
        "alert",
        "source_url",
        "notes",
    )
    _upsert(
        session,
        Service,
        [
            _fields(
                svc,
                *service_fields,
                organization_id=org.id,
                assured_date=dt.date.fromisoformat(svc.assured_date) if svc.assured_date else None,
                last_modified=oruk.utc(svc.last_modified) if svc.last_modified else None,
            )
            for svc, org in services
        ],
        result,
        now,
    )
    result.services = len(services)

    rows: list[SQLModel] = []
    for loc in locations.values():
        rows += [
            Address(**a.model_dump(exclude={"location_id"}), location_id=loc.id)
            for a in loc.addresses
        ]
        rows += [
            Accessibility(**a.model_dump(exclude={"location_id"}), location_id=loc.id)
            for a in loc.accessibility
        ]
    for svc, _ in services:
        rows += [
            ServiceAtLocation(
                id=x.id, service_id=svc.id, location_id=x.location.id, description=x.description
            )
            for x in svc.service_at_locations
        ]
        rows += [
            Phone(**p.model_dump(exclude={"service_id"}), service_id=svc.id) for p in svc.phones
        ]
        rows += [
            Contact(**c.model_dump(exclude={"service_id"}), service_id=svc.id) for c in svc.contacts
        ]
        rows += [
            ServiceArea(
                **a.model_dump(exclude={"service_id"}),
                service_id=svc.id,
                region=oruk.area_code(a.name),
            )
            for a in svc.service_areas
        ]
    session.add_all(rows)
    session.flush()
    rows = []
    for svc, _ in services:
        rows += [
            Schedule(**x.model_dump(exclude={"service_id"}), service_id=svc.id)
            for x in svc.schedules
        ]
        rows += [
            Attribute(
                id=a.id,
                link_id=svc.id,
                link_entity="service",
                link_type=a.link_type or oruk.CATEGORY_LINK_TYPE,
                taxonomy_term_id=a.taxonomy_term_id or a.taxonomy_term.id,  # type: ignore[union-attr]
                value=a.value,
                label=a.label,
            )
            for a in svc.attributes
        ]
    session.add_all(rows)
    session.flush()
    return result


def _by_name(row: Any) -> tuple[str, str, str]:
    return (row.name.casefold(), row.name, row.id)


def export_document(session: Session, *, include_notes: bool = True) -> s.DirectoryDocument:
    """Everything in the directory as one ORUK document, in a stable order."""
    # Sorted here, not in SQL, so the order is the same whatever the database's collation.
    taxonomies = sorted(session.exec(select(Taxonomy)).all(), key=_by_name)
    terms = sorted(session.exec(select(TaxonomyTerm)).all(), key=_by_name)
    orgs = sorted(session.exec(select(Organization)).all(), key=_by_name)
    service_ids = [x.id for x in sorted(session.exec(select(Service)).all(), key=_by_name)]
    services = load_services(session, service_ids)
    attributes = load_attributes(session, service_ids)
    by_org: dict[str, list[Service]] = {}
    for svc in services:
        by_org.setdefault(svc.organization_id, []).append(svc)
    return s.DirectoryDocument(
        version=oruk.ORUK_VERSION,
        profile=oruk.PROFILE_URL,
        taxonomies=[
            oruk.taxonomy_out(t, [x for x in terms if x.taxonomy_id == t.id]) for t in taxonomies
        ],
        organizations=[
            s.OrganizationWithServices(
                **oruk.organization_out(org).model_dump(),
                notes=org.notes if include_notes else None,
                last_modified=oruk.utc(org.last_modified),
                services=[
                    oruk.service_nested(x, attributes[x.id], notes=include_notes)
                    for x in by_org.get(org.id, [])
                ],
            )
            for org in orgs
        ],
    )


def directory_is_empty(session: Session) -> bool:
    return session.exec(select(Organization.id).limit(1)).first() is None


def dump_document(doc: s.DirectoryDocument) -> str:
    """The export's bytes: stable key order and indentation, so exports can be diffed."""
    return (
        json.dumps(doc.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)
        + "\n"
    )
