from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.audit.models import AuditEvent
from app.extensions import db
from app.rollouts.models import EnrollmentState
from tests.approvals.helpers import csrf_from, decision_path, manager, text_of
from tests.links.journey import ask_for_fresh_link, fresh_link_path

BEFORE_TERM = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


def allocation_of(enrollment):
    db.session.expire_all()
    return db.session.scalars(
        select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one()


def post(client, path, **form):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    form["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(path, data=form)


@pytest.fixture(autouse=True)
def before_term_one():
    with time_machine.travel(BEFORE_TERM, tick=False):
        yield


def test_the_page_shows_the_reports_and_get_or_head_never_decide(client, asked, smtp_sink):
    _rollout, _boss, enrollments, path = asked()
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for e in enrollments:
        assert e.person.name in html
    assert "Alle 3 offenen Anfragen genehmigen" in html  # the manager's language (de)
    assert "Dr. Klaus Hartmann" in html
    # a mail scanner following links with any parameters changes nothing
    assert client.get(path + "?action=approve_all").status_code == 200
    assert client.head(path).status_code == 200
    assert (
        client.get(path, query_string={"action": "approve", "allocation_id": "1"}).status_code
        == 200
    )
    assert all(allocation_of(e).status is AllocationStatus.PENDING for e in enrollments)
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_approve_moves_to_time_approved_and_sends_the_study_block(
    client, asked, smtp_sink, run_jobs
):
    rollout, boss, enrollments, path = asked()
    target = enrollments[0]
    allocation = allocation_of(target)
    response = post(client, path, action="approve", allocation_id=allocation.id)
    assert response.status_code == 303
    allocation = allocation_of(target)
    assert allocation.status is AllocationStatus.APPROVED
    assert allocation.hours_decided == 2.0
    assert allocation.decided_by_id == boss.id and allocation.decided_via == "link"
    assert target.state is EnrollmentState.TIME_APPROVED
    html = client.get(path).get_data(as_text=True)
    assert "genehmigt: 2 Std./Woche" in html  # shows what was already decided
    audit = db.session.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.channel, audit.actor_id) == ("approval.approved", "link", boss.id)

    run_jobs()
    (mail,) = smtp_sink.to(target.person.email)
    assert "genehmigt" in mail["Subject"]
    (ics_part,) = [p for p in mail.iter_attachments() if p.get_filename() == "study-time.ics"]
    cal = Calendar.from_ical(ics_part.get_payload(decode=True))
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    event = cal.walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Berlin"
    assert start.date() >= rollout.program.terms[0].starts_on
    assert start.weekday() == 4 and start.hour == 14  # Friday 14:00 local by default
    assert event.decoded("dtend") - start == timedelta(hours=2)
    rrule = event["rrule"]
    assert rrule["FREQ"] == ["WEEKLY"]
    until = rrule["UNTIL"][0]
    assert until.astimezone(UTC).date() == rollout.program.ends_on + timedelta(days=0) or (
        until.astimezone(UTC).date() - rollout.program.ends_on
    ) <= timedelta(days=1)
    attendees = {str(a).removeprefix("mailto:"): a.params["ROLE"] for a in event.get("attendee")}
    assert attendees == {target.person.email: "REQ-PARTICIPANT", boss.email: "OPT-PARTICIPANT"}


def test_a_second_click_changes_nothing(client, asked, smtp_sink, run_jobs):
    _r, _boss, enrollments, path = asked(1)
    allocation = allocation_of(enrollments[0])
    post(client, path, action="approve", allocation_id=allocation.id)
    post(client, path, action="approve", allocation_id=allocation.id)
    run_jobs()
    assert len(smtp_sink.to(enrollments[0].person.email)) == 1
    assert len(db.session.scalars(select(AuditEvent)).all()) == 1


def test_decline_needs_a_reason_and_tells_the_learner(client, asked, smtp_sink, run_jobs):
    _r, _boss, enrollments, path = asked(1)
    allocation = allocation_of(enrollments[0])
    refused = post(client, path, action="decline", allocation_id=allocation.id, reason="  ")
    assert refused.status_code == 422
    assert "einen Grund an" in refused.get_data(as_text=True)
    assert allocation_of(enrollments[0]).status is AllocationStatus.PENDING
    post(client, path, action="decline", allocation_id=allocation.id, reason="Release crunch")
    allocation = allocation_of(enrollments[0])
    assert allocation.status is AllocationStatus.DECLINED and allocation.reason == "Release crunch"
    assert enrollments[0].state is EnrollmentState.COMMITTED
    run_jobs()
    (mail,) = smtp_sink.to(enrollments[0].person.email)
    assert "Release crunch" in text_of(mail)
    assert not list(mail.iter_attachments())


def test_propose_other_hours(client, asked, smtp_sink, run_jobs):
    _r, _boss, enrollments, path = asked(1)
    allocation = allocation_of(enrollments[0])
    bad = post(client, path, action="propose", allocation_id=allocation.id, hours="=1+1")
    assert bad.status_code == 422 and "Stunden pro Woche" in bad.get_data(as_text=True)
    post(client, path, action="propose", allocation_id=allocation.id, hours="1,5", reason="Q4")
    allocation = allocation_of(enrollments[0])
    assert allocation.status is AllocationStatus.PROPOSED and allocation.hours_decided == 1.5
    run_jobs()
    (mail,) = smtp_sink.to(enrollments[0].person.email)
    assert "1.5" in mail["Subject"]


def test_approve_all_approves_only_the_pending(client, asked, smtp_sink, run_jobs):
    _r, _boss, enrollments, path = asked(3)
    declined = allocation_of(enrollments[0])
    post(client, path, action="decline", allocation_id=declined.id, reason="On parental leave")
    post(client, path, action="approve_all")
    statuses = [allocation_of(e).status for e in enrollments]
    assert statuses == [
        AllocationStatus.DECLINED,
        AllocationStatus.APPROVED,
        AllocationStatus.APPROVED,
    ]
    run_jobs()
    assert len(smtp_sink.messages) == 3


def test_changing_an_approval_moves_back_and_cancels_the_block(client, asked, smtp_sink, run_jobs):
    _r, _boss, enrollments, path = asked(1)
    target = enrollments[0]
    allocation = allocation_of(target)
    post(client, path, action="approve", allocation_id=allocation.id)
    assert target.state is EnrollmentState.TIME_APPROVED
    post(client, path, action="decline", allocation_id=allocation.id, reason="Reorg")
    db.session.expire_all()
    assert target.state is EnrollmentState.COMMITTED
    run_jobs()
    _first, second = smtp_sink.to(target.person.email)
    cancel = next(p for p in second.iter_attachments() if p.get_filename() == "study-time.ics")
    cal = Calendar.from_ical(cancel.get_payload(decode=True))
    assert cal["method"] == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert event["sequence"] == 2
    assert str(event["uid"]) == f"study-block-{allocation.id}@summit"


def test_decisions_can_no_longer_change_once_the_first_term_started(client, asked):
    # term 1 starts on Monday 2026-09-07 at midnight Berlin time: 22:00 UTC the day before
    with time_machine.travel(
        datetime(2026, 9, 6, 18, 0, tzinfo=UTC), tick=False
    ):  # within a session's life
        _rollout, _boss, enrollments, path = asked(2)
        allocation = allocation_of(enrollments[0])
        post(client, path, action="approve", allocation_id=allocation.id)
        token = csrf_from(client.get(path).get_data(as_text=True))
    decline = {
        "csrf_token": token,
        "action": "decline",
        "allocation_id": allocation.id,
        "reason": "x",
    }
    with time_machine.travel(datetime(2026, 9, 6, 21, 59, tzinfo=UTC), tick=False):
        assert client.post(path, data=decline).status_code == 303  # a change, just in time
    assert allocation_of(enrollments[0]).status is AllocationStatus.DECLINED
    approve = {"csrf_token": token, "action": "approve", "allocation_id": allocation.id}
    with time_machine.travel(datetime(2026, 9, 6, 22, 0, 1, tzinfo=UTC), tick=False):
        response = client.post(path, data=approve)
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert "mit dem Beginn des ersten Abschnitts" in html and "7. September 2026" in html
        html = client.get(path).get_data(as_text=True)
        # the decided report shows no way to change; the late one can still be decided
        assert f'name="allocation_id" value="{allocation.id}"' not in html
        assert f'name="allocation_id" value="{allocation_of(enrollments[1]).id}"' in html
    assert allocation_of(enrollments[0]).status is AllocationStatus.DECLINED
    assert allocation_of(enrollments[1]).status is AllocationStatus.PENDING


def test_tampered_expired_and_wrong_purpose_links_are_refused(client, asked):
    from app.links.services import make_token

    _r, boss, enrollments, path = asked(1)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/approvals/decide/{tampered}").status_code == 404
    other = make_token(purpose="masterclasses.rsvp", person_id=boss.id, object_id=_r.id)
    assert client.get(f"/approvals/decide/{other}").status_code == 404
    allocation = allocation_of(enrollments[0])
    page = client.get(path)
    token_csrf = csrf_from(page.get_data(as_text=True))
    response = client.post(
        f"/approvals/decide/{tampered}",
        data={"csrf_token": token_csrf, "action": "approve", "allocation_id": allocation.id},
    )
    assert response.status_code == 404
    assert allocation_of(enrollments[0]).status is AllocationStatus.PENDING
    with time_machine.travel(BEFORE_TERM + timedelta(days=22)):
        expired = client.get(path)
        assert expired.status_code == 410
        assert "abgelaufen" in expired.get_data(as_text=True)
        assert 'value="approve"' not in expired.get_data(as_text=True)


def test_a_manager_cannot_decide_someone_elses_report(client, asked):
    rollout, _boss, _enrollments, path = asked(1)
    from tests.approvals.helpers import commit, report

    stranger = commit(report(rollout, manager()))
    db.session.commit()
    other = allocation_of(stranger)
    response = post(client, path, action="approve", allocation_id=other.id)
    assert response.status_code == 404
    assert allocation_of(stranger).status is AllocationStatus.PENDING


def test_a_link_for_another_regions_rollout_shows_only_that_region(client, asked):
    from app.links.services import make_token

    _r, boss, _e, _path = asked(1)
    fr_rollout, _fr_boss, fr_enrollments, _fr_path = asked(1, code="fr")
    # a genuine token for the German manager pointing at the French rollout lists nothing
    crossed = make_token(purpose="approvals.decide", person_id=boss.id, object_id=fr_rollout.id)
    html = client.get(f"/approvals/decide/{crossed}").get_data(as_text=True)
    assert fr_enrollments[0].person.name not in html
    assert "Aucune demande ne vous concerne" in html  # the rollout's region speaks French


def test_delegation_to_a_colleague(client, asked, smtp_sink, run_jobs):
    _r, boss, enrollments, path = asked(2)
    colleague = manager(name="Clara Colleague")
    db.session.commit()
    unknown = post(client, path, action="delegate", delegate_email="nobody@example.com")
    assert unknown.status_code == 422 and "kennen wir niemanden" in unknown.get_data(as_text=True)
    post(client, path, action="delegate", delegate_email=f"  {colleague.email.upper()} ")
    for e in enrollments:
        a = allocation_of(e)
        assert (a.delegate_id, a.delegated_by_id) == (colleague.id, boss.id)
    run_jobs()
    (mail,) = smtp_sink.to(colleague.email)
    assert boss.name in mail["Subject"]
    delegate_path = decision_path(mail)
    assert delegate_path != path
    post(client, delegate_path, action="approve_all")
    a = allocation_of(enrollments[0])
    assert a.status is AllocationStatus.APPROVED and a.decided_by_id == colleague.id
    actions = [
        (ev.action, ev.actor_id, ev.data.get("on_behalf_of"))
        for ev in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]
    assert actions[:2] == [("approval.delegated", boss.id, None)] * 2
    assert actions[2:] == [("approval.approved", colleague.id, boss.id)] * 2
    # the manager's own page shows what the delegate decided
    assert "Clara Colleague" in client.get(path).get_data(as_text=True)


def test_strict_approvals_stop_a_decision_without_the_managers_sign_in(
    client, asked, fake_entra, monkeypatch
):
    """The auth capability's check, registered by the real wiring, runs before a decision."""
    from dataclasses import replace

    from flask import current_app

    settings = replace(current_app.extensions["summit.settings"], entra_strict_approvals=True)
    monkeypatch.setitem(current_app.extensions, "summit.settings", settings)
    _r, _boss, enrollments, path = asked(1)
    allocation = allocation_of(enrollments[0])
    response = post(client, path, action="approve", allocation_id=allocation.id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/auth/entra/verify?next={path}"
    assert allocation_of(enrollments[0]).status is AllocationStatus.PENDING


def test_an_expired_link_offers_a_fresh_one_by_email(client, asked, smtp_sink, run_jobs):
    _r, boss, _enrollments, path = asked(2)
    with time_machine.travel(BEFORE_TERM + timedelta(days=22), tick=False):
        expired, sent = ask_for_fresh_link(client, path)
        assert "Dieser Link ist abgelaufen" in expired  # the manager's language
        assert "Sehen Sie in Ihr Postfach" in sent
        _expired, again = ask_for_fresh_link(client, path)
        assert again == sent  # the same answer, whatever happened
        run_jobs()
        (mail,) = smtp_sink.to(boss.email)  # one a day
        assert mail["Subject"] == "Ihr neuer Link von Summit"
        fresh = fresh_link_path(mail)
        assert fresh.startswith("/approvals/decide/") and fresh != path
        assert client.get(fresh).status_code == 200


def test_the_page_speaks_the_managers_language(client, asked):
    """Like the request email: the manager's own locale first, then the region's."""
    _r, boss, _e, path = asked(2, code="fr")
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="fr' in html
    assert "Approuver les 2 demandes en attente" in html and "Approve all" not in html
    boss.locale = "en_GB"
    db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="en' in html and "Approve all 2 pending requests" in html
    boss.locale = "sv_SE"  # no Swedish catalog: the region's language, as the email
    db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="fr' in html and "Approuver les 2 demandes en attente" in html


def test_a_refusal_is_explained_in_the_managers_language(client, asked):
    _r, _boss, enrollments, path = asked(1, code="fr")
    allocation = allocation_of(enrollments[0])
    refused = post(client, path, action="decline", allocation_id=allocation.id, reason="")
    assert refused.status_code == 422
    assert "Merci d&#39;indiquer un motif" in refused.get_data(as_text=True)
