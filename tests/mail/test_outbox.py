"""The outbox end to end: queued in a transaction, delivered by a real RQ worker over
SMTP to a real (aiosmtpd) server, every outcome recorded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.mail.delivery import deliver_pending
from app.mail.dispatch import sweep
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.services import Attachment, message_id_for, queue_email
from tests.factories import region

pytestmark = pytest.mark.usefixtures("smtp_both_ways")

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _queue(n: int = 1, prefix: str = "t", **kw: Any) -> list[OutboundEmail]:
    rows = []
    for i in range(n):
        rows.append(
            queue_email(
                kind="mail/test",
                to_address=kw.pop("to_address", f"person{i}@example.com"),
                to_name=kw.pop("to_name", f"Person {i}"),
                idempotency_key=f"{prefix}:{i}",
                context={"name": f"Person {i}", "sent_at": NOW, "url": "http://summit.test/"},
                **kw,
            )
        )
    return rows


def _settings(app: Any, **changes: Any) -> Any:
    old = app.extensions["summit.settings"]
    app.extensions["summit.settings"] = dataclasses.replace(old, **changes)
    return old


def test_queued_email_is_sent_once_with_its_message_id(run_jobs, smtp_sink) -> None:
    email = _queue(1)[0]
    again = queue_email(
        kind="mail/test",
        to_address="other@example.com",
        idempotency_key="t:0",
        context={"name": "x", "sent_at": NOW, "url": "u"},
    )
    assert again.id == email.id
    db.session.commit()
    run_jobs()
    run_jobs()  # a second run finds nothing to do
    received = smtp_sink.to("person0@example.com")
    assert len(received) == 1
    msg = received[0]
    assert msg["Message-ID"] == message_id_for("t:0")
    assert msg["Subject"] == "Summit test email for Person 0"
    assert msg["To"].addresses[0].display_name == "Person 0"
    html = msg.get_body(("html",)).get_content()
    assert 'style="' in html and "<style" not in html  # CSS inlined for Outlook
    row = db.session.get(OutboundEmail, email.id)
    assert row.status is EmailStatus.SENT and row.attempts == 1 and row.lease_until is None


def test_rollback_sends_nothing(run_jobs, smtp_sink) -> None:
    _queue(1)
    db.session.rollback()
    run_jobs()
    assert smtp_sink.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_transient_failure_is_retried_with_backoff(app, run_jobs, smtp_sink) -> None:
    smtp_sink.fail_next = ["451 4.7.1 Try again later"]
    with time_machine.travel(NOW, tick=False):
        email = _queue(2)[0]
        db.session.commit()
        run_jobs()
        row = db.session.get(OutboundEmail, email.id)
        assert row.status is EmailStatus.PENDING
        assert row.attempts == 1 and "451" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert len(smtp_sink.messages) == 1  # the other one went through
        assert deliver_pending() == 0  # not due yet
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert sweep() == 1
        run_jobs()
    db.session.expire_all()
    row = db.session.get(OutboundEmail, email.id)
    assert row.status is EmailStatus.SENT and row.attempts == 2
    assert len(smtp_sink.to("person0@example.com")) == 1


def test_permanent_failure_is_recorded_and_not_retried(run_jobs, smtp_sink) -> None:
    smtp_sink.reject_rcpt["person0@example.com"] = "550 5.1.1 No such user"
    email = _queue(1)[0]
    db.session.commit()
    run_jobs()
    row = db.session.get(OutboundEmail, email.id)
    assert row.status is EmailStatus.FAILED and "550" in row.last_error
    assert sweep() == 0


def test_data_refusal_5xx_is_permanent(run_jobs, smtp_sink) -> None:
    smtp_sink.fail_next = ["554 5.6.0 Message refused"]
    email, other = _queue(2)
    db.session.commit()
    run_jobs()
    assert db.session.get(OutboundEmail, email.id).status is EmailStatus.FAILED
    assert db.session.get(OutboundEmail, other.id).status is EmailStatus.SENT


def test_expired_lease_is_picked_up_again(app, run_jobs, smtp_sink) -> None:
    """A worker that died mid-batch leaves leased rows; after the lease they are due again."""
    from app.mail.dispatch import claim_batch

    with time_machine.travel(NOW, tick=False):
        _queue(3)
        db.session.commit()
        assert len(claim_batch("dead-worker", 10, timedelta(minutes=2))) == 3
        assert sweep() == 0  # still leased
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        assert sweep() == 3
        run_jobs()
    assert len(smtp_sink.messages) == 3


def test_rate_limit_holds_without_dropping_anything(app, run_jobs, smtp_sink) -> None:
    old = _settings(app, mail_rate_per_minute=4)
    try:
        start = NOW.replace(second=5)
        with time_machine.travel(start, tick=False):
            _queue(10)
            db.session.commit()
            run_jobs()
            assert len(smtp_sink.messages) == 4
            waiting = db.session.scalars(
                select(OutboundEmail).where(OutboundEmail.status == EmailStatus.PENDING)
            ).all()
            assert len(waiting) == 6
            assert {w.next_attempt_at for w in waiting} == {
                start.replace(second=0) + timedelta(minutes=1)
            }
            assert all(w.attempts == 0 for w in waiting)  # waiting is not a failure
        for minute in (1, 2):
            with time_machine.travel(start + timedelta(minutes=minute), tick=False):
                sweep()
                run_jobs()
        assert len(smtp_sink.messages) == 10
        assert len({m.message["Message-ID"] for m in smtp_sink.messages}) == 10
    finally:
        app.extensions["summit.settings"] = old


def test_attachments_and_inline_images(run_jobs, smtp_sink) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    _queue(
        1,
        attachments=[
            Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            Attachment("report.csv", "text/csv", "name,value\nMüller,1\n".encode()),
            Attachment("chart.png", "image/png", png, content_id="chart1"),
        ],
    )
    db.session.commit()
    run_jobs()
    msg = smtp_sink.to("person0@example.com")[0]
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert set(parts) == {"invite.ics", "report.csv", "chart.png"}
    assert parts["chart.png"].get_content() == png
    assert parts["chart.png"]["Content-ID"] == "<chart1>"
    assert "Müller" in parts["report.csv"].get_content()
    assert msg.get_body(("plain",)).get_content().startswith("Hello Person 0")


def test_region_defaults_zone_and_locale(run_jobs, smtp_sink) -> None:
    de = region("de")
    _queue(1, region_id=de.id)
    db.session.commit()
    run_jobs()
    msg = smtp_sink.to("person0@example.com")[0]
    assert msg["Subject"] == "Summit-Test-E-Mail für Person 0"
    # 08:00 UTC is 09:00 in Berlin in November
    assert "09:00:00" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("bad", ["a@example.com\r\nBcc: x@example.com", "not-an-address", ""])
def test_bad_addresses_are_refused_when_queued(bad: str) -> None:
    with pytest.raises(ValueError):
        queue_email(
            kind="mail/test",
            to_address=bad,
            idempotency_key=f"bad:{bad}",
            context={"name": "x", "sent_at": NOW, "url": "u"},
        )


def test_non_ascii_names_long_subjects_and_filenames_survive_the_wire(run_jobs, smtp_sink) -> None:
    name = "Jürgen Müller-Lüdenscheidt, Überprüfung der Lernzeit " * 3
    queue_email(
        kind="mail/test",
        to_address="juergen@example.com",
        to_name=name,
        idempotency_key="umlauts",
        context={"name": name.strip(), "sent_at": NOW, "url": "http://summit.test/"},
        locale="de_DE",
        attachments=[Attachment('Bericht "KW48" – Köln.csv', "text/csv", b"a;b\n")],
        headers={"List-Id": "Summit <summit.example.com>"},
    )
    db.session.commit()
    run_jobs()
    msg = smtp_sink.to("juergen@example.com")[0]
    assert msg["To"].addresses[0].display_name == " ".join(name.split())
    assert msg["Subject"] == f"Summit-Test-E-Mail für {' '.join(name.split())}"
    assert msg["List-Id"] == "Summit <summit.example.com>"
    assert all(len(line) <= 998 for line in smtp_sink.messages[0].data.split(b"\r\n"))
    [attachment] = [p for p in msg.walk() if p.get_filename()]
    assert attachment.get_filename() == 'Bericht "KW48" – Köln.csv'
    assert msg.get_body(("plain",)).get_content().startswith("Hallo Jürgen")


def test_mail_rcpt_and_data_go_in_one_write_only_where_the_server_offers_pipelining(
    smtp_sink, smtp_both_ways: bool
) -> None:
    """Two round trips a message instead of four against a relay that offers PIPELINING
    (RFC 2920); one command at a time against a server that does not."""
    _queue(3, prefix="pipe")
    assert deliver_pending() == 3
    assert len(smtp_sink.messages) == 3
    assert smtp_sink.pipelined == [smtp_both_ways] * 3
