"""Erasing a person replaces their employee id where it stands for them, not every
occurrence of its characters (issue 18): erasing employee id ``2026`` rewrote "2026-W48" in
every report and email."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import record
from app.extensions import db
from app.mail.models import OutboundEmail
from app.mail.services import queue_email
from app.privacy.services import erase_person
from tests.factories import PersonFactory, region

WEEK = "2026-W48"


def test_an_employee_id_that_is_a_year_leaves_week_labels_alone() -> None:
    person = PersonFactory(employee_id="2026", name="Yara Year", email="yara@example.com")
    other = PersonFactory(email="someone.else@example.com")
    queue_email(
        kind="mail/test",
        to_address=other.email,
        idempotency_key="report-mail",
        context={
            "name": "Sam",
            "sent_at": datetime(2026, 11, 30, tzinfo=UTC),
            "url": f"http://summit.test/r/de/reports/{WEEK}",
        },
        region_id=region("de").id,
    )
    record(region_id=region("de").id, action="report.sent", channel="system", data={"week": WEEK})
    record(
        region_id=region("de").id,
        action="roster.changed",
        channel="system",
        data={"employee_id": "2026", "week": WEEK},
    )
    db.session.flush()
    assert erase_person(person=person, actor=None, channel="cli") is True
    db.session.flush()
    db.session.expire_all()
    mail = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.idempotency_key == "report-mail")
    ).one()
    assert f"/reports/{WEEK}" in mail.text_body
    events = {e.action: e.data for e in db.session.scalars(select(AuditEvent))}
    assert events["report.sent"] == {"week": WEEK}
    assert events["roster.changed"]["week"] == WEEK
    assert events["roster.changed"]["employee_id"] != "2026"  # the id itself is gone
    db.session.rollback()
