"""One record() for every audit event: entity columns, and the one time-precision policy."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from scrapbook.audit.service import Action, Anonymous, Entity, erase_content, record
from scrapbook.models import AuditEvent, Moderator
from tests.conftest import make_moderator


def test_moderators_are_timed_to_the_second_contributors_and_visitors_to_the_day(app, db):
    make_moderator(app, "mod")
    with db() as session:
        mod = session.exec(select(Moderator).where(Moderator.username == "mod")).one()
        record(session, Action.approved, Entity.contribution, "a" * 16, by=mod)
        record(session, Action.withdrawn, Entity.contribution, "a" * 16, by=Anonymous.contributor)
        record(session, Action.directory_report, Entity.service, "svc", by=Anonymous.visitor,
               reason="The number has changed.")
    with db() as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.pk)).all()
        rows = [(e.action, e.actor, e.entity, e.entity_id) for e in events]
        times = [e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC) for e in events]
    assert rows == [("approved", "mod", "contribution", "a" * 16),
                    ("withdrawn", "contributor", "contribution", "a" * 16),
                    ("directory_report", "visitor", "service", "svc")]
    now = dt.datetime.now(dt.UTC)
    assert abs((now - times[0]).total_seconds()) < 60 and times[0].time() != dt.time()
    midnight = dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC)
    assert times[1] == times[2] == midnight


def test_erasing_content_keeps_who_did_what_and_drops_the_words(app, db):
    make_moderator(app, "mod")
    with db() as session:
        mod = session.exec(select(Moderator).where(Moderator.username == "mod")).one()
        record(session, Action.edited, Entity.contribution, "b" * 16, by=mod,
               changes={"title": ["Old words", "New words"], "status": ["pending", "held"]})
        record(session, Action.edited, Entity.contribution, "c" * 16, by=mod,
               changes={"title": ["Kept", "Kept too"]})
        erase_content(session, Entity.contribution, "b" * 16)
    with db() as session:
        erased, other = session.exec(select(AuditEvent).order_by(AuditEvent.pk)).all()
    assert erased.changes == {"title": "erased", "status": ["pending", "held"]}
    assert erased.actor == "mod" and erased.action == "edited"
    assert other.changes == {"title": ["Kept", "Kept too"]}
