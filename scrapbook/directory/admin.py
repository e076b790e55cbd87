"""Directory administration: create, edit, review and retire entries, each step audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from scrapbook.audit.service import Action, Anonymous, Entity, record
from scrapbook.core.config import Settings
from scrapbook.core.errors import ErrorCode, InvalidInput, NotFound
from scrapbook.core.text import clean_text
from scrapbook.directory import oruk
from scrapbook.directory import schemas as s
from scrapbook.directory.service import get_service
from scrapbook.models import (
    Accessibility,
    Address,
    Attribute,
    Location,
    Moderator,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from scrapbook.vocabulary import ALL_AREAS, AREAS


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _diff(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply values to row; return {field: [old, new]} for the audit log (JSON-safe)."""
    changed = {}
    for key, value in values.items():
        old = getattr(row, key)
        if old != value:
            changed[key] = [_plain(old), _plain(value)]
            setattr(row, key, value)
    return changed


def _organization(session: Session, organization_id: str) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("No organisation has that id.")
    return org


def _service(session: Session, service_id: str) -> Service:
    svc = session.get(Service, service_id)
    if svc is None:
        raise NotFound("No service has that id.")
    return svc


def _clean_org(data: s.OrganizationCreate | s.OrganizationUpdate) -> dict[str, Any]:
    """The schema's types have cleaned and bounded the text (schemas.Name, Prose...); what is
    left is what must not be empty."""
    values = data.model_dump(exclude_unset=True)
    if "name" in values:
        if not values["name"]:
            raise InvalidInput("An organisation needs a name.",
                code=ErrorCode.missing_name, field="name")
    if "source_url" in values and not values["source_url"]:
        raise InvalidInput(
            "Every organisation keeps the address of the page its details came from.",
            code=ErrorCode.missing_source,
        )
    if "description" in values and values["description"] is None:
        values["description"] = ""
    if "notes" in values:
        values["notes"] = values["notes"] or None
    return values


def create_organization(
    session: Session, moderator: Moderator, data: s.OrganizationCreate
) -> s.OrganizationOut:
    values = _clean_org(data)
    org = Organization(id=oruk.new_id(), last_modified=_now(), **values)
    session.add(org)
    session.flush()
    record(
        session, Action.directory_create, Entity.organization, org.id, by=moderator,
        changes={"fields": {k: v for k, v in values.items() if v is not None}},
    )
    return oruk.organization_out(org)


def update_organization(
    session: Session, moderator: Moderator, organization_id: str, data: s.OrganizationUpdate
) -> s.OrganizationOut:
    org = _organization(session, organization_id)
    changed = _diff(org, _clean_org(data))
    if changed:
        org.last_modified = _now()
        record(session, Action.directory_edit, Entity.organization, org.id, by=moderator,
               changes={"fields": changed})
    session.flush()
    return oruk.organization_out(org)


def retire_organization(
    session: Session, moderator: Moderator, organization_id: str, data: s.RetireInput
) -> s.OrganizationOut:
    org = _organization(session, organization_id)
    now = _now()
    retired = list(
        session.exec(
            select(Service.id).where(
                col(Service.organization_id) == org.id, col(Service.status) != data.status
            )
        ).all()
    )
    if retired:
        session.execute(
            update(Service)
            .where(col(Service.id).in_(retired))
            .values(status=data.status, last_modified=now)
        )
    org.last_modified = now
    session.flush()
    record(
        session, Action.directory_retire, Entity.organization, org.id, by=moderator,
        reason=data.reason,
        changes={"status": data.status, "services": retired},
    )
    return oruk.organization_out(org)


def _category_ids(session: Session, codes: list[str]) -> dict[str, str]:
    found = dict(
        session.exec(
            select(TaxonomyTerm.code, TaxonomyTerm.id).where(col(TaxonomyTerm.code).in_(codes))
        ).all()
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            f"Unknown categories: {', '.join(m[:40] for m in missing[:5])}.",
            code=ErrorCode.unknown_category, field="category",
        )
    return found


def _check_areas(codes: list[str]) -> None:
    bad = [c for c in codes if c != ALL_AREAS and c not in AREAS]
    if bad:
        raise InvalidInput(
            f"Unknown areas: {', '.join(b[:48] for b in bad[:5])}; use the "
            f"region codes, or '{ALL_AREAS}' for a national service.",
            code=ErrorCode.unknown_region, field="region",
        )


def _replace_children(session: Session, svc: Service, data: s.ServiceFields) -> dict[str, Any]:
    """Lists given in the request replace the service's current ones."""
    changed: dict[str, Any] = {}
    sid = svc.id
    if data.categories is not None:
        ids = _category_ids(session, data.categories)
        session.execute(
            delete(Attribute).where(
                col(Attribute.link_id) == sid, col(Attribute.link_entity) == "service"
            )
        )
        session.add_all(
            Attribute(
                id=oruk.new_id(),
                link_id=sid,
                link_entity="service",
                link_type=oruk.CATEGORY_LINK_TYPE,
                taxonomy_term_id=ids[c],
            )
            for c in dict.fromkeys(data.categories)
        )
        changed["categories"] = data.categories
    if data.areas_served is not None:
        _check_areas(data.areas_served)
        session.execute(delete(ServiceArea).where(col(ServiceArea.service_id) == sid))
        session.add_all(
            ServiceArea(id=oruk.new_id(), service_id=sid, region=code, name=oruk.area_name(code))
            for code in dict.fromkeys(data.areas_served)
        )
        changed["areas_served"] = data.areas_served
    if data.phones is not None:
        session.execute(delete(Phone).where(col(Phone.service_id) == sid))
        session.add_all(
            Phone(
                id=oruk.new_id(),
                service_id=sid,
                number=p.number,
                type=p.type,
                description=p.description,
            )
            for p in data.phones
        )
        changed["phones"] = [p.model_dump() for p in data.phones]
    if data.schedule_description is not None:
        session.execute(delete(Schedule).where(col(Schedule.service_id) == sid))
        if data.schedule_description.strip():
            session.add(
                Schedule(
                    id=oruk.new_id(), service_id=sid, description=data.schedule_description.strip()
                )
            )
        changed["schedule_description"] = data.schedule_description
    if data.locations is not None:
        old = list(
            session.exec(
                select(ServiceAtLocation.location_id).where(
                    col(ServiceAtLocation.service_id) == sid
                )
            ).all()
        )
        session.execute(delete(ServiceAtLocation).where(col(ServiceAtLocation.service_id) == sid))
        # Locations made for this service alone go with it; shared ones stay.
        still_used = set(
            session.exec(
                select(ServiceAtLocation.location_id).where(
                    col(ServiceAtLocation.location_id).in_(old)
                )
            ).all()
        )
        orphans = [x for x in old if x not in still_used]
        if orphans:
            session.execute(delete(Location).where(col(Location.id).in_(orphans)))
        session.flush()
        for loc in data.locations:
            location = Location(
                id=oruk.new_id(),
                location_type="physical",
                organization_id=svc.organization_id,
                name=loc.name,
                latitude=loc.latitude,
                longitude=loc.longitude,
            )
            session.add(location)
            session.flush()
            if loc.address_1 or loc.city:
                session.add(
                    Address(
                        id=oruk.new_id(),
                        location_id=location.id,
                        address_1=loc.address_1,
                        city=loc.city,
                        postal_code=loc.postal_code,
                    )
                )
            if loc.accessibility:
                session.add(
                    Accessibility(
                        id=oruk.new_id(), location_id=location.id, description=loc.accessibility
                    )
                )
            session.add(
                ServiceAtLocation(id=oruk.new_id(), service_id=sid, location_id=location.id)
            )
        changed["locations"] = [loc.model_dump(exclude_none=True) for loc in data.locations]
    session.flush()
    return changed


_SCALARS = ("name", "description", "url", "email", "status", "source_url", "notes")


def _scalar_values(data: s.ServiceFields) -> dict[str, Any]:
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if k in _SCALARS}
    if "name" in values and not values["name"]:
        raise InvalidInput("A service needs a name.", code=ErrorCode.missing_name, field="name")
    if "description" in values:
        values["description"] = values["description"] or ""
    if values.get("status", "") is None:
        raise InvalidInput("status cannot be empty.", code=ErrorCode.missing_status, field="status")
    return values


def create_service(session: Session, moderator: Moderator, data: s.ServiceCreate) -> s.ServiceFull:
    _organization(session, data.organization_id)
    values = _scalar_values(data)
    svc = Service(
        id=oruk.new_id(),
        organization_id=data.organization_id,
        last_modified=_now(),
        assured_date=_now().date(),
        **values,
    )
    session.add(svc)
    session.flush()
    fields = _replace_children(session, svc, data)
    record(
        session, Action.directory_create, Entity.service, svc.id, by=moderator,
        changes={"fields": {**{k: v for k, v in values.items() if v is not None}, **fields}},
    )
    return get_service(session, svc.id)


def update_service(
    session: Session, moderator: Moderator, service_id: str, data: s.ServiceUpdate
) -> s.ServiceFull:
    svc = _service(session, service_id)
    changed: dict[str, Any] = _diff(svc, _scalar_values(data))
    changed.update(_replace_children(session, svc, data))
    if changed:
        svc.last_modified = _now()
        record(session, Action.directory_edit, Entity.service, svc.id, by=moderator,
               changes={"fields": changed})
    session.flush()
    session.expire(svc)
    return get_service(session, svc.id)


def review_service(
    session: Session, moderator: Moderator, service_id: str, data: s.ReviewInput
) -> s.ServiceFull:
    svc = _service(session, service_id)
    today = _now().date()
    values: dict[str, Any] = {"assured_date": today}
    if data.source_url:
        values["source_url"] = data.source_url
    changed = _diff(svc, values)
    svc.last_modified = _now()
    session.flush()
    record(
        session, Action.directory_review, Entity.service, svc.id, by=moderator,
        reason=data.note or None,
        changes={"fields": changed},
    )
    return get_service(session, svc.id)


def retire_service(
    session: Session, moderator: Moderator, service_id: str, data: s.RetireInput
) -> s.ServiceFull:
    svc = _service(session, service_id)
    changed = _diff(svc, {"status": data.status})
    svc.last_modified = _now()
    session.flush()
    record(
        session, Action.directory_retire, Entity.service, svc.id, by=moderator,
        reason=data.reason,
        changes={"fields": changed},
    )
    return get_service(session, svc.id)


def report_out_of_date(
    session: Session, settings: Settings, service_id: str, data: s.ReportInput
) -> s.ReportReceived:
    svc = _service(session, service_id)
    message = clean_text(data.message, field="message", max_len=settings.report_max, multiline=True)
    if not message:
        raise InvalidInput("Please say what is out of date.",
            code=ErrorCode.empty_report, field="message")
    record(session, Action.directory_report, Entity.service, svc.id, by=Anonymous.visitor,
           reason=message)
    return s.ReportReceived()
