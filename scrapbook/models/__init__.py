"""All tables, imported here so Alembic and the app see the whole schema."""

from scrapbook.core import db as _db  # noqa: F401  (naming convention before any table)
from scrapbook.models.audit import AuditEvent
from scrapbook.models.contribution import Contribution, ContributionTag
from scrapbook.models.directory import (
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
from scrapbook.models.job_lock import JobLock
from scrapbook.models.media import MediaAsset, MediaVariant
from scrapbook.models.moderator import Moderator, ModeratorSession
from scrapbook.models.rate_hit import RateHit
from scrapbook.models.upload import Upload

__all__ = [
    "Accessibility",
    "Address",
    "Attribute",
    "Contact",
    "Location",
    "Organization",
    "Phone",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "Taxonomy",
    "TaxonomyTerm",
    "AuditEvent",
    "Contribution",
    "ContributionTag",
    "JobLock",
    "MediaAsset",
    "MediaVariant",
    "Moderator",
    "ModeratorSession",
    "RateHit",
    "Upload",
]
