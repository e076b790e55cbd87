"""The public read side. Every public read starts from `public_contributions()`, which holds
the one visibility rule (`publication.is_public()`)."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from scrapbook.audit.service import Action, Anonymous, Entity, record
from scrapbook.contributions.schemas import ContributionPublic
from scrapbook.core import cursor as cursors
from scrapbook.core.config import Settings
from scrapbook.core.errors import ErrorCode, InvalidInput, NotFound
from scrapbook.core.security import is_public_id
from scrapbook.core.text import clean_text
from scrapbook.gallery import search
from scrapbook.gallery.publication import is_public
from scrapbook.gallery.schemas import GalleryPage
from scrapbook.models import Contribution, ContributionTag, MediaAsset


def public_contributions() -> SelectOfScalar[Contribution]:
    """Every public read starts here: contributions for which `is_public()` holds."""
    return (
        select(Contribution)
        .where(is_public())
        .options(
            selectinload(Contribution.media).selectinload(MediaAsset.variants),  # type: ignore[arg-type]
            selectinload(Contribution.tag_links),  # type: ignore[arg-type]
        )
    )


def list_gallery(
    session: Session,
    *,
    kind: str | None = None,
    form: str | None = None,
    region: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    limit: int,
    cursor: str | None = None,
    media_base: str = "",
) -> GalleryPage:
    stmt = public_contributions()
    if kind:
        stmt = stmt.where(Contribution.kind == kind)
    if form:
        stmt = stmt.where(Contribution.form == form)
    if region:
        stmt = stmt.where(Contribution.region == region)
    if tag:
        stmt = stmt.where(
            exists().where(
                col(ContributionTag.contribution_pk) == col(Contribution.pk),
                col(ContributionTag.tag) == tag.strip().lower().lstrip("#"),
            )
        )
    if q and (clause := search.matches(session, q)) is not None:
        stmt = stmt.where(clause)
    if cursor:
        seq, last_id = cursors.decode(cursor, ("int", "id"))
        published = col(Contribution.published_seq)
        stmt = stmt.where(
            or_(published < seq, and_(published == seq, col(Contribution.id) < last_id))
        )
    stmt = stmt.order_by(col(Contribution.published_seq).desc(), col(Contribution.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursors.encode([rows[-1].published_seq, rows[-1].id]) if more and rows else None
    items = [ContributionPublic.of(c, media_base) for c in rows]
    return GalleryPage(items=items, next_cursor=next_cursor)


def get_public_row(session: Session, contribution_id: str) -> Contribution:
    missing = NotFound("There is no published contribution with this id.")
    if not is_public_id(contribution_id):
        raise missing
    found = session.exec(public_contributions().where(Contribution.id == contribution_id)).first()
    if found is None:
        raise missing
    return found


def get_public(session: Session, contribution_id: str, media_base: str = "") -> ContributionPublic:
    return ContributionPublic.of(get_public_row(session, contribution_id), media_base)


def tags_in_use(session: Session, limit: int = 200) -> list[str]:
    approved = select(Contribution.pk).where(is_public())
    stmt = (
        select(ContributionTag.tag)
        .where(col(ContributionTag.contribution_pk).in_(approved))
        .distinct()
        .order_by(ContributionTag.tag)
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def report(session: Session, settings: Settings, contribution_id: str, message: str) -> None:
    """A visitor tells the moderators something is wrong with a published contribution."""
    found = get_public_row(session, contribution_id)
    text = clean_text(message, field="message", max_len=settings.report_max)
    if not text:
        raise InvalidInput("Please say what is wrong.",
            code=ErrorCode.message_required, field="message")
    # No client details, and the day only: reporting is as anonymous as contributing.
    record(session, Action.reported, Entity.contribution, found.id, by=Anonymous.visitor,
           reason=text)
    session.flush()
