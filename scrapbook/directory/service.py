"""Directory reads: the ORUK API's queries, the website's search, and the site's helplines."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from scrapbook.core import cursor as cursors
from scrapbook.core.errors import ErrorCode, InvalidInput, NotFound
from scrapbook.directory import oruk
from scrapbook.directory import schemas as s
from scrapbook.models import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from scrapbook.vocabulary import ALL_AREAS, AREAS


def _rel(attribute: object) -> Any:
    """SQLModel types relationships as lists; SQLAlchemy's loaders want the attribute."""
    return attribute


PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
PUBLIC_LIMIT_DEFAULT = 20
EARTH_RADIUS_M = 6_371_008.8
CRISIS_CATEGORY = "crisis-support"


# ---- shared helpers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def envelope(items: list[Any], total: int, paging: Paging) -> s.Page[Any]:
    total_pages = math.ceil(total / paging.per_page) if total else 0
    return s.Page[Any](
        total_items=total,
        total_pages=total_pages,
        page_number=paging.page,
        size=len(items),
        first_page=paging.page == 1,
        last_page=paging.page >= total_pages,
        empty=not items,
        contents=items,
    )


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def parse_point(value: str) -> tuple[float, float]:
    """'lat,lon' rounded to two decimals (about 1 km): we never need a visitor's exact spot."""
    try:
        lat_text, lon_text = value.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InvalidInput(
            "near must be 'latitude,longitude', e.g. near=50.72,-3.53.",
            code=ErrorCode.invalid_near, field="near"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise InvalidInput(
            "near is outside the range of latitudes and longitudes.",
            code=ErrorCode.invalid_near, field="near"
        )
    return round(lat, 2), round(lon, 2)


def refuse_postcode(postcode: str) -> None:
    # No open postcode-centroid dataset ships with Scrapbook yet, so we cannot place any.
    raise InvalidInput(
        f"We cannot place the postcode '{postcode[:10]}' yet. Search by area, or share an "
        "approximate location (latitude and longitude) instead.",
        code=ErrorCode.postcode_unplaceable, field="postcode",
    )


def _search_clause(text: str) -> ColumnElement[bool]:
    needle = text.strip().lower()
    org_match = select(Organization.id).where(
        func.lower(Organization.name).contains(needle, autoescape=True)
    )
    return or_(
        func.lower(Service.name).contains(needle, autoescape=True),
        func.lower(Service.description).contains(needle, autoescape=True),
        col(Service.organization_id).in_(org_match),
    )


def _term_ids_clause(term_ids: ColumnElement[Any] | Any) -> ColumnElement[bool]:
    linked = select(Attribute.link_id).where(
        Attribute.link_entity == "service", col(Attribute.taxonomy_term_id).in_(term_ids)
    )
    return col(Service.id).in_(linked)


@dataclass(frozen=True)
class ServiceFilters:
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: dt.datetime | None = None
    active_only: bool = False

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.search and self.search.strip():
            out.append(_search_clause(self.search))
        if self.taxonomy_term_id:
            out.append(_term_ids_clause([self.taxonomy_term_id]))
        if self.taxonomy_id:
            out.append(
                _term_ids_clause(
                    select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy_id == self.taxonomy_id)
                )
            )
        if self.organization_id:
            out.append(col(Service.organization_id) == self.organization_id)
        if self.modified_after:
            out.append(col(Service.last_modified) >= self.modified_after)
        if self.active_only:
            out.append(col(Service.status) == "active")
        return out


def parse_modified_after(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            "modified_after must be an ISO 8601 date or date-time.",
            code=ErrorCode.invalid_modified_after, field="modified_after"
        ) from None
    parsed = oruk.utc(parsed)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        # Before 0001-01-01 or after 9999-12-31 in UTC: every entry, or none.
        edge = dt.datetime.min if parsed.year == dt.MINYEAR else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


def _full_options() -> list[Any]:
    return [
        selectinload(_rel(Service.organization)),
        selectinload(_rel(Service.phones)),
        selectinload(_rel(Service.contacts)),
        selectinload(_rel(Service.schedules)),
        selectinload(_rel(Service.service_areas)),
        selectinload(_rel(Service.service_at_locations))
        .selectinload(_rel(ServiceAtLocation.location))
        .options(
            selectinload(_rel(Location.addresses)),
            selectinload(_rel(Location.accessibility)),
        ),
    ]


def load_services(session: Session, ids: Sequence[str]) -> list[Service]:
    """Services with everything a full ORUK service needs, in the order of ids."""
    if not ids:
        return []
    rows = session.exec(
        select(Service)
        .where(col(Service.id).in_(ids))
        .options(*_full_options())
        .execution_options(populate_existing=True)
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def load_attributes(session: Session, ids: Sequence[str]) -> dict[str, list[Attribute]]:
    out: dict[str, list[Attribute]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(Attribute)
        .where(col(Attribute.link_id).in_(ids), Attribute.link_entity == "service")
        .options(selectinload(_rel(Attribute.taxonomy_term)))
        .order_by(col(Attribute.id))
    ).all()
    for attr in rows:
        out[attr.link_id].append(attr)
    return out


# ---- ORUK API ------------------------------------------------------------------------------


def list_services(
    session: Session, filters: ServiceFilters, paging: Paging, *, mode: str = "list"
) -> s.Page[Any]:
    where = filters.clauses()
    total = session.exec(select(func.count()).select_from(Service).where(*where)).one()
    ids = list(
        session.exec(
            select(Service.id)
            .where(*where)
            .order_by(col(Service.name), col(Service.id))
            .offset(paging.offset)
            .limit(paging.per_page)
        ).all()
    )
    if mode == "minimal":
        rows = session.exec(select(Service).where(col(Service.id).in_(ids))).all()
        by_id = {r.id: r for r in rows}
        return envelope([oruk.service_minimal(by_id[i]) for i in ids], total, paging)
    if mode == "full":
        services = load_services(session, ids)
        attributes = load_attributes(session, ids)
        return envelope([oruk.service_full(x, attributes[x.id]) for x in services], total, paging)
    rows = session.exec(
        select(Service)
        .where(col(Service.id).in_(ids))
        .options(selectinload(_rel(Service.organization)))
    ).all()
    by_id = {r.id: r for r in rows}
    return envelope([oruk.service_list_item(by_id[i]) for i in ids], total, paging)


def get_service(session: Session, service_id: str) -> s.ServiceFull:
    found = load_services(session, [service_id])
    if not found:
        raise NotFound("No service has that id.")
    return oruk.service_full(found[0], load_attributes(session, [service_id])[service_id])


def list_taxonomies(session: Session, paging: Paging) -> s.Page[Any]:
    total = session.exec(select(func.count()).select_from(Taxonomy)).one()
    rows = session.exec(
        select(Taxonomy)
        .order_by(col(Taxonomy.name), col(Taxonomy.id))
        .offset(paging.offset)
        .limit(paging.per_page)
    ).all()
    return envelope([oruk.taxonomy_out(t) for t in rows], total, paging)


def get_taxonomy(session: Session, taxonomy_id: str) -> s.TaxonomyOut:
    taxonomy = session.exec(
        select(Taxonomy)
        .where(Taxonomy.id == taxonomy_id)
        .options(selectinload(_rel(Taxonomy.terms)))
    ).first()
    if taxonomy is None:
        raise NotFound("No taxonomy has that id.")
    return oruk.taxonomy_out(taxonomy, taxonomy.terms)


def list_terms(
    session: Session, paging: Paging, *, taxonomy_id: str | None = None, search: str | None = None
) -> s.Page[Any]:
    where: list[ColumnElement[bool]] = []
    if taxonomy_id:
        where.append(col(TaxonomyTerm.taxonomy_id) == taxonomy_id)
    if search and search.strip():
        where.append(
            func.lower(TaxonomyTerm.name).contains(search.strip().lower(), autoescape=True)
        )
    total = session.exec(select(func.count()).select_from(TaxonomyTerm).where(*where)).one()
    rows = session.exec(
        select(TaxonomyTerm)
        .where(*where)
        .order_by(col(TaxonomyTerm.name), col(TaxonomyTerm.id))
        .offset(paging.offset)
        .limit(paging.per_page)
    ).all()
    return envelope([oruk.term_out(t) for t in rows], total, paging)


def get_term(session: Session, term_id: str) -> s.TaxonomyTermOut:
    term = session.get(TaxonomyTerm, term_id)
    if term is None:
        raise NotFound("No taxonomy term has that id.")
    return oruk.term_out(term)


def list_service_at_locations(
    session: Session,
    filters: ServiceFilters,
    paging: Paging,
    *,
    point: tuple[float, float] | None = None,
    proximity_m: float | None = None,
) -> s.Page[Any]:
    """Service-at-locations; with a point, nearest first (and within proximity_m if given)."""
    base = (
        select(ServiceAtLocation.id, Service.name, Location.latitude, Location.longitude)
        .join(Service, col(Service.id) == ServiceAtLocation.service_id)
        .join(Location, col(Location.id) == ServiceAtLocation.location_id)
        .where(*filters.clauses())
    )
    if point is None:
        total = session.exec(select(func.count()).select_from(base.subquery())).one()
        ids = [
            row[0]
            for row in session.exec(
                base.order_by(col(Service.name), col(ServiceAtLocation.id))
                .offset(paging.offset)
                .limit(paging.per_page)
            ).all()
        ]
        distances: dict[str, float] = {}
    else:
        # Haversine in Python: the directory is hundreds of rows, and this runs the same on
        # SQLite and PostgreSQL without a geo extension.
        placed = []
        for sal_id, name, lat, lon in session.exec(base).all():
            if lat is None or lon is None:
                continue
            d = haversine_m(point[0], point[1], lat, lon)
            if proximity_m is None or d <= proximity_m:
                placed.append((d, name, sal_id))
        placed.sort()
        total = len(placed)
        window = placed[paging.offset : paging.offset + paging.per_page]
        ids = [sal_id for _, _, sal_id in window]
        distances = {sal_id: round(d, 1) for d, _, sal_id in window}
    rows = session.exec(
        select(ServiceAtLocation)
        .where(col(ServiceAtLocation.id).in_(ids))
        .options(
            selectinload(_rel(ServiceAtLocation.location)),
            selectinload(_rel(ServiceAtLocation.service)).selectinload(_rel(Service.organization)),
        )
    ).all()
    by_id = {r.id: r for r in rows}
    items = []
    for sal_id in ids:
        sal = by_id[sal_id]
        assert sal.location is not None and sal.service is not None
        items.append(
            s.ServiceAtLocationListItem(
                id=sal.id,
                service_id=sal.service_id,
                location_id=sal.location_id,
                location=oruk.location_base(sal.location),
                service=oruk.service_list_item(sal.service),
                distance=distances.get(sal_id),
            )
        )
    return envelope(items, total, paging)


def get_service_at_location(session: Session, sal_id: str) -> s.ServiceAtLocationDetail:
    sal = session.get(ServiceAtLocation, sal_id)
    if sal is None:
        raise NotFound("No service-at-location has that id.")
    service = get_service(session, sal.service_id)
    nested = next(x for x in service.service_at_locations if x.id == sal_id)
    return s.ServiceAtLocationDetail(
        id=sal.id,
        service_id=sal.service_id,
        location_id=sal.location_id,
        description=sal.description,
        location=nested.location,
        service=service,
    )


# ---- the website's API ---------------------------------------------------------------------


def _regions(session: Session, ids: Sequence[str]) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = defaultdict(list)
    for service_id, region in session.exec(
        select(ServiceArea.service_id, ServiceArea.region).where(
            col(ServiceArea.service_id).in_(ids)
        )
    ).all():
        out[service_id].append(region)
    return out


def public_service(
    svc: Service, attributes: Sequence[Attribute], distance_m: float | None = None
) -> s.ServicePublic:
    org = svc.organization
    assert org is not None
    locations = [sal.location for sal in svc.service_at_locations if sal.location]
    codes = [a.region for a in svc.service_areas]
    national = ALL_AREAS in codes
    areas = (
        [s.Area(code=c, name=n) for c, n in AREAS.items()]
        if national
        else [
            s.Area(code=a.region, name=AREAS[a.region])
            for a in svc.service_areas
            if a.region in AREAS
        ]
    )
    return s.ServicePublic(
        id=svc.id,
        name=svc.name,
        description=svc.description,
        organisation=s.OrganisationSummary(id=org.id, name=org.name, website=org.website),
        categories=[
            s.Category(code=a.taxonomy_term.code, name=a.taxonomy_term.name)
            for a in attributes
            if a.taxonomy_term is not None
        ],
        phones=[
            s.PhonePublic(number=p.number, type=p.type, description=p.description)
            for p in svc.phones
        ],
        email=svc.email,
        url=svc.url or org.website,
        addresses=[
            s.AddressPublic(
                name=loc.name,
                address_1=a.address_1,
                city=a.city,
                postal_code=a.postal_code,
                latitude=loc.latitude,
                longitude=loc.longitude,
            )
            for loc in locations
            for a in loc.addresses
        ],
        opening_hours=[x.description for x in svc.schedules if x.description],
        areas_served=areas,
        national=national,
        accessibility=[
            a.description for loc in locations for a in loc.accessibility if a.description
        ],
        last_reviewed=svc.assured_date,
        source_url=svc.source_url,
        distance_km=None if distance_m is None else round(distance_m / 1000, 1),
        report_url=f"/api/services/{svc.id}/report",
    )


def search_public(
    session: Session,
    *,
    region: str | None,
    category: str | None,
    q: str | None,
    near: tuple[float, float] | None,
    cursor: str | None,
    limit: int,
) -> s.ServicesPage:
    """Active services for the website: filtered, then by name or, with near, nearest first."""
    where = ServiceFilters(search=q, active_only=True).clauses()
    if region:
        where.append(
            col(Service.id).in_(
                select(ServiceArea.service_id).where(
                    col(ServiceArea.region).in_([region, ALL_AREAS])
                )
            )
        )
    if category:
        term = select(TaxonomyTerm.id).where(TaxonomyTerm.code == category)
        if session.exec(term).first() is None:
            raise InvalidInput(f"Unknown category '{category[:40]}'.",
                code=ErrorCode.unknown_category, field="category")
        where.append(_term_ids_clause(term))
    candidates = session.exec(select(Service.id, Service.name).where(*where)).all()

    distances: dict[str, float] = {}
    if near is not None and candidates:
        for service_id, lat, lon in session.exec(
            select(ServiceAtLocation.service_id, Location.latitude, Location.longitude)
            .join(Location, col(Location.id) == ServiceAtLocation.location_id)
            .where(
                col(ServiceAtLocation.service_id).in_([c[0] for c in candidates]),
                col(Location.latitude).is_not(None),
                col(Location.longitude).is_not(None),
            )
        ).all():
            if lat is None or lon is None:
                continue
            d = haversine_m(near[0], near[1], lat, lon)
            distances[service_id] = min(d, distances.get(service_id, d))

    def key(row: Sequence[str]) -> list[Any]:
        if near is None:
            return [row[1].casefold(), row[0]]
        d = distances.get(row[0])
        # Services with a known place come first, nearest first; the rest follow by name.
        return [0 if d is not None else 1, round(d or 0.0, 1), row[1].casefold(), row[0]]

    ordered = sorted(candidates, key=key)
    if cursor:
        parts: tuple[cursors.Part, ...] = (
            ("int", "float", "str", "str") if near is not None else ("str", "str")
        )
        after = cursors.decode(cursor, parts)
        ordered = [row for row in ordered if key(row) > after]
    window = ordered[:limit]
    ids = [row[0] for row in window]
    services = load_services(session, ids)
    attributes = load_attributes(session, ids)
    items = [public_service(x, attributes[x.id], distances.get(x.id)) for x in services]
    next_cursor = cursors.encode(key(window[-1])) if len(ordered) > limit else None
    return s.ServicesPage(items=items, next_cursor=next_cursor, any_located=any_located(session))


def any_located(session: Session) -> bool:
    """Whether any active service has a place on the map (so 'nearest first' means something)."""
    located = (
        select(ServiceAtLocation.service_id)
        .join(Location, col(Location.id) == col(ServiceAtLocation.location_id))
        .join(Service, col(Service.id) == col(ServiceAtLocation.service_id))
        .where(
            col(Location.latitude).is_not(None),
            col(Location.longitude).is_not(None),
            Service.status == "active",
        )
        .limit(1)
    )
    return session.exec(located).first() is not None


def get_public(session: Session, service_id: str) -> s.ServicePublic:
    found = load_services(session, [service_id])
    if not found or found[0].status != "active":
        raise NotFound("No active service has that id.")
    return public_service(found[0], load_attributes(session, [service_id])[service_id])


# ---- helplines -----------------------------------------------------------------------------


def helpline(
    org_name: str,
    service_id: str | None,
    url: str | None,
    phone: tuple[str, str | None, str | None],
    hours: str | None,
) -> s.Helpline:
    number, kind, description = phone
    if kind == "text":
        how = description or f"Text {number}"
    else:
        how = f"Call {number}" + (f". {description}" if description else "")
    if hours:
        how = f"{how}. {hours}"
    return s.Helpline(
        name=org_name,
        service_id=service_id,
        how=how,
        phone=None if kind == "text" else number,
        text=number if kind == "text" else None,
        url=url,
        hours=hours,
    )


# The lines for anyone, any age, any time come first; lines for particular people follow.
_FIRST_HELPLINES = ("samaritans", "shout", "nhs")


def helpline_rank(organisation: str) -> int:
    org = organisation.casefold()
    return next(
        (i for i, name in enumerate(_FIRST_HELPLINES) if org.startswith(name)),
        len(_FIRST_HELPLINES),
    )


def _helpline_order(svc: Service) -> tuple[int, str, str]:
    org = svc.organization.name.casefold() if svc.organization else ""
    return helpline_rank(org), org, svc.name.casefold()


def crisis_helplines(session: Session) -> list[s.Helpline]:
    """National (all-areas) active crisis-support services with a number, from the directory."""
    crisis = select(TaxonomyTerm.id).where(TaxonomyTerm.code == CRISIS_CATEGORY)
    national = select(ServiceArea.service_id).where(ServiceArea.region == ALL_AREAS)
    ids = list(
        session.exec(
            select(Service.id)
            .where(
                Service.status == "active", _term_ids_clause(crisis), col(Service.id).in_(national)
            )
            .order_by(col(Service.name), col(Service.id))
        ).all()
    )
    out = []
    services = load_services(session, ids)
    for svc in sorted(services, key=_helpline_order):
        assert svc.organization is not None
        hours = next((x.description for x in svc.schedules if x.description), None)
        for p in svc.phones:
            out.append(
                helpline(
                    svc.organization.name,
                    svc.id,
                    svc.url or svc.organization.website,
                    (p.number, p.type, p.description),
                    hours,
                )
            )
    return out


def categories(session: Session) -> list[s.Category]:
    rows = session.exec(select(TaxonomyTerm).order_by(col(TaxonomyTerm.name))).all()
    return [s.Category(code=t.code, name=t.name) for t in rows]
