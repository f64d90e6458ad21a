from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, ApprovalDigest, TimeAllocation
from app.approvals.request_emails import send_due_requests
from app.extensions import db
from tests.approvals.helpers import commit, decision_path, manager, report, rollout_in, text_of
from tests.factories import region


def test_commit_creates_a_pending_allocation_and_sends_nothing_yet(smtp_sink, run_jobs):
    rollout = rollout_in(hours=3.5)
    boss = manager()
    enrollment = commit(report(rollout, boss))
    allocation = db.session.scalars(select(TimeAllocation)).one()
    assert allocation.enrollment_id == enrollment.id
    assert allocation.manager_id == boss.id
    assert allocation.status is AllocationStatus.PENDING
    assert allocation.hours_requested == 3.5
    run_jobs()
    assert smtp_sink.messages == []


@time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False)
def test_a_learner_without_a_manager_is_decided_by_the_local_lead(
    client, login_as, smtp_sink, run_jobs
):
    """The top of the roster has no manager: nobody is emailed a request, the local lead
    decides on the approvals page, and a manager named later takes over what is open."""
    import re

    from app.approvals.services import move_pending_to_manager
    from app.auth.models import Role
    from tests.factories import staff

    rollout = rollout_in()
    top, other = commit(report(rollout, None)), commit(report(rollout, None))
    allocations = db.session.scalars(select(TimeAllocation).order_by(TimeAllocation.id)).all()
    assert [a.manager_id for a in allocations] == [None, None]
    assert send_due_requests(region=region("de")) == 0  # nobody to email
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = client.get(f"/r/de/approvals/{rollout.slug}").get_data(as_text=True)
    assert "Learners without a manager: your decision" in page and top.person.name in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/r/de/approvals/{rollout.slug}/allocations/{allocations[0].id}",
        data={"csrf_token": token, "action": "approve"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert allocations[0].status is AllocationStatus.APPROVED
    run_jobs()
    assert len(smtp_sink.to(top.person.email)) == 1  # the outcome and the study block
    boss = manager()
    assert move_pending_to_manager(person=other.person, old_manager_id=None, new_manager_id=boss.id)
    db.session.expire_all()
    assert allocations[1].manager_id == boss.id and allocations[0].manager_id is None


@time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False)
def test_one_email_per_manager_per_rollout(smtp_sink, run_jobs):
    de = region("de")
    first, second = rollout_in(sponsor="Dr. Klaus Hartmann"), rollout_in()
    first.sponsor_message = "Give your people the hours: I will ask about it."
    boss, other = manager(), manager()
    a = [commit(report(first, boss)) for _ in range(3)]
    b = [commit(report(second, boss)) for _ in range(2)]
    commit(report(first, other))
    assert send_due_requests(region=de) == 3
    run_jobs()
    to_boss = smtp_sink.to(boss.email)
    assert len(to_boss) == 2  # one per rollout, not one per learner
    by_program = {m["Subject"]: text_of(m) for m in to_boss}
    first_mail = next(t for s, t in by_program.items() if first.program.title in s)
    for e in a:
        assert e.person.name in first_mail
    for e in b:
        assert e.person.name not in first_mail
    assert "Give your people the hours" in first_mail
    assert "2 Stunden Arbeitszeit pro Woche" in first_mail  # German region, German email
    assert "7. September 2026" in first_mail  # term dates in the region's language
    assert "/approvals/decide/" in first_mail
    assert len(smtp_sink.to(other.email)) == 1
    # running again sends nothing: everyone was asked
    assert send_due_requests(region=de) == 0


def test_later_commitments_are_batched_into_one_follow_up_a_day(smtp_sink, run_jobs):
    de = region("de")
    rollout, boss = rollout_in(), manager()
    with time_machine.travel(datetime(2026, 6, 2, 7, 0, tzinfo=UTC), tick=False):
        first = commit(report(rollout, boss))
        assert send_due_requests(region=de) == 1
        run_jobs()
        # two more commit later the same day: they wait for tomorrow's follow-up
        later = [commit(report(rollout, boss)) for _ in range(2)]
        assert send_due_requests(region=de) == 0
        db.session.commit()
    with time_machine.travel(datetime(2026, 6, 3, 7, 0, tzinfo=UTC), tick=False):
        assert send_due_requests(region=de) == 1
        assert send_due_requests(region=de) == 0
        run_jobs()
    mails = smtp_sink.to(boss.email)
    assert len(mails) == 2
    follow_up = text_of(mails[1])
    assert "Seit unserer letzten E-Mail" in follow_up
    for e in later:
        assert f"{e.person.name} (neu)" in follow_up
    assert first.person.name in follow_up and f"{first.person.name} (neu)" not in follow_up
    digests = db.session.scalars(select(ApprovalDigest).order_by(ApprovalDigest.id)).all()
    assert [d.follow_up for d in digests] == [False, True]


@time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False)
def test_request_is_in_the_managers_language(smtp_sink, run_jobs):
    fr_rollout = rollout_in("fr")
    boss = manager("fr")
    commit(report(fr_rollout, boss))
    send_due_requests(region=region("fr"))
    run_jobs()
    (mail,) = smtp_sink.to(boss.email)
    assert "temps de formation" in mail["Subject"]
    assert decision_path(mail).startswith("/approvals/decide/")


def test_the_digest_table_refuses_a_second_request_the_same_day():
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.approvals.models import DigestKind

    rollout, boss = rollout_in(), manager()
    day = datetime(2026, 6, 2, tzinfo=UTC).date()
    for _ in range(2):
        db.session.add(
            ApprovalDigest(
                region_id=rollout.region_id,
                rollout_id=rollout.id,
                manager_id=boss.id,
                day=day,
                kind=DigestKind.REQUEST,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_nobody_is_asked_once_the_first_term_started(smtp_sink, run_jobs):
    rollout, boss = rollout_in(), manager()
    commit(report(rollout, boss))
    term_one = datetime(2026, 9, 6, 22, 0, tzinfo=UTC)  # Monday 7 September, 00:00 in Berlin
    assert send_due_requests(region=region("de"), now=term_one) == 0
    assert send_due_requests(region=region("de"), now=term_one - timedelta(minutes=1)) == 1


def test_the_scheduled_jobs_send_requests_and_reminders(smtp_sink, run_jobs):
    from datetime import date

    from app.tasks import enqueue_after_commit

    rollout, boss = rollout_in(starts_on=date(2027, 9, 6)), manager()
    commit(report(rollout, boss))
    enqueue_after_commit("jobs.approvals.send_requests", region("de").id)
    enqueue_after_commit("jobs.approvals.send_reminders", region("de").id)
    run_jobs()
    assert len(smtp_sink.to(boss.email)) == 1
    assert db.session.scalars(select(TimeAllocation)).one().request_sent_at is not None


@time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False)
def test_the_request_run_costs_the_same_statements_however_many_reports(smtp_sink, run_jobs):
    """A run reads and writes a page of managers in a fixed number of statements: one
    manager with one report costs what seven managers with four reports each cost."""
    from tests.statements import statements_during

    small, large = rollout_in("de"), rollout_in("fr")
    commit(report(small, manager("de")))
    bosses = [manager("fr") for _ in range(7)]
    for boss in bosses:
        for _ in range(4):
            commit(report(large, boss))
    sent: dict[str, int] = {}
    one = statements_during(lambda: sent.update(de=send_due_requests(region=region("de"))))
    many = statements_during(lambda: sent.update(fr=send_due_requests(region=region("fr"))))
    assert sent == {"de": 1, "fr": 7}
    assert len(many) == len(one), "\n---\n".join(s[:90] for s in many)
    run_jobs()
    for boss in bosses:
        (mail,) = smtp_sink.to(boss.email)
        assert text_of(mail).count("(nouveau)") == 4 or text_of(mail).count("(new)") == 4


@time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False)
def test_the_request_run_reads_managers_in_pages(smtp_sink, run_jobs):
    """Pages of two managers: every manager still gets one email listing all their
    reports, every report is marked as asked, and a second run sends nothing."""
    rollout = rollout_in()
    bosses = [manager() for _ in range(5)]
    for i, boss in enumerate(bosses):
        for _ in range(i + 1):
            commit(report(rollout, boss))
    assert send_due_requests(region=region("de"), page_size=2) == 5
    assert send_due_requests(region=region("de"), page_size=2) == 0
    digests = db.session.scalars(select(ApprovalDigest).order_by(ApprovalDigest.manager_id)).all()
    assert [(d.manager_id, d.report_count) for d in digests] == [
        (boss.id, i + 1) for i, boss in enumerate(bosses)
    ]
    allocations = db.session.scalars(select(TimeAllocation)).all()
    by_manager = {d.manager_id: d.id for d in digests}
    assert all(a.digest_id == by_manager[a.manager_id] for a in allocations)
    assert all(a.request_sent_at is not None for a in allocations)
    run_jobs()
    assert [len(smtp_sink.to(boss.email)) for boss in bosses] == [1] * 5
