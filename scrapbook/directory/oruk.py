"""Mapping between directory rows and ORUK 3.0 objects, and the ids and area names they use."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import TypeVar

from scrapbook.directory import schemas as s
from scrapbook.models import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from scrapbook.vocabulary import ALL_AREAS, AREAS

ORUK_VERSION = "3.0"
PROFILE_URL = "https://openreferraluk.org/"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/openapi.json"

# Seed ids are UUIDv5 of a readable key in this namespace, so they are the same on every
# install and re-loading the seed updates rows instead of duplicating them.
NAMESPACE = uuid.UUID("3c7f0c52-5a44-4f0e-9d4e-2b1f6f1d8a11")

ALL_AREAS_NAME = "All South West areas (national service)"
CATEGORY_LINK_TYPE = "category"
T = TypeVar("T")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def new_id() -> str:
    return str(uuid.uuid4())


def area_name(region: str | None, fallback: str | None = None) -> str | None:
    if region == ALL_AREAS:
        return ALL_AREAS_NAME
    return AREAS.get(region or "", fallback)


def area_code(name: str | None) -> str | None:
    """The region code for a service_area name, so imported ORUK data joins our filters."""
    if not name:
        return None
    wanted = name.strip().casefold()
    if wanted == ALL_AREAS_NAME.casefold():
        return ALL_AREAS
    for code, label in AREAS.items():
        if label.casefold() == wanted or code == wanted:
            return code
    return None


def by_id(rows: Iterable[T]) -> list[T]:
    """Children in id order, sorted here so every database gives the same order."""
    return sorted(rows, key=lambda row: row.id)  # type: ignore[attr-defined]


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# ---- rows -> ORUK ----------------------------------------------------------------------------


def term_out(term: TaxonomyTerm) -> s.TaxonomyTermOut:
    return s.TaxonomyTermOut(
        id=term.id,
        name=term.name,
        description=term.description,
        parent_id=term.parent_id,
        taxonomy=term.taxonomy,
        taxonomy_id=term.taxonomy_id,
        term_uri=term.term_uri,
        term=term.code,
    )


def taxonomy_out(taxonomy: Taxonomy, terms: Sequence[TaxonomyTerm] | None = None) -> s.TaxonomyOut:
    return s.TaxonomyOut(
        id=taxonomy.id,
        name=taxonomy.name,
        description=taxonomy.description,
        uri=taxonomy.uri,
        version=taxonomy.version,
        taxonomy_terms=None if terms is None else [term_out(t) for t in terms],
    )


def organization_out(org: Organization) -> s.OrganizationOut:
    return s.OrganizationOut(
        id=org.id,
        name=org.name,
        description=org.description,
        email=org.email,
        website=org.website,
        logo=org.logo,
        uri=org.uri,
        parent_organization_id=org.parent_organization_id,
        source_url=org.source_url,
    )


def _service_fields(svc: Service) -> dict[str, object]:
    return {
        "id": svc.id,
        "organization_id": svc.organization_id,
        "name": svc.name,
        "description": svc.description,
        "url": svc.url,
        "email": svc.email,
        "status": svc.status,
        "fees": svc.fees,
        "accreditations": svc.accreditations,
        "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age,
        "assured_date": svc.assured_date.isoformat() if svc.assured_date else None,
        "assurer_email": svc.assurer_email,
        "alert": svc.alert,
        "last_modified": utc(svc.last_modified),
        "source_url": svc.source_url,
    }


def service_list_item(svc: Service) -> s.ServiceListItem:
    assert svc.organization is not None
    return s.ServiceListItem(
        **_service_fields(svc),  # type: ignore[arg-type]
        organization=organization_out(svc.organization),
    )


def service_minimal(svc: Service) -> s.ServiceMinimal:
    return s.ServiceMinimal(
        id=svc.id, name=svc.name, status=svc.status, last_modified=utc(svc.last_modified)
    )


def location_base(loc: Location) -> s.LocationBase:
    return s.LocationBase(
        id=loc.id,
        location_type=loc.location_type,  # type: ignore[arg-type]
        organization_id=loc.organization_id,
        name=loc.name,
        description=loc.description,
        latitude=loc.latitude,
        longitude=loc.longitude,
        external_identifier=loc.external_identifier,
        external_identifier_type=loc.external_identifier_type,
    )


def location_out(loc: Location) -> s.LocationOut:
    return s.LocationOut(
        **location_base(loc).model_dump(),
        addresses=[
            s.AddressOut.model_validate(a, from_attributes=True) for a in by_id(loc.addresses)
        ],
        accessibility=[
            s.AccessibilityOut.model_validate(a, from_attributes=True)
            for a in by_id(loc.accessibility)
        ],
    )


def sal_full(sal: ServiceAtLocation) -> s.ServiceAtLocationFull:
    assert sal.location is not None
    return s.ServiceAtLocationFull(
        id=sal.id,
        service_id=sal.service_id,
        location_id=sal.location_id,
        description=sal.description,
        location=location_out(sal.location),
    )


def attribute_out(attr: Attribute) -> s.AttributeOut:
    return s.AttributeOut(
        id=attr.id,
        link_id=attr.link_id,
        link_type=attr.link_type,
        link_entity=attr.link_entity,
        taxonomy_term_id=attr.taxonomy_term_id,
        value=attr.value,
        label=attr.label,
        taxonomy_term=term_out(attr.taxonomy_term) if attr.taxonomy_term else None,
    )


def service_nested(
    svc: Service, attributes: Sequence[Attribute], *, notes: bool = False
) -> s.ServiceNested:
    return s.ServiceNested(
        **_service_fields(svc),  # type: ignore[arg-type]
        schedules=[
            s.ScheduleOut.model_validate(x, from_attributes=True) for x in by_id(svc.schedules)
        ],
        service_areas=[
            s.ServiceAreaOut.model_validate(x, from_attributes=True)
            for x in by_id(svc.service_areas)
        ],
        service_at_locations=[sal_full(x) for x in by_id(svc.service_at_locations)],
        phones=[s.PhoneOut.model_validate(x, from_attributes=True) for x in by_id(svc.phones)],
        contacts=[
            s.ContactOut.model_validate(x, from_attributes=True) for x in by_id(svc.contacts)
        ],
        attributes=[attribute_out(a) for a in by_id(attributes)],
        notes=svc.notes if notes else None,
    )


def service_full(svc: Service, attributes: Sequence[Attribute]) -> s.ServiceFull:
    assert svc.organization is not None
    return s.ServiceFull(
        **service_nested(svc, attributes).model_dump(),
        organization=organization_out(svc.organization),
    )
