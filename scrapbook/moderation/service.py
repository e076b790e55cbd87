"""The moderation queue, decisions, corrections and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, update
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, select

from scrapbook.audit.service import Action, Entity, record
from scrapbook.contributions.schemas import ContributionModeratorView, ContributionUpdate
from scrapbook.core import cursor as cursors
from scrapbook.core.config import Settings
from scrapbook.core.db import checkpoint_after_commit
from scrapbook.core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from scrapbook.core.security import is_public_id
from scrapbook.core.text import clean_optional, clean_tags, clean_text
from scrapbook.gallery import publication
from scrapbook.models import AuditEvent, Contribution, ContributionTag, MediaAsset, Moderator
from scrapbook.moderation.safety import suggests_risk
from scrapbook.moderation.schemas import (
    AuditEventView,
    AuditPage,
    Decision,
    QueuePage,
)
from scrapbook.vocabulary import TIME_BASED_KINDS, Kind, Status

_LOAD = (
    selectinload(Contribution.media).selectinload(MediaAsset.variants),  # type: ignore[arg-type]
    selectinload(Contribution.tag_links),  # type: ignore[arg-type]
)
_DECIDED = {"approve": Status.approved, "reject": Status.rejected, "hold": Status.held}
_UNDECIDABLE = {Status.processing, Status.failed, Status.withdrawn}


_DECISION_ACTIONS = (Status.approved, Status.rejected, Status.held)


def _open_report_of(report: type[AuditEvent]) -> ColumnElement[bool]:
    """`report` (an alias of the audit table) is a visitor report made after its
    contribution's latest decision. Deciding again (approve to keep it published, hold or
    reject) is how a moderator closes the reports.
    """
    decision = aliased(AuditEvent)
    latest_decision = (
        select(func.coalesce(func.max(decision.pk), 0))
        .where(
            decision.entity == Entity.contribution,
            decision.entity_id == report.entity_id,
            col(decision.action).in_(_DECISION_ACTIONS),
        )
        .scalar_subquery()
    )
    return and_(
        col(report.entity) == Entity.contribution,
        col(report.action) == Action.reported,
        col(report.pk) > latest_decision,
    ).self_group()


def views(session: Session, contributions: list[Contribution]) -> list[ContributionModeratorView]:
    """Moderator views with their open visitor-report counts, in one extra query for the lot."""
    ids = [c.id for c in contributions]
    counts: dict[str, int] = {}
    if ids:
        report = aliased(AuditEvent)
        rows = session.exec(
            select(report.entity_id, func.count())
            .select_from(report)
            .where(_open_report_of(report), col(report.entity_id).in_(ids))
            .group_by(report.entity_id)
        ).all()
        counts = {cid: n for cid, n in rows if cid}
    return [ContributionModeratorView.for_moderator(c, counts.get(c.id, 0)) for c in contributions]


def view(session: Session, c: Contribution) -> ContributionModeratorView:
    return views(session, [c])[0]


def load(session: Session, contribution_id: str) -> Contribution:
    if not is_public_id(contribution_id):
        raise NotFound("There is no contribution with this id.")
    found = session.exec(
        select(Contribution).where(Contribution.id == contribution_id).options(*_LOAD)
    ).first()
    if found is None:
        raise NotFound("There is no contribution with this id.")
    return found


def queue(
    session: Session,
    *,
    status: Status,
    kind: str | None,
    region: str | None,
    limit: int,
    cursor: str | None,
    reported: bool = False,
) -> QueuePage:
    """Oldest first, but anything suggesting someone may be at risk comes before everything.

    With `reported`, only contributions a visitor has reported.
    """
    stmt = select(Contribution).where(Contribution.status == status).options(*_LOAD)
    if reported:
        report = aliased(AuditEvent)
        stmt = stmt.where(
            exists().where(
                col(report.entity_id) == col(Contribution.id), _open_report_of(report)
            )
        )
    if kind:
        stmt = stmt.where(Contribution.kind == kind)
    if region:
        stmt = stmt.where(Contribution.region == region)
    if cursor:
        risk, day, pk = cursors.decode(cursor, ("bool", "date", "int"))
        at_risk, received, key = (
            col(Contribution.at_risk),
            col(Contribution.received_on),
            col(Contribution.pk),
        )
        after_in_group = or_(received > day, and_(received == day, key > pk))
        # At-risk pieces come first: after one, the rest of the at-risk group, then every
        # other piece; after any other piece, only the rest of that group.
        stmt = stmt.where(
            or_(at_risk == False, and_(at_risk == True, after_in_group))  # noqa: E712
            if risk
            else and_(at_risk == False, after_in_group)  # noqa: E712
        )
    stmt = stmt.order_by(
        col(Contribution.at_risk).desc(), col(Contribution.received_on), col(Contribution.pk)
    )
    rows = list(session.exec(stmt.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (
        cursors.encode([int(last.at_risk), last.received_on, last.pk]) if more and last else None
    )
    return QueuePage(items=views(session, rows), next_cursor=next_cursor)


def _claim_version(session: Session, c: Contribution, expected: int) -> None:
    """Atomically move the version on, or refuse if someone else changed it first."""
    stale = Conflict(
        "Someone else changed this contribution since you loaded it. Reload it and try again.",
        code=ErrorCode.version_conflict,
    )
    if c.version != expected:
        raise stale
    result = session.execute(
        update(Contribution)
        .where(col(Contribution.pk) == c.pk, col(Contribution.version) == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise stale
    c.version = expected + 1


# What an audit entry may keep once its contribution is erased: nothing the person wrote.
def _check_described(c: Contribution) -> None:
    """Nothing is published that a person who cannot see or hear it would miss: images need a
    description, sound a transcript, video a transcript or a description."""
    for m in c.media:
        if m.type == Kind.image and not m.alt_text:
            raise InvalidInput(
                "Add a description to every image before approving it.",
                code=ErrorCode.alt_text_required, field="media"
            )
        if m.type == Kind.audio and not c.transcript:
            raise InvalidInput(
                "Add a transcript of the sound before approving it.",
                code=ErrorCode.transcript_required, field="transcript"
            )
        if m.type == Kind.video and not (c.transcript or m.alt_text):
            raise InvalidInput(
                "Add a transcript or a description of the video before approving it.",
                code=ErrorCode.transcript_required, field="transcript",
            )


def decide(
    session: Session, settings: Settings, moderator: Moderator, c: Contribution, decision: Decision
) -> ContributionModeratorView:
    if c.status in _UNDECIDABLE:
        raise Conflict(
            f"A contribution that is {c.status} cannot be decided.", code=ErrorCode.not_decidable
        )
    reason = clean_optional(
        decision.public_reason, field="public_reason", max_len=settings.public_reason_max
    )
    note = clean_optional(decision.note, field="note", max_len=settings.note_max)
    if decision.action == "reject" and not reason:
        raise InvalidInput(
            "Please give the contributor a kind reason when rejecting.",
            code=ErrorCode.reason_required, field="public_reason"
        )
    if decision.action == "approve":
        _check_described(c)
    _claim_version(session, c, decision.version)

    before = c.status
    if reason is not None or decision.action != "hold":
        c.public_reason = reason
    if note is not None:
        c.moderator_note = note
    decided = _DECIDED[decision.action]
    if decided == Status.approved:
        publication.publish(session, c)
    else:
        publication.unpublish(session, c, decided)
    if c.status in (Status.approved, Status.rejected) and c.contact_email:
        c.contact_email = None  # only needed until a decision is made
        checkpoint_after_commit(session)  # and not left in old pages of SQLite's -wal file
    session.add(c)
    record(
        session,
        Action(c.status),
        Entity.contribution,
        c.id,
        by=moderator,
        reason=reason,
        changes={"status": [before, c.status], **({"note": note} if note else {})},
    )
    session.flush()
    return view(session, c)


def _shown(value: str) -> str:
    """A client's value, cut short, safe to echo in a message: what cannot be encoded (a lone
    surrogate) is written as an escape."""
    return value[:40].encode("utf-8", "backslashreplace").decode("utf-8")


def correct(
    session: Session,
    settings: Settings,
    moderator: Moderator,
    c: Contribution,
    edit: ContributionUpdate,
) -> ContributionModeratorView:
    _claim_version(session, c, edit.version)
    sent = edit.model_fields_set - {"version"}
    changes: dict[str, Any] = {}

    def note_change(name: str, old: Any, new: Any) -> None:
        if old != new:
            changes[name] = [old, new]

    if "title" in sent:
        new_title = clean_text(edit.title or "", field="title", max_len=settings.title_max)
        note_change("title", c.title, new_title)
        c.title = new_title
    if "form" in sent and edit.form is not None:
        note_change("form", c.form, str(edit.form))
        c.form = edit.form
    if "region" in sent:
        note_change("region", c.region, edit.region or None)
        c.region = edit.region or None
    if "content_warning" in sent:
        warning = clean_optional(
            edit.content_warning, field="content_warning", max_len=settings.content_warning_max
        )
        note_change("content_warning", c.content_warning, warning)
        c.content_warning = warning
    if "transcript" in sent and edit.transcript and c.kind not in TIME_BASED_KINDS:
        raise InvalidInput(
            "A transcript goes with sound or video; put words in the body.",
            code=ErrorCode.unexpected_transcript, field="transcript",
        )
    if "transcript" in sent:
        transcript = clean_optional(
            edit.transcript, field="transcript", max_len=settings.transcript_max, multiline=True
        )
        note_change("transcript", c.transcript, transcript)
        c.transcript = transcript
        # The safety lane reads transcripts too; a moderator's edit never clears the flag.
        c.at_risk = c.at_risk or suggests_risk(transcript)
    if "tags" in sent:
        if len(edit.tags or []) > settings.tags_max:  # as sent, as the API description says
            raise InvalidInput(f"At most {settings.tags_max} tags, please.",
                               code=ErrorCode.too_many_tags, field="tags")
        tags = clean_tags(edit.tags or [], max_count=settings.tags_max, max_len=settings.tag_max)
        note_change("tags", c.tags, tags)
        if tags != c.tags:
            c.tag_links.clear()
            session.flush()
            c.tag_links.extend(ContributionTag(tag=t, position=i) for i, t in enumerate(tags))
    if "media" in sent and edit.media:
        by_id = {m.id: m for m in c.media}
        for item in edit.media:
            asset = by_id.get(item.id)
            if asset is None:
                raise InvalidInput(
                    f"This contribution has no media item '{_shown(item.id)}'.",
                    code=ErrorCode.unknown_media, field="media",
                )
            alt = clean_optional(item.alt_text, field="alt_text", max_len=settings.alt_text_max)
            note_change(f"alt_text:{asset.id}", asset.alt_text, alt)
            asset.alt_text = alt
            session.add(asset)
    publication.republish(session, c)
    record(session, Action.edited, Entity.contribution, c.id, by=moderator, changes=changes)
    session.flush()
    return view(session, c)


def audit_log(
    session: Session,
    *,
    contribution_id: str | None,
    limit: int,
    cursor: str | None,
    action: str | None = None,
) -> AuditPage:
    """Newest first."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if contribution_id and not is_public_id(contribution_id):
        raise InvalidInput("That is not a contribution id.", code=ErrorCode.invalid_id)
    if contribution_id:
        stmt = stmt.where(AuditEvent.entity == Entity.contribution,
                          AuditEvent.entity_id == contribution_id)
    if cursor:
        (before,) = cursors.decode(cursor, ("int",))
        stmt = stmt.where(col(AuditEvent.pk) < before)
    rows = list(session.exec(stmt.order_by(col(AuditEvent.pk).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        items=[AuditEventView.of(e) for e in rows],
        next_cursor=cursors.encode([rows[-1].pk]) if more and rows else None,
    )
