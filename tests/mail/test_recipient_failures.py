"""A bad recipient never starves the others: a per-recipient 4xx backs that row off
alone; only a connection-level failure (421, disconnect) stops a batch, and then the
rest is due again within seconds. Every row ends ``sent`` or ``failed`` with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from app.extensions import db
from app.mail.delivery import CONNECTION_PAUSE, deliver_pending
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.services import queue_email

pytestmark = pytest.mark.usefixtures("smtp_both_ways")

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _queue(n: int) -> list[int]:
    ids = []
    for i in range(n):
        ids.append(
            queue_email(
                kind="mail/test",
                to_address=f"person{i}@example.com",
                to_name=f"Person {i}",
                idempotency_key=f"rcpt:{i}",
                context={"name": f"Person {i}", "sent_at": NOW, "url": "http://summit.test/"},
            ).id
        )
    db.session.commit()
    return ids


def _by_status() -> dict[EmailStatus, int]:
    db.session.expire_all()
    found: dict[EmailStatus, int] = {}
    for status in db.session.scalars(select(OutboundEmail.status)):
        found[status] = found.get(status, 0) + 1
    return found


def test_recipients_refused_with_4xx_do_not_hold_back_the_rest(smtp_sink) -> None:
    """Fails on the old delivery: three 4xx in a row released the rest of the batch
    at the failing message's back-off, unattempted."""
    for i in range(4):
        smtp_sink.reject_rcpt[f"person{i}@example.com"] = "451 4.2.0 Mailbox busy"
    with time_machine.travel(NOW, tick=False):
        _queue(12)
        assert deliver_pending() == 8
    assert len(smtp_sink.messages) == 8
    pending = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.status == EmailStatus.PENDING)
    ).all()
    assert sorted(r.to_address for r in pending) == [f"person{i}@example.com" for i in range(4)]
    assert all(r.attempts == 1 and "451" in r.last_error for r in pending)


def test_a_recipient_refused_too_often_or_too_long_ends_failed_with_the_reason(
    app, smtp_sink
) -> None:
    smtp_sink.reject_rcpt["person0@example.com"] = "451 4.2.0 Mailbox busy"
    smtp_sink.reject_rcpt["person1@example.com"] = "451 4.2.0 Mailbox busy"
    settings = app.extensions["summit.settings"]
    with time_machine.travel(NOW, tick=False):
        first, second, _ = _queue(3)
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == first)
        .values(attempts=settings.mail_max_attempts - 1)
    )
    db.session.commit()
    with time_machine.travel(NOW + timedelta(hours=settings.mail_max_age_hours), tick=False):
        assert deliver_pending() == 1
    db.session.expire_all()
    tried_often = db.session.get(OutboundEmail, first)
    too_old = db.session.get(OutboundEmail, second)
    assert tried_often.status is EmailStatus.FAILED
    assert "gave up after 8 attempts" in tried_often.last_error and "451" in tried_often.last_error
    assert too_old.status is EmailStatus.FAILED
    assert f"{settings.mail_max_age_hours} h" in too_old.last_error
    assert _by_status() == {EmailStatus.FAILED: 2, EmailStatus.SENT: 1}


def test_a_421_stops_the_batch_and_the_rest_is_due_again_soon(smtp_sink) -> None:
    smtp_sink.fail_next = ["421 4.3.2 Service shutting down"]
    with time_machine.travel(NOW, tick=False):
        ids = _queue(5)
        assert deliver_pending() == 0
        rows = {r.id: r for r in db.session.scalars(select(OutboundEmail))}
        assert rows[ids[0]].attempts == 1 and "421" in rows[ids[0]].last_error
        for email_id in ids[1:]:
            row = rows[email_id]
            assert row.attempts == 0 and row.lease_owner is None
            assert row.next_attempt_at == NOW + CONNECTION_PAUSE
    with time_machine.travel(NOW + CONNECTION_PAUSE, tick=False):
        assert deliver_pending() == 4
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert deliver_pending() == 1
    assert _by_status() == {EmailStatus.SENT: 5}
