"""Late requests: a request still pending when the first term starts can still be decided,
once, until the program ends; an approval then gives study time from the current week on.

The rule (``app/approvals/policy.py``): changing a decision stops when the first term
starts, but a learner whose manager answers a week late must not lose the program for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from app.approvals import services
from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.policy import can_decide, weeks_left
from app.extensions import db
from app.rollouts.models import EnrollmentState
from tests.approvals.helpers import csrf_from

#: Thursday of the program's third week (term 1 started on Monday 7 September 2026)
LATE = datetime(2026, 9, 24, 10, 0, tzinfo=UTC)
#: the day after the program's last day (12 weeks: it ends on Sunday 29 November 2026)
ENDED = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _allocation(enrollment):
    db.session.expire_all()
    return db.session.scalars(
        select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one()


def test_the_rule_in_the_policy(asked):
    rollout, _boss, _enrollments, _path = asked(1)
    program, region = rollout.program, rollout.region
    before = datetime(2026, 9, 6, 21, 59, tzinfo=UTC)
    assert can_decide(program, region, before, pending=False)
    assert not can_decide(program, region, LATE, pending=False)
    assert can_decide(program, region, LATE, pending=True)
    assert not can_decide(program, region, ENDED, pending=True)
    assert weeks_left(program, date(2026, 9, 1)) == 12
    assert weeks_left(program, date(2026, 9, 24)) == 10  # from Monday 21 September
    assert weeks_left(program, date(2026, 11, 29)) == 1


def test_a_late_request_is_approved_from_this_week_on(client, asked, smtp_sink, run_jobs):
    with time_machine.travel(LATE - timedelta(days=1), tick=False):  # a resent, fresh link
        _rollout, _boss, enrollments, path = asked(2)
    first, second = (_allocation(e) for e in enrollments)
    with time_machine.travel(LATE, tick=False):
        page = client.get(path).get_data(as_text=True)
        # the late requests are decidable on the page, with the weeks left said plainly
        assert f'name="allocation_id" value="{first.id}"' in page
        text = " ".join(page.split())
        assert "Das Programm hat am 7. September 2026 begonnen." in text
        assert "ab dieser Woche genehmigen: Es bleiben noch 10 Wochen." in text
        response = client.post(
            path,
            data={"csrf_token": csrf_from(page), "action": "approve", "allocation_id": first.id},
        )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#report-{second.id}")
    first = _allocation(enrollments[0])
    assert first.status is AllocationStatus.APPROVED
    assert enrollments[0].state is EnrollmentState.TIME_APPROVED
    run_jobs()
    (mail,) = smtp_sink.to(enrollments[0].person.email)
    (ics,) = [p for p in mail.iter_attachments() if p.get_filename() == "study-time.ics"]
    start = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0].decoded("dtstart")
    # the first block is the Friday of the decision's week, not one in the past
    assert start.date() == date(2026, 9, 25) and start.hour == 14


def test_a_late_decision_is_final_and_the_program_end_closes_the_rest(client, asked):
    with time_machine.travel(ENDED - timedelta(days=1), tick=False):  # a link still fresh
        rollout, boss, enrollments, path = asked(2)
    first, second = (_allocation(e) for e in enrollments)
    region = rollout.region
    with time_machine.travel(LATE, tick=False):
        services.decide(
            region=region,
            allocation=first,
            decision=AllocationStatus.DECLINED,
            actor=boss,
            channel="link",
            reason="Quarter-end",
        )
        with pytest.raises(services.DecisionsClosed) as closed:
            services.decide(
                region=region,
                allocation=first,
                decision=AllocationStatus.APPROVED,
                actor=boss,
                channel="link",
            )
        assert closed.value.key == "closed"
        assert "September 7, 2026" in str(closed.value)  # the staff pages' English, no ISO
    with time_machine.travel(ENDED, tick=False):
        with pytest.raises(services.DecisionsClosed) as ended:
            services.approve_all(region=region, allocations=[second], actor=boss, channel="link")
        assert ended.value.key == "closed_ended"
        assert "29. November 2026" in ended.value.in_language("de")
        html = client.get(path).get_data(as_text=True)
        assert 'value="approve"' not in html
    assert _allocation(enrollments[1]).status is AllocationStatus.PENDING


def test_delegating_a_late_request_still_works(asked, smtp_sink, run_jobs):
    from tests.approvals.helpers import manager

    rollout, boss, _enrollments, _path = asked(1)
    colleague = manager("de", name="Cora Colleague")
    with time_machine.travel(LATE, tick=False):
        services.delegate(
            region=rollout.region,
            rollout=rollout,
            from_person=boss,
            delegate_email=colleague.email,
        )
    run_jobs()
    (mail,) = smtp_sink.to(colleague.email)
    assert mail["Subject"]  # the colleague is asked, with the same page behind the link


def test_the_lead_decides_a_late_request_of_a_learner_without_a_manager(client, login_as):
    import re

    from app.auth.models import Role
    from tests.approvals.helpers import commit, report, rollout_in
    from tests.factories import staff

    rollout = rollout_in()  # term 1 starts on Monday 7 September 2026
    top = commit(report(rollout, None))
    with time_machine.travel(LATE, tick=False):
        login_as(staff(Role.LOCAL_LEAD, "de"))  # a session of that day
        page = client.get(f"/r/de/approvals/{rollout.slug}").get_data(as_text=True)
        allocation = _allocation(top)
        action = f"/r/de/approvals/{rollout.slug}/allocations/{allocation.id}"
        assert f'action="{action}"' in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(action, data={"csrf_token": token, "action": "approve"})
    assert response.status_code == 303
    assert _allocation(top).status is AllocationStatus.APPROVED
