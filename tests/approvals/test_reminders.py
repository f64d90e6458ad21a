from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.approvals.digests import send_due_requests
from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.reminders import send_due_reminders
from app.auth.models import Role
from app.calendar import HolidayCalendar
from app.extensions import db
from app.people.signals import manager_changed
from tests.approvals.helpers import commit, decision_path, manager, report, rollout_in, text_of
from tests.factories import region, staff


def test_business_days_skip_weekends_and_the_regions_holidays():
    de, us = HolidayCalendar.of(region("de")), HolidayCalendar.of(region("us"))
    assert not de.is_business_day(date(2026, 6, 4))  # Corpus Christi in Bavaria
    assert us.is_business_day(date(2026, 6, 4))
    assert not us.is_business_day(date(2026, 7, 3))  # Independence Day observed (a Friday)
    assert not de.is_business_day(date(2026, 6, 6))  # Saturday
    # Tue → Mon across the holiday and the weekend: Wed, Fri, Mon
    assert de.business_days_between(date(2026, 6, 2), date(2026, 6, 8)) == 3
    assert us.business_days_between(date(2026, 6, 2), date(2026, 6, 8)) == 4


def test_reminders_on_business_days_then_escalation_naming_the_managers_manager(
    smtp_sink, run_jobs
):
    de = region("de")
    assert (de.reminder_cadence_days, de.escalate_after_reminders) == (3, 2)
    leads = [staff(Role.LOCAL_LEAD, "de"), staff(Role.LOCAL_LEAD, "de")]
    staff(Role.LOCAL_LEAD, "fr")
    rollout = rollout_in()
    director = manager(name="Doris Director")
    boss = manager(boss=director, name="Bert Boss")
    enrollments = [commit(report(rollout, boss)) for _ in range(2)]
    with time_machine.travel(datetime(2026, 6, 2, 7, 0, tzinfo=UTC), tick=False):  # Tue 09:00
        send_due_requests(region=de)
        run_jobs()
    smtp_sink.clear()
    reminded, escalated = [], []
    day = date(2026, 6, 2)
    while day <= date(2026, 6, 19):
        with time_machine.travel(datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)):
            run = send_due_reminders(region=de)
            again = send_due_reminders(region=de)  # a second run the same day sends nothing
            assert (again.reminded, again.escalated) == (0, 0)
            db.session.commit()
        if run.reminded:
            reminded.append(day)
        if run.escalated:
            escalated.append(day)
        day += timedelta(days=1)
    # Tue 2 → Wed 3, (Thu 4 holiday), Fri 5, (weekend), Mon 8: the first reminder
    assert reminded == [date(2026, 6, 8), date(2026, 6, 11)]
    assert escalated == [date(2026, 6, 16)]
    run_jobs()
    reminders = smtp_sink.to(boss.email)
    assert len(reminders) == 2 and all("Erinnerung" in m["Subject"] for m in reminders)
    assert all(e.person.name in text_of(reminders[0]) for e in enrollments)
    assert decision_path(reminders[1]).startswith("/approvals/decide/")  # a fresh link
    for lead in leads:
        (mail,) = smtp_sink.to(lead.email)
        body = text_of(mail)
        assert "Bert Boss" in body and "Doris Director" in body
        assert all(e.person.name in body for e in enrollments)
    assert len(smtp_sink.messages) == 4
    allocation = db.session.scalars(select(TimeAllocation)).first()
    assert allocation.reminders_sent == 2 and allocation.escalated_at is not None


def test_decided_requests_are_not_reminded(smtp_sink, run_jobs):
    from app.approvals.services import decide

    de = region("de")
    rollout, boss = rollout_in(), manager()
    enrollment = commit(report(rollout, boss))
    with time_machine.travel(datetime(2026, 6, 2, 7, 0, tzinfo=UTC), tick=False):
        send_due_requests(region=de)
        allocation = db.session.scalars(select(TimeAllocation)).one()
        decide(
            region=de,
            allocation=allocation,
            decision=AllocationStatus.APPROVED,
            actor=boss,
            channel="link",
        )
    with time_machine.travel(datetime(2026, 6, 10, 7, 0, tzinfo=UTC), tick=False):
        assert send_due_reminders(region=de).reminded == 0
    assert enrollment.person.manager_id == boss.id


def test_a_manager_change_moves_pending_requests_to_the_new_manager(client, smtp_sink, run_jobs):
    de = region("de")
    rollout = rollout_in()
    old, new = manager(name="Olga Old"), manager(name="Nina New")
    moving = commit(report(rollout, old))
    decided = commit(report(rollout, old))
    with time_machine.travel(datetime(2026, 6, 2, 7, 0, tzinfo=UTC), tick=False):
        send_due_requests(region=de)
        run_jobs()
        (old_mail,) = smtp_sink.to(old.email)
        from app.approvals.services import decide

        decide(
            region=de,
            allocation=db.session.scalars(
                select(TimeAllocation).where(TimeAllocation.enrollment_id == decided.id)
            ).one(),
            decision=AllocationStatus.APPROVED,
            actor=old,
            channel="link",
        )
        # the roster re-import (another capability) changes the manager and says so
        person = moving.person
        person.manager_id = new.id
        manager_changed.send(person, old_manager_id=old.id, new_manager_id=new.id)
        db.session.commit()
    with time_machine.travel(datetime(2026, 6, 3, 7, 0, tzinfo=UTC), tick=False):
        assert send_due_requests(region=de) == 1
        run_jobs()
        # the old manager's link no longer offers the moved report, but shows their decision
        html = client.get(decision_path(old_mail)).get_data(as_text=True)
        assert moving.person.name not in html and decided.person.name in html
    (new_mail,) = smtp_sink.to(new.email)
    assert moving.person.name in text_of(new_mail)
    assert decided.person.name not in text_of(new_mail)
    by_enrollment = {
        a.enrollment_id: a.manager_id for a in db.session.scalars(select(TimeAllocation))
    }
    assert by_enrollment == {moving.id: new.id, decided.id: old.id}
