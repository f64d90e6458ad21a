"""Ops pages: failed jobs with their error and a retry, the outbox backlog, the dev
mailbox and the audit trail; global admins only (the mailbox: staff of the region)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from rq import Queue
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import Role
from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.queries import through_at
from app.mail.services import Attachment, queue_email
from app.tasks import get_redis
from tests.factories import region, staff

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def failing_job(value: int) -> None:
    raise RuntimeError(f"the import file had no header row ({value})")


def _email(key: str, region_code: str | None = None, **kw) -> OutboundEmail:
    return queue_email(
        kind="mail/test",
        to_address=f"{key}@example.com",
        to_name="Ana <b>Bold</b>",
        idempotency_key=key,
        context={"name": "Ana", "sent_at": NOW, "url": "http://summit.test/r/de/approve?x=1"},
        region_id=region(region_code).id if region_code else None,
        **kw,
    )


@pytest.mark.parametrize("path", ["/ops/", "/ops/jobs/failed", "/audit/"])
def test_ops_pages_are_for_global_admins_only(path, login_as) -> None:
    client = login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(path).status_code == 403


def test_failed_job_shows_its_error_and_can_be_retried(login_as, run_jobs, csrf_token) -> None:
    queue = Queue("default", connection=get_redis())
    job = queue.enqueue(failing_job, 7)
    run_jobs()
    client = login_as(staff(Role.GLOBAL_ADMIN))
    page = client.get("/ops/jobs/failed").get_data(as_text=True)
    assert "the import file had no header row (7)" in page and "failing_job" in page
    token = csrf_token("/ops/jobs/failed")
    response = client.post(f"/ops/jobs/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert job.id in queue.get_job_ids()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["job.retried"]
    assert client.post("/ops/jobs/nope/retry", data={"csrf_token": token}).status_code == 404


def test_overview_shows_backlog_and_failed_emails_can_be_sent_again(
    app, login_as, csrf_token, run_jobs, smtp_sink
) -> None:
    old = app.extensions["summit.settings"]
    app.extensions["summit.settings"] = dataclasses.replace(old, mail_rate_per_minute=30)
    try:
        failed = _email("failed")
        failed.status = EmailStatus.FAILED
        failed.last_error = "550 mailbox unavailable"
        for i in range(3):
            _email(f"waiting{i}")
        db.session.commit()
        client = login_as(staff(Role.GLOBAL_ADMIN))
        page = client.get("/ops/").get_data(as_text=True)
        assert "550 mailbox unavailable" in page
        assert "0 of 30 this minute" in page and "at the sending budget" in page
        token = csrf_token("/ops/")
        client.post("/ops/mail/retry", data={"csrf_token": token, "email_id": [str(failed.id)]})
        run_jobs()
        assert len(smtp_sink.to("failed@example.com")) == 1
    finally:
        app.extensions["summit.settings"] = old


def test_backlog_estimate_spills_over_the_daily_cap() -> None:
    assert through_at(0, NOW, 30, 10_000, 0) == NOW
    assert through_at(90, NOW, 30, 0, 0) == datetime(2026, 11, 23, 8, 3, tzinfo=UTC)
    assert through_at(100, NOW, 0, 0, 0) is None
    # 9,990 already sent today: 10 go today, 60 tomorrow from midnight at 30 a minute
    assert through_at(70, NOW, 30, 10_000, 9_990) == datetime(2026, 11, 24, 0, 2, tzinfo=UTC)


def test_dev_mailbox_lists_and_renders_every_email(login_as) -> None:
    email = _email(
        "mailbox", "de", attachments=[Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR")]
    )
    _email("other-region", "fr")
    db.session.commit()
    client = login_as(staff(Role.LOCAL_LEAD, "de"))
    listing = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "mailbox@example.com" in listing and "other-region@example.com" not in listing
    page = client.get(f"/dev/mailbox/{email.id}").get_data(as_text=True)
    assert "http://summit.test/r/de/approve?x=1" in page  # the links, clickable
    assert "invite.ics" in page and "Ana &lt;b&gt;Bold&lt;/b&gt;" in page
    html = client.get(f"/dev/mailbox/{email.id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert b"Summit-Test-E-Mail" in html.data or b"Summit" in html.data
    att = email.attachments[0]
    download = client.get(f"/dev/mailbox/{email.id}/attachments/{att.id}")
    assert download.data == b"BEGIN:VCALENDAR"
    assert "attachment" in download.headers["Content-Disposition"]
    foreign = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.idempotency_key == "other-region")
    ).one()
    assert client.get(f"/dev/mailbox/{foreign.id}").status_code == 404


def test_audit_page_lists_decisions(login_as) -> None:
    admin = staff(Role.GLOBAL_ADMIN)
    record(
        region_id=region("de").id,
        action="approval.approved",
        object_type="time_allocation",
        object_id=3,
        actor=admin,
        channel="web",
    )
    record(
        region_id=region("fr").id,
        action="term.verdict",
        object_type="term_review",
        object_id=4,
        actor=None,
        channel="job",
    )
    db.session.commit()
    client = login_as(admin)
    page = client.get("/audit/?region=de").get_data(as_text=True)
    assert "approval.approved" in page and "term.verdict" not in page


def test_audit_codes_read_as_words_in_the_admins_language(login_as) -> None:
    admin = staff(Role.GLOBAL_ADMIN, locale="de")
    record(
        region_id=region("de").id,
        action="term.closed",
        object_type="term_close",
        object_id=5,
        actor=None,
        channel="cli",
    )
    record(region_id=None, action="x.y", object_type="new_table", actor=None, channel="fax")
    db.session.commit()
    page = login_as(admin).get("/audit/").get_data(as_text=True)
    assert "Summit selbst" in page and "Kommandozeile" in page and "Abschnittsabschluss" in page
    assert "new_table" in page and "fax" in page  # a code without a label shows as stored
