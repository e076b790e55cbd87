"""Intake and receipts: taking a contribution in, telling its sender where it stands, erasing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from sqlalchemy import update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from scrapbook.audit.service import Action, Anonymous, Entity, record
from scrapbook.contributions.schemas import (
    ContributionCreate,
    ReceiptIssued,
    ReceiptStatus,
    Support,
)
from scrapbook.core import clock
from scrapbook.core.config import Settings
from scrapbook.core.errors import ErrorCode, InvalidInput, NotFound
from scrapbook.core.security import hash_receipt, new_public_id, new_receipt_code
from scrapbook.core.text import clean_optional, clean_tags, clean_text
from scrapbook.directory.helplines import site_helplines
from scrapbook.gallery import publication
from scrapbook.media import service as media
from scrapbook.media.storage import Storage
from scrapbook.media.tasks import MediaJobs
from scrapbook.models import Contribution, ContributionTag, MediaAsset, Moderator
from scrapbook.moderation.safety import suggests_risk
from scrapbook.vocabulary import (
    CARE_MESSAGE,
    FAILED_MESSAGE,
    NOT_A_CRISIS_SERVICE,
    TIME_BASED_KINDS,
    Channel,
    Kind,
    Status,
)


def status_url(code: str) -> str:
    return f"/api/receipts/{code}"


def support_for(session: Session, at_risk: bool) -> Support:
    """Helplines from the directory, with a word of care first when the words suggest risk."""
    return Support(
        message=f"{CARE_MESSAGE} {NOT_A_CRISIS_SERVICE}" if at_risk else NOT_A_CRISIS_SERVICE,
        helplines=site_helplines(session),
    )


def decoy_receipt(session: Session, data: ContributionCreate) -> ReceiptIssued:
    """What a bot that filled the honeypot sees: a normal-looking answer, nothing stored."""
    code = new_receipt_code()
    at_risk = suggests_risk(data.title, data.body, data.content_warning, *data.tags)
    return ReceiptIssued(
        id=new_public_id(),
        status=Status.pending,
        receipt=code,
        status_url=status_url(code),
        support=support_for(session, at_risk),
    )


def submit(
    session: Session,
    storage: Storage,
    settings: Settings,
    data: ContributionCreate,
    files: Sequence[bytes | BinaryIO],
    *,
    jobs: MediaJobs | None = None,
    channel: Channel = Channel.web,
    entered_by: Moderator | None = None,
) -> ReceiptIssued:
    """Validate, clean and store one contribution; blocking (file checks): run in a thread.

    Writing is `pending` at once. Pictures, sound and video are checked from their headers,
    stored as received and left `processing` for the job queue, which makes them `pending`.
    """
    if not data.consent:
        raise InvalidInput(
            "Please confirm you accept the guidelines and have permission from anyone pictured.",
            code=ErrorCode.consent_required, field="consent",
        )
    title = clean_text(data.title, field="title", max_len=settings.title_max)
    body = clean_text(data.body, field="body", max_len=settings.body_max, multiline=True)
    display_name = clean_optional(
        data.display_name, field="display_name", max_len=settings.display_name_max
    )
    warning = clean_optional(
        data.content_warning, field="content_warning", max_len=settings.content_warning_max
    )
    tags = clean_tags(data.tags, max_count=settings.tags_max, max_len=settings.tag_max)
    alt_texts = [
        clean_optional(a, field="alt_text", max_len=settings.alt_text_max) for a in data.alt_text
    ]
    transcript = clean_optional(
        data.transcript, field="transcript", max_len=settings.transcript_max, multiline=True
    )
    time_based = data.kind in TIME_BASED_KINDS
    if not time_based and transcript:
        raise InvalidInput(
            "A transcript goes with sound or video; put words in the body.",
            code=ErrorCode.unexpected_transcript, field="transcript",
        )
    if not time_based and data.upload_id:
        raise InvalidInput(
            "Only sound and video can be sent as a resumable upload.",
            code=ErrorCode.unexpected_upload, field="upload_id"
        )

    if data.kind == Kind.text:
        if files:
            raise InvalidInput(
                "A text contribution has no files; choose 'image' to send pictures.",
                code=ErrorCode.unexpected_files, field="files",
            )
        if not body:
            raise InvalidInput("Please write something in the body.",
                code=ErrorCode.body_required, field="body")
        if any(alt_texts):
            raise InvalidInput(
                "A description goes with a file; a text contribution has none.",
                code=ErrorCode.alt_text_mismatch, field="alt_text",
            )
        alt_texts = []
    if data.kind == Kind.image:
        if not files:
            raise InvalidInput("Please attach at least one image.",
                code=ErrorCode.files_required, field="files")
        if len(files) > settings.images_max:
            raise InvalidInput(
                f"At most {settings.images_max} images, please.",
                code=ErrorCode.too_many_files, field="files"
            )
        if len(alt_texts) > len(files):
            raise InvalidInput(
                "There are more image descriptions than images.",
                code=ErrorCode.alt_text_mismatch, field="alt_text"
            )
    if time_based:
        if len(files) + bool(data.upload_id) != 1:
            raise InvalidInput(
                f"Please attach exactly one {data.kind} file (or one finished upload).",
                code=ErrorCode.one_file_required, field="files",
            )
        if len(alt_texts) > 1:
            raise InvalidInput("There is one description for one file.",
                code=ErrorCode.alt_text_mismatch, field="alt_text")
        # Header checks first (type, size, duration, dimensions): a 4xx stores nothing.
        received = [media.receive_time_based(
            session, storage, settings, Kind(data.kind),
            files[0] if files else None, data.upload_id,
        )]
        alt_texts = alt_texts or [None]
    else:
        alt_texts += [None] * (len(files) - len(alt_texts))
        # Header checks for every image before any is kept: one bad file refuses them all.
        received = media.receive_images(session, storage, settings, files)

    code = new_receipt_code()
    receipt_hash = hash_receipt(code)
    assert receipt_hash is not None  # a code we made always normalises
    contribution = Contribution(
        id=new_public_id(),
        kind=data.kind,
        form=data.form,
        title=title,
        body=body,
        display_name=display_name,
        region=data.region,
        content_warning=warning,
        licence=data.licence,
        # Files are made ready by the job queue; writing alone goes straight to the moderators.
        status=Status.processing if received else Status.pending,
        transcript=transcript,
        channel=channel,
        received_on=clock.today(),
        receipt_hash=receipt_hash,
        contact_email=data.contact_email,
        at_risk=suggests_risk(title, body, warning, transcript, *tags),
    )
    contribution.tag_links = [ContributionTag(tag=t, position=i) for i, t in enumerate(tags)]
    session.add(contribution)
    session.flush()
    for asset in media.attach_received(session, contribution, received, alt_texts):
        if jobs is not None:
            jobs.enqueue_after_commit(session, asset.id)
    if entered_by is not None:
        record(session, Action.entered, Entity.contribution, contribution.id, by=entered_by,
               changes={"channel": str(channel)})
    session.flush()
    return ReceiptIssued(
        id=contribution.id,
        status=contribution.status,
        receipt=code,
        status_url=status_url(code),
        support=support_for(session, contribution.at_risk),
    )


def _by_receipt(session: Session, code: str, *, with_media: bool = False) -> Contribution:
    digest = hash_receipt(code)
    stmt = select(Contribution).where(Contribution.receipt_hash == digest)
    if with_media:
        stmt = stmt.options(
            selectinload(Contribution.media).selectinload(MediaAsset.variants),  # type: ignore[arg-type]
            selectinload(Contribution.tag_links),  # type: ignore[arg-type]
        )
    found = session.exec(stmt).first() if digest else None
    if found is None:
        raise _no_receipt()
    return found


def _no_receipt() -> NotFound:
    return NotFound(
        "No contribution has this receipt code. It may have been withdrawn, "
        "or a character may be mistyped.",
        code=ErrorCode.receipt_not_found,
    )


def receipt_status(session: Session, code: str) -> ReceiptStatus:
    c = _by_receipt(session, code)
    public = publication.is_public_row(c)
    # A failed file's technical reason is for moderators; the contributor gets a kind sentence.
    reason = FAILED_MESSAGE if c.status == Status.failed else c.public_reason
    return ReceiptStatus(
        id=c.id,
        kind=c.kind,
        form=c.form,
        title=c.title,
        status=c.status,
        received_on=c.received_on,
        public_reason=reason,
        public_url=f"/contributions/{c.id}" if public else None,
        api_url=f"/api/gallery/{c.id}" if public else None,
        support=support_for(session, c.at_risk),
    )


def withdraw(session: Session, storage: Storage, code: str) -> None:
    """Erase a contribution, its files and its search entry; the audit log keeps a tombstone.

    The contribution's row is claimed first, as a moderator's edit or decision claims it, so
    racing writers queue on one lock (no deadlock) and a second withdrawal finds it gone.
    """
    digest = hash_receipt(code)
    if not digest:
        raise _no_receipt()
    claimed = session.execute(
        update(Contribution)
        .where(col(Contribution.receipt_hash) == digest)
        .values(version=Contribution.version + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _no_receipt()
    c = _by_receipt(session, code, with_media=True)
    record(session, Action.withdrawn, Entity.contribution, c.id, by=Anonymous.contributor)
    publication.erase(session, storage, c)
