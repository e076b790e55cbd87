"""The support directory, shaped like Open Referral UK 3.0 (HSDS 3 UK profile).

Table and column names follow the standard so the ORUK API and the import/export are plain
mappings. Ids are ORUK ids (UUID strings). Columns outside the standard are marked as
Scrapbook extensions: `source_url` and `notes` (provenance), `service_area.region` (our region
code), `taxonomy_term.code` (a stable slug, published as ORUK `term`).
"""

import datetime as dt
from typing import Optional

from sqlalchemy import Column, Float, ForeignKey, String, Text
from sqlmodel import Field, Relationship, SQLModel

ID = 36  # a UUID in its canonical text form

_RAISE = {"lazy": "raise"}
_CHILDREN = {"lazy": "raise", "cascade": "all, delete-orphan", "passive_deletes": True}


def _fk(target: str, *, nullable: bool = True, ondelete: str = "CASCADE") -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(String(ID), ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


class Taxonomy(SQLModel, table=True):
    __tablename__ = "taxonomy"

    id: str = Field(primary_key=True, max_length=ID)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    uri: str | None = Field(default=None, max_length=500)
    version: str | None = Field(default=None, max_length=50)

    terms: list["TaxonomyTerm"] = Relationship(
        back_populates="taxonomy_ref",
        sa_relationship_kwargs={**_CHILDREN, "order_by": "TaxonomyTerm.name"},
    )


class TaxonomyTerm(SQLModel, table=True):
    __tablename__ = "taxonomy_term"

    id: str = Field(primary_key=True, max_length=ID)
    # Extension: a stable slug for the website's ?category= filter; published as ORUK `term`.
    code: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    parent_id: str | None = Field(
        default=None, sa_column=_fk("taxonomy_term.id", ondelete="SET NULL")
    )
    taxonomy: str | None = Field(default=None, max_length=200)
    taxonomy_id: str | None = Field(default=None, sa_column=_fk("taxonomy.id"))
    term_uri: str | None = Field(default=None, max_length=500)

    taxonomy_ref: Optional["Taxonomy"] = Relationship(
        back_populates="terms", sa_relationship_kwargs=_RAISE
    )


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: str = Field(primary_key=True, max_length=ID)
    name: str = Field(max_length=300, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=500)
    logo: str | None = Field(default=None, max_length=500)
    uri: str | None = Field(default=None, max_length=500)
    parent_organization_id: str | None = Field(
        default=None, sa_column=_fk("organization.id", ondelete="SET NULL")
    )
    # Extensions: where the details came from, and reviewers' notes on provenance.
    source_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_modified: dt.datetime

    services: list["Service"] = Relationship(
        back_populates="organization",
        sa_relationship_kwargs={"lazy": "raise", "order_by": "Service.name"},
    )


class Service(SQLModel, table=True):
    __tablename__ = "service"

    id: str = Field(primary_key=True, max_length=ID)
    organization_id: str = Field(
        sa_column=Column(
            String(ID),
            ForeignKey("organization.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        )
    )
    name: str = Field(max_length=300, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    url: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=254)
    status: str = Field(default="active", max_length=24, index=True)
    fees: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    accreditations: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    minimum_age: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    maximum_age: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # The day the details were last checked against their source ("last reviewed").
    assured_date: dt.date | None = None
    assurer_email: str | None = Field(default=None, max_length=254)
    alert: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_modified: dt.datetime = Field(index=True)
    source_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    organization: Optional["Organization"] = Relationship(
        back_populates="services", sa_relationship_kwargs=_RAISE
    )
    phones: list["Phone"] = Relationship(
        sa_relationship_kwargs={
            **_CHILDREN,
            "order_by": "Phone.id",
            "primaryjoin": "Service.id == Phone.service_id",
        },
    )
    contacts: list["Contact"] = Relationship(
        sa_relationship_kwargs={**_CHILDREN, "order_by": "Contact.id"},
    )
    schedules: list["Schedule"] = Relationship(
        sa_relationship_kwargs={**_CHILDREN, "order_by": "Schedule.id"},
    )
    service_areas: list["ServiceArea"] = Relationship(
        sa_relationship_kwargs={**_CHILDREN, "order_by": "ServiceArea.id"},
    )
    service_at_locations: list["ServiceAtLocation"] = Relationship(
        back_populates="service",
        sa_relationship_kwargs={**_CHILDREN, "order_by": "ServiceAtLocation.id"},
    )


class Location(SQLModel, table=True):
    __tablename__ = "location"

    id: str = Field(primary_key=True, max_length=ID)
    location_type: str = Field(default="physical", max_length=16)
    organization_id: str | None = Field(
        default=None, sa_column=_fk("organization.id", ondelete="SET NULL")
    )
    name: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    external_identifier: str | None = Field(default=None, max_length=100)
    external_identifier_type: str | None = Field(default=None, max_length=50)

    addresses: list["Address"] = Relationship(
        sa_relationship_kwargs={**_CHILDREN, "order_by": "Address.id"},
    )
    accessibility: list["Accessibility"] = Relationship(
        sa_relationship_kwargs={**_CHILDREN, "order_by": "Accessibility.id"},
    )


class Address(SQLModel, table=True):
    __tablename__ = "address"

    id: str = Field(primary_key=True, max_length=ID)
    location_id: str = Field(sa_column=_fk("location.id", nullable=False))
    attention: str | None = Field(default=None, max_length=200)
    address_1: str = Field(default="", max_length=300)
    address_2: str | None = Field(default=None, max_length=300)
    city: str = Field(default="", max_length=100)
    region: str | None = Field(default=None, max_length=100)
    state_province: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=16)
    country: str = Field(default="GB", max_length=2)
    address_type: str = Field(default="physical", max_length=16)


class Accessibility(SQLModel, table=True):
    __tablename__ = "accessibility"

    id: str = Field(primary_key=True, max_length=ID)
    location_id: str = Field(sa_column=_fk("location.id", nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    details: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    url: str | None = Field(default=None, max_length=500)


class ServiceAtLocation(SQLModel, table=True):
    __tablename__ = "service_at_location"

    id: str = Field(primary_key=True, max_length=ID)
    service_id: str = Field(sa_column=_fk("service.id", nullable=False))
    location_id: str = Field(sa_column=_fk("location.id", nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    service: Optional["Service"] = Relationship(
        back_populates="service_at_locations", sa_relationship_kwargs=_RAISE
    )
    location: Optional["Location"] = Relationship(sa_relationship_kwargs=_RAISE)


class Phone(SQLModel, table=True):
    __tablename__ = "phone"

    id: str = Field(primary_key=True, max_length=ID)
    service_id: str | None = Field(default=None, sa_column=_fk("service.id"))
    organization_id: str | None = Field(default=None, sa_column=_fk("organization.id"))
    location_id: str | None = Field(default=None, sa_column=_fk("location.id"))
    contact_id: str | None = Field(default=None, sa_column=_fk("contact.id"))
    number: str = Field(max_length=50)
    extension: str | None = Field(default=None, max_length=20)
    # HSDS 3 phone type: voice, text, textphone, ...
    type: str | None = Field(default=None, max_length=16)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Contact(SQLModel, table=True):
    __tablename__ = "contact"

    id: str = Field(primary_key=True, max_length=ID)
    service_id: str | None = Field(default=None, sa_column=_fk("service.id"))
    organization_id: str | None = Field(default=None, sa_column=_fk("organization.id"))
    name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)


class Schedule(SQLModel, table=True):
    __tablename__ = "schedule"

    id: str = Field(primary_key=True, max_length=ID)
    service_id: str | None = Field(default=None, sa_column=_fk("service.id"))
    service_at_location_id: str | None = Field(
        default=None, sa_column=_fk("service_at_location.id")
    )
    valid_from: str | None = Field(default=None, max_length=10)
    valid_to: str | None = Field(default=None, max_length=10)
    dtstart: str | None = Field(default=None, max_length=10)
    freq: str | None = Field(default=None, max_length=8)
    interval: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    byday: str | None = Field(default=None, max_length=50)
    bymonthday: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    opens_at: str | None = Field(default=None, max_length=16)
    closes_at: str | None = Field(default=None, max_length=16)
    schedule_link: str | None = Field(default=None, max_length=500)
    attending_type: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ServiceArea(SQLModel, table=True):
    __tablename__ = "service_area"

    id: str = Field(primary_key=True, max_length=ID)
    service_id: str = Field(sa_column=_fk("service.id", nullable=False))
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    extent: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    extent_type: str | None = Field(default=None, max_length=32)
    uri: str | None = Field(default=None, max_length=500)
    # Extension: the region code (scrapbook.vocabulary.REGIONS), or "all" for a
    # national service that serves every South West area; None for an area we cannot map.
    region: str | None = Field(default=None, max_length=48, index=True)


class Attribute(SQLModel, table=True):
    """Links a taxonomy term to any entity; the directory uses it for service categories."""

    __tablename__ = "attribute"

    id: str = Field(primary_key=True, max_length=ID)
    link_id: str = Field(max_length=ID, index=True)
    link_type: str | None = Field(default=None, max_length=50)
    link_entity: str = Field(default="service", max_length=32)
    taxonomy_term_id: str = Field(sa_column=_fk("taxonomy_term.id", nullable=False))
    value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    label: str | None = Field(default=None, max_length=200)

    taxonomy_term: Optional["TaxonomyTerm"] = Relationship(sa_relationship_kwargs=_RAISE)
