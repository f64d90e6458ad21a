import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.request_emails import send_due_requests
from app.approvals.services import decide
from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from tests.approvals.helpers import commit, csrf_from, manager, report, rollout_in
from tests.factories import region, staff

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def build(code="de"):
    """Six requests: 2 approved, 1 declined (with a formula as reason), 1 proposed, 2 pending."""
    reg = region(code)
    rollout = rollout_in(code)
    boss = manager(code, name="Bert Boss")
    slow = manager(code, name='=HYPERLINK("http://evil")')
    enrollments = [commit(report(rollout, boss)) for _ in range(4)] + [
        commit(report(rollout, slow)) for _ in range(2)
    ]
    send_due_requests(region=reg, now=NOW - timedelta(days=8))
    allocations = [
        db.session.scalars(select(TimeAllocation).where(TimeAllocation.enrollment_id == e.id)).one()
        for e in enrollments
    ]
    for a in allocations:
        a.requested_at = NOW - timedelta(days=9)
        a.request_sent_at = NOW - timedelta(days=8)
    allocations[5].requested_at = NOW - timedelta(days=1)
    plan = [
        (AllocationStatus.APPROVED, None, None, 2),
        (AllocationStatus.APPROVED, None, None, 4),
        (AllocationStatus.DECLINED, None, "=cmd|'/c calc'!A1", 6),
        (AllocationStatus.PROPOSED, 1.0, "+1 next quarter", 10),
    ]
    for a, (decision, hours, reason, after_hours) in zip(allocations, plan, strict=False):
        decide(
            region=reg,
            allocation=a,
            decision=decision,
            hours=hours,
            reason=reason,
            actor=a.manager,
            channel="link",
            now=NOW - timedelta(days=8) + timedelta(hours=after_hours),
        )
    db.session.commit()
    return rollout, boss, slow, allocations


def test_funnel_pending_by_age_and_median(client, login_as):
    rollout, _boss, slow, _a = build()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/approvals/{rollout.slug}").get_data(as_text=True)
    assert "<dt>Requested</dt><dd>6</dd>" in html
    # the reports' approval rate: approved / requested (pending ones count against it)
    # the staff member's browser asks for English: English words and English figures
    assert "<dt>Approved</dt><dd>2 (33% of requested)" in html
    assert "<dt>Declined</dt><dd>1</dd>" in html
    assert "<dt>Other hours proposed</dt><dd>1</dd>" in html
    assert "<dt>Pending</dt><dd>2</dd>" in html
    assert "<dt>Median time to decision</dt><dd>5 hours" in html  # median of 2, 4, 6, 10
    assert '<th scope="row">under 3 days</th><td class="num">1</td>' in html
    assert '<th scope="row">1–2 weeks</th><td class="num">1</td>' in html
    assert "=cmd|&#39;/c calc&#39;!A1" in html  # declines listed, escaped
    assert "proposed 1 h/week" in html
    assert "Resend to" in html and slow.name.replace('"', "&#34;") in html
    index = client.get("/r/de/approvals/").get_data(as_text=True)
    assert rollout.slug in index


def test_export_neutralises_formulas(client, login_as):
    rollout, _boss, slow, _a = build()
    login_as(staff(Role.LOCAL_LEAD, "de", locale="de_DE"))  # German on the profile
    response = client.get(f"/r/de/approvals/{rollout.slug}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and text.count("Personalnummer") == 1  # one German header row
    reasons = {r["Grund"] for r in rows}
    assert "'=cmd|'/c calc'!A1" in reasons and "'+1 next quarter" in reasons
    assert {r["Führungskraft"] for r in rows} == {"Bert Boss", "'" + slow.name}
    assert {r["Status"] for r in rows} == {"approved", "declined", "proposed", "pending"}
    # values stay machine values: hours a spreadsheet adds up, instants in ISO 8601 (UTC)
    assert all(float(r["Beantragte Stunden pro Woche"]) > 0 for r in rows)
    assert all(int(r["Versandte Erinnerungen"]) >= 0 for r in rows)
    for r in rows:
        assert datetime.fromisoformat(r["Beantragt am (UTC)"]).utcoffset() == timedelta(0)


def test_resend_once_a_day(client, login_as, smtp_sink, run_jobs):
    rollout, _boss, slow, _a = build()
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    page = f"/r/de/approvals/{rollout.slug}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    run_jobs()
    smtp_sink.clear()
    url = f"/r/de/approvals/{rollout.slug}/resend"
    assert client.post(url, data={"csrf_token": token, "person_id": slow.id}).status_code == 303
    assert client.post(url, data={"csrf_token": token, "person_id": slow.id}).status_code == 303
    run_jobs()
    assert len(smtp_sink.to(slow.email)) == 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "approval.resent")
    ).one()
    assert (event.channel, event.actor_id) == ("web", lead.id)


def test_a_lead_records_an_agreed_proposal(client, login_as, smtp_sink, run_jobs):
    rollout, _boss, _slow, allocations = build()
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    token = csrf_from(client.get(f"/r/de/approvals/{rollout.slug}").get_data(as_text=True))
    proposed = allocations[3]
    response = client.post(
        f"/r/de/approvals/{rollout.slug}/allocations/{proposed.id}",
        data={"csrf_token": token, "action": "approve", "hours": "1.0"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert proposed.status is AllocationStatus.APPROVED and proposed.hours_decided == 1.0
    assert proposed.decided_via == "web"
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.channel, event.actor_type) == ("approval.approved", "web", "staff")


def test_another_regions_ids_are_404(client, login_as):
    fr_rollout, fr_boss, _s, fr_allocations = build("fr")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = csrf_from(client.get("/r/de/approvals/").get_data(as_text=True))
    assert client.get(f"/r/de/approvals/{fr_rollout.slug}").status_code == 404
    assert client.get(f"/r/de/approvals/{fr_rollout.slug}/export.csv").status_code == 404
    assert client.get(f"/r/fr/approvals/{fr_rollout.slug}").status_code == 404
    de_rollout = rollout_in("de")
    db.session.commit()
    resend = client.post(
        f"/r/de/approvals/{de_rollout.slug}/resend",
        data={"csrf_token": token, "person_id": fr_boss.id},
    )
    assert resend.status_code == 404
    record = client.post(
        f"/r/de/approvals/{de_rollout.slug}/allocations/{fr_allocations[5].id}",
        data={"csrf_token": token, "action": "approve"},
    )
    assert record.status_code == 404
    db.session.expire_all()
    assert fr_allocations[5].status is AllocationStatus.PENDING


def test_sponsors_do_not_see_the_sign_off_dashboard(client, login_as):
    rollout, *_ = build()
    login_as(staff(Role.SPONSOR, "de"))
    assert client.get(f"/r/de/approvals/{rollout.slug}").status_code == 403
    assert client.get(f"/r/de/approvals/{rollout.slug}/export.csv").status_code == 403


def test_resend_is_offered_only_for_requests_actually_sent(client, login_as, smtp_sink, run_jobs):
    rollout, _boss, slow, _a = build()
    fresh = manager("de", name="Nora Neverasked")
    commit(report(rollout, fresh))  # pending, but the daily request email has not gone yet
    db.session.commit()
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    html = client.get(f"/r/de/approvals/{rollout.slug}").get_data(as_text=True)
    assert "Resend to Nora Neverasked" not in html
    assert "Not sent yet: it goes out with the next daily request email." in html
    assert "Resend to" in html  # the slow manager was sent theirs: they can get it again
    # posting anyway sends nothing and audits nothing
    run_jobs()
    smtp_sink.clear()
    token = csrf_from(html)
    url = f"/r/de/approvals/{rollout.slug}/resend"
    assert client.post(url, data={"csrf_token": token, "person_id": fresh.id}).status_code == 303
    run_jobs()
    assert smtp_sink.to(fresh.email) == []
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "approval.resent")
    ).all()
    # without the CSRF token it is refused outright
    assert client.post(url, data={"person_id": slow.id}).status_code == 400
