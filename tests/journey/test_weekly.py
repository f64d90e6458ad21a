"""The weekly journey email: who gets it, once per learner and week, what it says."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.calls.models import CallSession
from app.extensions import db
from app.journey import services
from app.journey.models import JourneySend
from app.rollouts.models import EnrollmentState
from jobs.journey import send_weekly
from tests.factories import region
from tests.journey.helpers import complete, launched, learner, sends, weekly_emails

# Monday 23 November 2026 09:00 in Paris (08:00 UTC), an hour after the 08:00 send time
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = "2026-W48"


def test_each_active_learner_gets_one_email_and_leavers_none():
    rollout = launched("fr")
    receiving = [
        learner(rollout, state)
        for state in (
            EnrollmentState.COMMITTED,
            EnrollmentState.TIME_APPROVED,
            EnrollmentState.ACTIVE,
        )
    ]
    for state in (
        EnrollmentState.INVITED,
        EnrollmentState.COMPLETED,
        EnrollmentState.WITHDRAWN,
        EnrollmentState.REMOVED,
    ):
        learner(rollout, state)
    paused = learner(rollout)
    services.pause(paused)
    draft = launched("fr", status="draft")
    learner(draft)
    db.session.commit()

    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 3
    emails = weekly_emails()
    assert sorted(e.person_id for e in emails) == sorted(e.person_id for e in receiving)
    # the second tick, a retry: nothing more
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 0
    assert send_weekly(region("fr").id, (MONDAY + timedelta(hours=3)).isoformat()) == 0
    assert len(weekly_emails()) == 3 and sends() == 3


def test_a_learner_who_completes_withdraws_or_is_removed_gets_no_more():
    rollout = launched("fr")
    stays, completes, withdraws, removed = (learner(rollout) for _ in range(4))
    db.session.commit()
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 4
    for enrollment, state in (
        (completes, EnrollmentState.COMPLETED),
        (withdraws, EnrollmentState.WITHDRAWN),
        (removed, EnrollmentState.REMOVED),
    ):
        enrollment.transition(state)
    db.session.commit()
    next_week = MONDAY + timedelta(weeks=1)
    assert send_weekly(region("fr").id, next_week.isoformat()) == 1
    [latest] = [e for e in weekly_emails() if e.idempotency_key.endswith("2026-W49")]
    assert latest.person_id == stays.person_id


def test_not_before_the_region_hour_and_not_long_after():
    rollout = launched("fr")
    learner(rollout)
    db.session.commit()
    before = MONDAY - timedelta(minutes=61)  # 07:59 in Paris
    assert send_weekly(region("fr").id, before.isoformat()) == 0
    assert send_weekly(region("fr").id, (MONDAY + timedelta(hours=12)).isoformat()) == 0
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 1


def test_two_runs_racing_claim_each_learner_once():
    rollout = launched("fr")
    for _ in range(5):
        learner(rollout)
    db.session.commit()
    # both runs read the same recipients; the unique key hands each learner to one of them
    first = services.send_batch(region=region("fr"), week=WEEK, limit=3)
    second = services.send_batch(region=region("fr"), week=WEEK, limit=3)
    assert first.queued == 3 and second.queued == 2
    again = services._claim(region("fr").id, WEEK, [e.id for e in _all()], measures_opens=False)
    assert again == []
    assert sends() == 5 and len(weekly_emails()) == 5


def _all():
    from app.rollouts.models import Enrollment

    return db.session.scalars(select(Enrollment)).all()


def test_a_batch_costs_the_same_statements_for_4_or_12_learners(app):
    from sqlalchemy import event

    rollout = launched("fr")
    for _ in range(4):
        learner(rollout, buddy_group=None)
    db.session.commit()

    def statements_of_a_run() -> tuple[int, int]:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            queued = services.send_week(region=region("fr"), week=WEEK, batch=50)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
        return queued, len(seen)

    few = statements_of_a_run()
    for _ in range(8):
        learner(rollout)
    db.session.commit()
    many = statements_of_a_run()
    assert few[0] == 4 and many[0] == 12
    assert many[1] == few[1]


def test_the_email_shows_pace_modules_buddy_call_and_note():
    rollout = launched("fr")
    me = learner(rollout, buddy_group=900)
    buddy = learner(rollout, buddy_group=900)
    complete(me, 1)
    complete(buddy, 1, 2)
    call = CallSession(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        series_date=datetime(2026, 11, 26).date(),
        starts_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        duration_minutes=45,
    )
    db.session.add(call)
    with time_machine.travel(datetime(2026, 11, 20, 17, 0, tzinfo=UTC), tick=False):
        services.set_note(
            rollout=rollout,
            text="Module 3 is the hard one: start early.",
            author="Ada, expert",
            actor=None,
        )
    me.person.locale = "en_GB"
    db.session.commit()
    send_weekly(region("fr").id, MONDAY.isoformat())
    [email] = [e for e in weekly_emails() if e.person_id == me.person_id]
    text = email.text_body
    # week 48: term 1 (2 Nov – 29 Nov) is at 28 of 28 days by the end of the week → 2 due
    assert "You have completed 1 of 6 modules." in text
    assert "the pace is 2: 1 module to catch up" in text
    assert "- Module 2" in text
    assert f"{buddy.person.name} has completed 2 modules." in text
    # 15:00 UTC is 16:00 in Paris, in the learner's locale
    assert "Thursday, 26 November 2026, 16:00" in text
    assert "Module 3 is the hard one: start early." in text and "Ada, expert" in text
    html = email.html_body
    assert 'width="17%"' in html and 'width="83%"' in html  # the bar: 1 of 6, table cells
    assert "/journey/open/" in html  # France names individuals: opens are measured
    assert email.subject == f"{rollout.program.title}: your week — 1 module to catch up"


def test_aggregate_region_has_no_pixel_and_the_note_expires():
    rollout = launched("de")
    learner(rollout)
    services.set_note(rollout=rollout, text="Old words", author="", actor=None)
    db.session.commit()
    later = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin, weeks later
    assert send_weekly(region("de").id, later.isoformat()) == 1
    [email] = weekly_emails()
    assert "/journey/open/" not in email.html_body and "<img" not in email.html_body
    assert "Old words" not in email.text_body
    assert db.session.scalars(select(JourneySend)).one().measures_opens is False


def test_links_in_the_email_are_absolute_and_signed():
    rollout = launched("fr")
    learner(rollout)
    db.session.commit()
    send_weekly(region("fr").id, MONDAY.isoformat())
    [email] = weekly_emails()
    hrefs = re.findall(r'href="([^"]*)"', email.html_body)
    assert hrefs and all(h.startswith("http://summit.test/journey/") for h in hrefs)
