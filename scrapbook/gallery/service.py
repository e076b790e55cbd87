"""The public read side. Every public read starts from `public_page_rows()` (or, where the
row itself is needed, `public_contributions()`), which hold the one visibility rule
(`publication.is_public()`).

Pages are built without ORM objects: the public columns in one select, then tags, media and
variants in one query each, straight into JSON bytes (pydantic-core's encoder, the one the
response models use). The public page cache (core/public_reads.py) keeps the bytes."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Connection, Row, Select, bindparam, exists, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from scrapbook.audit.service import Action, Anonymous, Entity, record
from scrapbook.contributions.schemas import ContributionPublic, MediaPublic, media_url
from scrapbook.core import cursor as cursors
from scrapbook.core.config import Settings
from scrapbook.core.errors import ErrorCode, InvalidInput, NotFound
from scrapbook.core.security import is_public_id
from scrapbook.core.text import clean_text
from scrapbook.gallery import search
from scrapbook.gallery.publication import is_public
from scrapbook.models import Contribution, ContributionTag, MediaAsset, MediaVariant
from scrapbook.vocabulary import Kind


def public_contributions() -> SelectOfScalar[Contribution]:
    """Public contributions as ORM rows (with media and tags), for the few reads that need
    the row itself (a visitor's report). Pages are read by `public_page_rows()`."""
    return (
        select(Contribution)
        .where(is_public())
        .options(
            selectinload(Contribution.media).selectinload(MediaAsset.variants),  # type: ignore[arg-type]
            selectinload(Contribution.tag_links),  # type: ignore[arg-type]
        )
    )


# The public rung's fields, read straight from their columns: a page is built from these and
# nothing else, so nothing private can reach it (contributions/schemas.py is the one list).
_ITEM_FIELDS = [name for name in ContributionPublic.model_fields if name not in ("tags", "media")]
_MEDIA_FIELDS = [name for name in MediaPublic.model_fields if name != "variants"]
_ITEM_COLUMNS = [getattr(Contribution, name) for name in _ITEM_FIELDS]
_MEDIA_COLUMNS = [getattr(MediaAsset, name) for name in _MEDIA_FIELDS]
_KIND = _ITEM_FIELDS.index("kind")
_DURATION = _MEDIA_FIELDS.index("duration")


def public_page_rows() -> Select[Any]:
    """Every public read of contributions starts here: the public columns of contributions
    for which `is_public()` holds (plus the internal key and order, never sent)."""
    return sa_select(col(Contribution.pk), col(Contribution.published_seq), *_ITEM_COLUMNS).where(
        is_public())


# Statements built once, with bound parameters: building them costs more than running them.
_TAGS = (
    sa_select(col(ContributionTag.contribution_pk), col(ContributionTag.tag))
    .where(col(ContributionTag.contribution_pk).in_(bindparam("pks", expanding=True)))
    .order_by(col(ContributionTag.contribution_pk), col(ContributionTag.position))
)
_MEDIA = (  # each asset with its variants, in one query
    sa_select(col(MediaAsset.pk), col(MediaAsset.contribution_pk), col(MediaVariant.name),
              col(MediaVariant.key), *_MEDIA_COLUMNS)
    .select_from(MediaAsset)
    .outerjoin(MediaVariant, col(MediaVariant.asset_pk) == col(MediaAsset.pk))
    .where(col(MediaAsset.contribution_pk).in_(bindparam("pks", expanding=True)))
    .order_by(col(MediaAsset.contribution_pk), col(MediaAsset.position), col(MediaVariant.pk))
)
_NEWEST_FIRST = (col(Contribution.published_seq).desc(), col(Contribution.id).desc())


@cache
def _page_statement(kind: bool, form: bool, region: bool, tag: bool, after: bool) -> Select[Any]:
    """A gallery page's statement for one combination of filters (32 at most), parameters
    bound at each call."""
    stmt = public_page_rows()
    if kind:
        stmt = stmt.where(col(Contribution.kind) == bindparam("kind"))
    if form:
        stmt = stmt.where(col(Contribution.form) == bindparam("form"))
    if region:
        stmt = stmt.where(col(Contribution.region) == bindparam("region"))
    if tag:
        stmt = stmt.where(exists().where(
            col(ContributionTag.contribution_pk) == col(Contribution.pk),
            col(ContributionTag.tag) == bindparam("tag"),
        ))
    if after:
        # A row value: both databases seek the order index straight to it (the same test
        # written with OR is scanned).
        stmt = stmt.where(tuple_(col(Contribution.published_seq), col(Contribution.id))
                          < tuple_(bindparam("seq"), bindparam("last_id")))
    return stmt.order_by(*_NEWEST_FIRST).limit(bindparam("limit"))


def _items(conn: Connection, rows: list[Row[Any]], media_base: str) -> list[dict[str, Any]]:
    """Public items from page rows (pk, published_seq, then the public fields): tags in one
    query, media with their variants in another (none for a page of words only: text takes
    no files), no ORM objects. The same JSON as `ContributionPublic.of(row)`."""
    items: dict[Any, dict[str, Any]] = {}
    with_media = []
    for row in rows:
        item: dict[str, Any] = dict(zip(_ITEM_FIELDS, row[2:], strict=True))
        item["tags"], item["media"] = [], []
        item["report_url"] = f"/api/gallery/{item['id']}/report"
        items[row[0]] = item
        if row[2 + _KIND] != Kind.text:
            with_media.append(row[0])
    if not items:
        return []
    for pk, tag in conn.execute(_TAGS, {"pks": list(items)}):
        items[pk]["tags"].append(tag)
    if with_media:
        media: dict[int, dict[str, Any]] = {}
        for asset_pk, contribution_pk, variant, key, *fields in conn.execute(
                _MEDIA, {"pks": with_media}):
            entry = media.get(asset_pk)
            if entry is None:
                entry = media[asset_pk] = dict(zip(_MEDIA_FIELDS, fields, strict=True))
                if fields[_DURATION] is not None:
                    entry["duration"] = round(fields[_DURATION], 3)
                entry["variants"] = {}
                items[contribution_pk]["media"].append(entry)
            if variant is not None:
                entry["variants"][variant] = media_url(key, media_base)
    return list(items.values())


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
) -> bytes:
    """One gallery page as JSON bytes (a `GalleryPage`), newest first."""
    params: dict[str, Any] = {"kind": kind, "form": form, "region": region, "limit": limit + 1}
    if tag:
        params["tag"] = tag.strip().lower().lstrip("#")
    if cursor:
        params["seq"], params["last_id"] = cursors.decode(cursor, ("int", "id"))
    stmt = _page_statement(bool(kind), bool(form), bool(region), bool(tag), bool(cursor))
    if q and (clause := search.matches(session, q)) is not None:
        stmt = stmt.where(clause)
    conn = session.connection()
    rows = list(conn.execute(stmt, params))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursors.encode([rows[-1].published_seq, rows[-1].id]) if more and rows else None
    return to_json({"items": _items(conn, rows, media_base), "next_cursor": next_cursor})


def get_public_row(session: Session, contribution_id: str) -> Contribution:
    missing = NotFound("There is no published contribution with this id.")
    if not is_public_id(contribution_id):
        raise missing
    found = session.exec(public_contributions().where(Contribution.id == contribution_id)).first()
    if found is None:
        raise missing
    return found


_ONE = public_page_rows().where(col(Contribution.id) == bindparam("id"))


def get_public(session: Session, contribution_id: str, media_base: str = "") -> bytes:
    """One public contribution as JSON bytes (a `ContributionPublic`)."""
    missing = NotFound("There is no published contribution with this id.")
    if not is_public_id(contribution_id):
        raise missing
    conn = session.connection()
    rows = list(conn.execute(_ONE, {"id": contribution_id}))
    if not rows:
        raise missing
    return to_json(_items(conn, rows, media_base)[0])


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
