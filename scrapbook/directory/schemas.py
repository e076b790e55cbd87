"""Directory schemas: ORUK 3.0 objects (API, export, import), the website's view, admin input.

The ORUK models serve three uses. The API and the export build them from rows; the import
validates files with them. Format checks (UUID ids, e-mail, http(s) URLs, dates) run only when
validating with the `strict` context, so rows already stored can never turn a read into a 500.
None values are left out of every ORUK response: the standard's fields are typed `string`, not
nullable.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from scrapbook.core.errors import InvalidInput
from scrapbook.core.openapi import limit
from scrapbook.core.text import clean_text, has_hidden_characters, plain_email

STRICT = {"strict": True}
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)


def _strict(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("strict"))


def _require_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a UUID") from None


def _require_email(value: str) -> str:
    return plain_email(value)


def _require_url(value: str) -> str:
    if has_hidden_characters(value) or not _URL.match(value):
        raise ValueError("must be an http(s) URL")
    return value


def _require_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date, YYYY-MM-DD") from None
    return value


def _when_strict(check: Callable[[str], str]) -> AfterValidator:
    def validate(value: str, info: ValidationInfo) -> str:
        return check(value) if _strict(info) else value

    return AfterValidator(validate)


# Checked when importing (strict context); taken as stored when building responses.
Id = Annotated[str, _when_strict(_require_uuid)]
Email = Annotated[str, Field(max_length=254), _when_strict(_require_email)]
Url = Annotated[str, Field(max_length=500), _when_strict(_require_url)]
Day = Annotated[str, _when_strict(_require_date)]
# Admin input is always checked.
CheckedEmail = Annotated[str, Field(max_length=254), AfterValidator(_require_email)]
CheckedUrl = Annotated[str, Field(max_length=500), AfterValidator(_require_url)]


def _cleaned(max_len: int, *, multiline: bool = False, required: bool = False) -> BeforeValidator:
    """Admin text is cleaned like contributions' (scrapbook.core.text.clean_text) before any
    other check; `required` text that is empty once cleaned is refused. (Names are refused by
    the admin service, with their own error code.)"""

    def clean(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        field = info.field_name or "text"
        try:
            text = clean_text(value, field=field, max_len=max_len, multiline=multiline)
        except InvalidInput as exc:
            raise PydanticCustomError("invalid_text", exc.detail) from None
        if required and not text:
            raise PydanticCustomError(
                "missing_text", f"{field} is empty once hidden characters and markup are removed"
            )
        return text

    return BeforeValidator(clean)


# Cleaned admin text, single-line (Line) or keeping its line breaks (Prose), at most N chars.
Line16 = Annotated[str, _cleaned(16), Field(max_length=16)]
Line50 = Annotated[str, _cleaned(50), Field(max_length=50)]
Line100 = Annotated[str, _cleaned(100), Field(max_length=100)]
Line300 = Annotated[str, _cleaned(300), Field(max_length=300)]
Line500 = Annotated[str, _cleaned(500), Field(max_length=500)]
Line1000 = Annotated[str, _cleaned(1_000), Field(max_length=1_000)]
Line2000 = Annotated[str, _cleaned(2_000), Field(max_length=2_000)]
Prose4000 = Annotated[str, _cleaned(4_000, multiline=True), Field(max_length=4_000)]
Prose10000 = Annotated[str, _cleaned(10_000, multiline=True), Field(max_length=10_000)]
Needed50 = Annotated[str, _cleaned(50, required=True), Field(min_length=1, max_length=50)]
Needed1000 = Annotated[str, _cleaned(1_000, required=True), Field(min_length=1, max_length=1_000)]
Name = Line300
Code = Line100


class Oruk(BaseModel):
    # Fields we do not store (languages, funding, cost options...) are ignored on import.
    model_config = ConfigDict(extra="ignore")


class TaxonomyTermOut(Oruk):
    id: Id
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    parent_id: Id | None = None
    taxonomy: str | None = Field(default=None, max_length=200)
    taxonomy_id: Id | None = None
    term_uri: Url | None = None
    # ORUK `term`: Scrapbook publishes its stable category code here.
    term: str | None = Field(default=None, max_length=100)


class TaxonomyOut(Oruk):
    id: Id
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    uri: Url | None = None
    version: str | None = Field(default=None, max_length=50)
    taxonomy_terms: list[TaxonomyTermOut] | None = None


class AttributeOut(Oruk):
    id: Id
    link_id: Id | None = None
    link_type: str | None = Field(default=None, max_length=50)
    link_entity: str | None = Field(default=None, max_length=32)
    taxonomy_term_id: Id | None = None
    value: str | None = None
    label: str | None = Field(default=None, max_length=200)
    taxonomy_term: TaxonomyTermOut | None = None


class PhoneOut(Oruk):
    id: Id
    service_id: Id | None = None
    organization_id: Id | None = None
    location_id: Id | None = None
    contact_id: Id | None = None
    number: str = Field(min_length=1, max_length=50)
    extension: str | None = Field(default=None, max_length=20)
    type: str | None = Field(default=None, max_length=16)
    description: str | None = None


class ContactOut(Oruk):
    id: Id
    service_id: Id | None = None
    organization_id: Id | None = None
    name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    email: Email | None = None


class ScheduleOut(Oruk):
    id: Id
    service_id: Id | None = None
    service_at_location_id: Id | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None
    dtstart: Day | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: float | None = None
    byday: str | None = Field(default=None, max_length=50)
    bymonthday: str | None = Field(default=None, max_length=100)
    description: str | None = None
    opens_at: str | None = Field(default=None, max_length=16)
    closes_at: str | None = Field(default=None, max_length=16)
    schedule_link: Url | None = None
    attending_type: str | None = Field(default=None, max_length=200)
    notes: str | None = None


class ServiceAreaOut(Oruk):
    id: Id
    service_id: Id | None = None
    name: str | None = Field(default=None, max_length=200)
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = Field(default=None, max_length=32)
    uri: str | None = Field(default=None, max_length=500)


class AddressOut(Oruk):
    id: Id
    location_id: Id | None = None
    attention: str | None = Field(default=None, max_length=200)
    address_1: str = Field(max_length=300)
    address_2: str | None = Field(default=None, max_length=300)
    city: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=100)
    state_province: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=16)
    country: str = Field(default="GB", min_length=2, max_length=2)
    address_type: Literal["physical", "postal", "virtual"] = "physical"


class AccessibilityOut(Oruk):
    id: Id
    location_id: Id | None = None
    description: str | None = None
    details: str | None = None
    url: Url | None = None


class LocationBase(Oruk):
    id: Id
    location_type: Literal["physical", "postal", "virtual"] = "physical"
    organization_id: Id | None = None
    name: str | None = Field(default=None, max_length=300)
    description: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    external_identifier: str | None = Field(default=None, max_length=100)
    external_identifier_type: str | None = Field(default=None, max_length=50)


class LocationOut(LocationBase):
    addresses: list[AddressOut] = []
    accessibility: list[AccessibilityOut] = []


class OrganizationOut(Oruk):
    id: Id
    name: str = Field(min_length=1, max_length=300)
    description: str = ""
    email: Email | None = None
    website: Url | None = None
    logo: str | None = Field(default=None, max_length=500)
    uri: Url | None = None
    parent_organization_id: Id | None = None
    # Scrapbook extension: where these details were sourced.
    source_url: str | None = None


class ServiceBase(Oruk):
    id: Id
    organization_id: Id | None = None
    name: str = Field(min_length=1, max_length=300)
    description: str = ""
    url: Url | None = None
    email: Email | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"] = "active"
    fees: str | None = None
    accreditations: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    assured_date: Day | None = None
    assurer_email: Email | None = None
    alert: str | None = None
    last_modified: dt.datetime | None = None
    source_url: str | None = None

    @field_validator("last_modified")
    @classmethod
    def _aware(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            if _strict(info):
                raise ValueError("must carry a timezone, e.g. 2026-11-25T00:00:00Z")
            value = value.replace(tzinfo=dt.UTC)
        return value


class ServiceListItem(ServiceBase):
    organization: OrganizationOut | None = None


class ServiceMinimal(Oruk):
    """`minimal=true`: id and last_modified, plus the name and status every item must carry."""

    id: str
    name: str
    status: str
    last_modified: dt.datetime | None = None


class ServiceNested(ServiceBase):
    """A service with all its related data, but without its organization (used inside one)."""

    schedules: list[ScheduleOut] = []
    service_areas: list[ServiceAreaOut] = []
    service_at_locations: list[ServiceAtLocationFull] = []
    # HSDS 3.0 service.phones; the UK profile's compiled schema leaves it out but allows it.
    phones: list[PhoneOut] = []
    contacts: list[ContactOut] = []
    attributes: list[AttributeOut] = []
    # Scrapbook extension, only in exports: reviewers' provenance notes.
    notes: str | None = None


class ServiceFull(ServiceNested):
    organization: OrganizationOut | None = None


class ServiceAtLocationFull(Oruk):
    id: Id
    service_id: Id | None = None
    location_id: Id | None = None
    description: str | None = None
    location: LocationOut


class ServiceAtLocationListItem(Oruk):
    id: str
    service_id: str
    location_id: str
    location: LocationBase
    service: ServiceListItem
    # Scrapbook extension: metres from the point given, when searching by proximity.
    distance: float | None = None


class ServiceAtLocationDetail(Oruk):
    id: str
    service_id: str
    location_id: str
    description: str | None = None
    location: LocationOut
    service: ServiceFull


class OrganizationWithServices(OrganizationOut):
    notes: str | None = None
    last_modified: dt.datetime | None = None
    services: list[ServiceNested] = []


class DirectoryDocument(Oruk):
    """The import/export file: ORUK organizations with their fully nested services."""

    version: str = "3.0"
    profile: str | None = None
    taxonomies: list[TaxonomyOut] = []
    organizations: list[OrganizationWithServices] = []


ServiceNested.model_rebuild()
ServiceFull.model_rebuild()


class Page(BaseModel, Generic[T]):
    """The ORUK page envelope."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


class ApiInfo(BaseModel):
    version: str
    profile: str
    openapi_url: str


# ---- The website's view -------------------------------------------------------------------


class Category(BaseModel):
    code: str
    name: str


class Area(BaseModel):
    code: str
    name: str


class OrganisationSummary(BaseModel):
    id: str
    name: str
    website: str | None


class PhonePublic(BaseModel):
    number: str
    type: str | None
    description: str | None


class AddressPublic(BaseModel):
    name: str | None
    address_1: str
    city: str
    postal_code: str
    latitude: float | None
    longitude: float | None


class ServicePublic(BaseModel):
    id: str
    name: str
    description: str
    organisation: OrganisationSummary
    categories: list[Category]
    phones: list[PhonePublic]
    email: str | None
    url: str | None
    addresses: list[AddressPublic]
    opening_hours: list[str]
    areas_served: list[Area]
    national: bool
    accessibility: list[str]
    last_reviewed: dt.date | None
    source_url: str | None
    distance_km: float | None = None
    # Where a visitor can tell us a detail is out of date.
    report_url: str


class ServicesPage(BaseModel):
    items: list[ServicePublic]
    next_cursor: str | None
    any_located: bool = Field(
        description="True when some active service has coordinates, so `near` can order them."
    )


class Helpline(BaseModel):
    name: str
    service_id: str | None
    how: str
    phone: str | None = None
    text: str | None = None
    url: str | None
    hours: str | None


# ---- Admin input --------------------------------------------------------------------------


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Prose10000 = ""
    email: CheckedEmail | None = None
    website: CheckedUrl | None = None
    source_url: CheckedUrl | None = None
    notes: Prose4000 | None = None


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Prose10000 | None = None
    email: CheckedEmail | None = None
    website: CheckedUrl | None = None
    source_url: CheckedUrl | None = None
    notes: Prose4000 | None = None


class PhoneInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Needed50
    type: Literal["voice", "text", "textphone", "fax"] = "voice"
    description: Line500 | None = None


class LocationInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    address_1: Line300 = ""
    city: Line100 = ""
    postal_code: Line16 = ""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accessibility: Line2000 | None = None


class ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Prose10000 | None = None
    url: CheckedUrl | None = None
    email: CheckedEmail | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"] | None = None
    categories: list[Code] | None = Field(default=None, max_length=20)
    areas_served: list[Code] | None = Field(default=None, max_length=20)
    phones: list[PhoneInput] | None = Field(default=None, max_length=10)
    schedule_description: Line1000 | None = None
    locations: list[LocationInput] | None = Field(default=None, max_length=20)
    source_url: CheckedUrl | None = None
    notes: Prose4000 | None = None


class ServiceCreate(ServiceFields):
    organization_id: str
    name: Name
    source_url: CheckedUrl  # every entry says where it came from


class ServiceUpdate(ServiceFields):
    pass


class RetireInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Needed1000
    status: Literal["inactive", "defunct"] = "defunct"


class ReviewInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_url: CheckedUrl | None = None
    note: Line1000 | None = None


def strict_validate(model: type[M], data: Any) -> M:
    return model.model_validate(data, context=STRICT)


class ReportInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1,
        description="What is out of date, e.g. 'the phone number has changed'.",
        json_schema_extra=limit("report_max"),
    )


class ReportReceived(BaseModel):
    received: bool = True
    detail: str = "Thank you. Someone will check these details against their source."
