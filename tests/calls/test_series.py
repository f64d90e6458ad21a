from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from app.calls import changes, services
from app.calls.calendar import rollout_sessions, series_sequence, series_uid
from app.calls.models import CallInvitation, CallSession, CallStatus
from app.extensions import db
from app.rollouts.models import EnrollmentState
from tests.calls.helpers import calendars, expand, held, learner, make_rollout, text_of

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def calendars_of_sent(rollout):
    """The series' SEQUENCE as it stands (what the last invite.ics carried)."""
    return series_sequence(rollout_sessions(rollout.id))


@time_machine.travel(BEFORE_START, tick=False)
def test_series_invites_hosts_and_active_learners_once(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    anna = learner(rollout, name="Anna Müller", email="anna@example.com")
    learner(rollout, EnrollmentState.TIME_APPROVED, email="tim@example.com")
    learner(rollout, EnrollmentState.COMMITTED, email="carl@example.com")
    learner(rollout, EnrollmentState.INVITED, email="ida@example.com")

    created = services.generate_series(region=rollout.region, rollout=rollout)
    assert len(created) == 12
    assert services.generate_series(region=rollout.region, rollout=rollout) == []
    run_jobs()

    recipients = sorted(m.rcpt_tos[0] for m in smtp_sink.messages)
    assert recipients == [
        "anna@example.com",
        "expert.de@example.com",
        "hr.de@example.com",
        "tim@example.com",
    ]
    msg = smtp_sink.to("anna@example.com")[0]
    cal = calendars(msg)["REQUEST"]
    # one recurring event, not one VEVENT per session (Outlook imports only the first)
    [master] = cal.walk("VEVENT")
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    sessions = services.sessions_of(rollout.id)
    assert str(master["uid"]) == series_uid(rollout.id)
    assert master["dtstart"].params["tzid"] == "Europe/Berlin"
    assert master.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2026-09-10 16:00"
    rule = master["rrule"]
    assert (rule["freq"], rule["byday"]) == (["WEEKLY"], ["TH"])
    assert rule["until"] == [datetime(2026, 11, 26, 15, 0, tzinfo=UTC)]
    assert "exdate" not in master and "recurrence-id" not in master
    # what the calendar shows is the sessions, 16:00 Berlin on both sides of 25 October
    assert expand(cal) == held(sessions) and len(held(sessions)) == 12
    berlin = ZoneInfo("Europe/Berlin")
    assert {start.astimezone(berlin).time() for start, _ in expand(cal)} == {time(16, 0)}
    assert {start.hour for start, _ in expand(cal)} == {14, 15}
    assert str(master["location"]) == "https://meet.example.com/de"
    assert "Anna Müller" in str(master["attendee"].params["cn"])
    assert "16:00" in text_of(msg)
    sequence = master["sequence"]

    # a learner approved later is invited by the hourly sync, the others are not again
    learner(rollout, email="late@example.com")
    smtp_sink.clear()
    assert services.sync_invitations(region=rollout.region, now=BEFORE_START) == 1
    run_jobs()
    assert [m.rcpt_tos[0] for m in smtp_sink.messages] == ["late@example.com"]
    assert anna.person.email == "anna@example.com"
    # the late joiner holds the same series: the same UID and version, so updates match
    [late] = calendars(smtp_sink.to("late@example.com")[0])["REQUEST"].walk("VEVENT")
    assert (str(late["uid"]), late["sequence"]) == (series_uid(rollout.id), sequence)
    assert str(late["attendee"]) == "mailto:late@example.com"


@time_machine.travel(BEFORE_START, tick=False)
def test_a_learner_in_another_zone_gets_the_same_instant(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    learner(rollout, email="remote@example.com", time_zone="America/New_York")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    msg = smtp_sink.to("remote@example.com")[0]
    first = calendars(msg)["REQUEST"].walk("VEVENT")[0]
    starts = first.decoded("dtstart")
    assert starts == datetime(2026, 9, 10, 14, 0, tzinfo=UTC)
    assert starts.astimezone(ZoneInfo("America/New_York")).hour == 10
    assert "10:00" in text_of(msg)  # the body speaks their time


@time_machine.travel(BEFORE_START, tick=False)
def test_move_then_cancel_raise_sequence_and_cancel_goes_out(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    before = calendars_of(smtp_sink, "anna@example.com")
    smtp_sink.clear()
    session = services.sessions_of(rollout.id)[2]
    assert session.series_date == date(2026, 9, 24)

    changes.move_session(
        region=rollout.region,
        session=session,
        day=date(2026, 9, 25),
        at=time(9, 30),
        note="Expert travelling",
        actor=None,
    )
    run_jobs()
    msg = smtp_sink.to("anna@example.com")[0]
    cal = calendars(msg)["REQUEST"]
    master, moved = cal.walk("VEVENT")
    assert str(master["uid"]) == str(moved["uid"]) == series_uid(rollout.id)
    assert master["sequence"] == moved["sequence"] > before["sequence"]
    # the override names the occurrence it replaces, in the master's zone
    assert moved["recurrence-id"].params["tzid"] == "Europe/Berlin"
    assert moved.decoded("recurrence-id").strftime("%Y-%m-%d %H:%M") == "2026-09-24 16:00"
    assert moved.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2026-09-25 09:30"
    assert "Expert travelling" in str(moved["description"])
    assert expand(cal) == held(services.sessions_of(rollout.id))
    assert "CANCEL" not in calendars(msg)
    assert "Expert travelling" in text_of(msg)
    assert len(smtp_sink.to("expert.de@example.com")) == 1
    moved_sequence = master["sequence"]

    smtp_sink.clear()
    changes.cancel_session(region=rollout.region, session=session, note="", actor=None)
    changes.cancel_session(region=rollout.region, session=session, note="", actor=None)
    run_jobs()
    msgs = smtp_sink.to("anna@example.com")
    assert len(msgs) == 1
    # one occurrence cancelled: the series again, that week in EXDATE, the rest kept
    assert list(calendars(msgs[0])) == ["REQUEST"]
    cal = calendars(msgs[0])["REQUEST"]
    [master] = cal.walk("VEVENT")
    assert master["sequence"] > moved_sequence
    assert master["exdate"].params["tzid"] == "Europe/Berlin"
    assert [d.dt.strftime("%Y-%m-%d %H:%M") for d in master["exdate"].dts] == ["2026-09-24 16:00"]
    shown = expand(cal)
    assert shown == held(services.sessions_of(rollout.id)) and len(shown) == 11
    assert db.session.get(CallSession, session.id).status is CallStatus.CANCELLED


def calendars_of(smtp_sink, address):
    """The series master of the last invite.ics sent to ``address``."""
    return calendars(smtp_sink.to(address)[-1])["REQUEST"].walk("VEVENT")[0]


def test_changing_the_series_moves_future_sessions_only(run_jobs, smtp_sink):
    with time_machine.travel(BEFORE_START, tick=False):
        rollout = make_rollout("de")
        learner(rollout, email="anna@example.com")
        services.generate_series(region=rollout.region, rollout=rollout)
        by_hand = services.sessions_of(rollout.id)[8]
        changes.move_session(
            region=rollout.region,
            session=by_hand,
            day=by_hand.series_date,
            at=time(18, 0),
            note="",
            actor=None,
        )
        run_jobs()
        first_sequence = calendars_of(smtp_sink, "anna@example.com")["sequence"]
    with time_machine.travel(datetime(2026, 10, 19, 8, 0, tzinfo=UTC), tick=False):
        smtp_sink.clear()
        now = datetime(2026, 10, 19, 8, 0, tzinfo=UTC)
        past = {s.id: s.starts_at for s in services.sessions_of(rollout.id) if s.starts_at < now}
        assert len(past) == 6
        changed, cancelled, created = changes.change_series(
            region=rollout.region,
            rollout=rollout,
            weekday=1,
            at=time(10, 0),
            duration_minutes=60,
            join_url="https://meet.example.com/new",
            actor=None,
        )
        assert (cancelled, created) == (0, 0)
        sessions = services.sessions_of(rollout.id)
        for s in sessions:
            if s.id in past:
                assert s.starts_at == past[s.id] and s.sequence == 0
        berlin = ZoneInfo("Europe/Berlin")
        future = [s for s in sessions if s.id not in past]
        assert changed == len(future)
        for s in future:
            local = s.starts_at.astimezone(berlin)
            if s.id == by_hand.id:
                assert local.time() == time(18, 0) and s.sequence == 2
            else:
                assert (local.weekday(), local.time(), s.sequence) == (1, time(10, 0), 1)
            assert s.join_url == "https://meet.example.com/new"
        run_jobs()
        msg = smtp_sink.to("anna@example.com")[0]
        cal = calendars(msg)["REQUEST"]
        master, *overrides = cal.walk("VEVENT")
        assert master["rrule"]["byday"] == ["TU"]
        assert master.decoded("dtstart").strftime("%H:%M") == "10:00"
        assert master["sequence"] > first_sequence
        # the six Thursdays already held stay where they were, as overrides of the series
        assert len(overrides) == 7  # six past Thursdays, the 18:00 session moved by hand
        assert {str(e["uid"]) for e in cal.walk("VEVENT")} == {series_uid(rollout.id)}
        assert expand(cal) == held(sessions)


@time_machine.travel(BEFORE_START, tick=False)
def test_a_learner_who_leaves_gets_a_cancellation(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    leaver = learner(rollout, email="leaver@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    smtp_sink.clear()
    leaver.transition(EnrollmentState.WITHDRAWN)
    db.session.flush()
    services.sync_invitations(region=rollout.region, now=BEFORE_START)
    run_jobs()
    cal = calendars(smtp_sink.to("leaver@example.com")[0])["CANCEL"]
    # the whole series: METHOD:CANCEL of its UID, no RECURRENCE-ID
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == series_uid(rollout.id)
    assert str(event["status"]) == "CANCELLED" and "recurrence-id" not in event
    assert event["sequence"] >= calendars_of_sent(rollout)
    inv = db.session.scalars(
        select(CallInvitation).where(CallInvitation.email == "leaver@example.com")
    ).one()
    assert inv.left_at is not None
    smtp_sink.clear()
    services.sync_invitations(region=rollout.region, now=BEFORE_START)
    run_jobs()
    assert smtp_sink.messages == []


@time_machine.travel(BEFORE_START, tick=False)
def test_holiday_rules_in_the_database(run_jobs):
    fr = make_rollout("fr", weekday=2, at=time(14, 0))
    services.generate_series(region=fr.region, rollout=fr, notify=False)
    armistice = next(s for s in services.sessions_of(fr.id) if s.series_date == date(2026, 11, 11))
    assert armistice.status is CallStatus.CANCELLED
    assert "Armistice" in armistice.change_note
    us = make_rollout("us", weekday=0, at=time(12, 0))
    services.generate_series(region=us.region, rollout=us, notify=False)
    labor = next(s for s in services.sessions_of(us.id) if s.series_date == date(2026, 9, 7))
    assert labor.status is CallStatus.SCHEDULED
    assert labor.starts_at == datetime(2026, 9, 8, 16, 0, tzinfo=UTC)


def test_changing_the_series_on_the_day_of_a_held_call_adds_no_second_call(run_jobs):
    with time_machine.travel(BEFORE_START, tick=False):
        rollout = make_rollout("de")
        services.generate_series(region=rollout.region, rollout=rollout, notify=False)
    before = len(services.sessions_of(rollout.id))
    # Thursday 22 October, after the 16:00 call: move the series to Thursdays 19:00
    with time_machine.travel(datetime(2026, 10, 22, 15, 0, tzinfo=UTC), tick=False):
        changed, cancelled, created = changes.change_series(
            region=rollout.region,
            rollout=rollout,
            weekday=3,
            at=time(19, 0),
            duration_minutes=45,
            join_url="https://meet.example.com/de",
            actor=None,
        )
    assert (cancelled, created) == (0, 0)
    assert changed == 5  # 29 Oct to 26 Nov
    assert len(services.sessions_of(rollout.id)) == before


@time_machine.travel(BEFORE_START, tick=False)
def test_the_invitation_speaks_each_learners_language(run_jobs, smtp_sink):
    rollout = make_rollout("fr", weekday=1, at=time(14, 0))
    learner(rollout, email="camille@example.com")
    learner(rollout, email="sam@example.com", locale="en_GB")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    assert {s.join_url for s in services.sessions_of(rollout.id)} == {"https://meet.example.com/fr"}
    assert smtp_sink.to("camille@example.com")[0]["Subject"].startswith("Votre appel")
    assert smtp_sink.to("sam@example.com")[0]["Subject"].startswith("Your weekly expert call")
    assert "heures de Europe/Paris" in text_of(smtp_sink.to("camille@example.com")[0])


@time_machine.travel(BEFORE_START, tick=False)
def test_the_enrollment_left_signal_cancels_at_once(run_jobs, smtp_sink):
    from app.rollouts.signals import enrollment_left

    rollout = make_rollout("de")
    leaver = learner(rollout, email="leaver@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    smtp_sink.clear()
    leaver.transition(EnrollmentState.REMOVED)
    enrollment_left.send(leaver)
    enrollment_left.send(leaver)  # a second signal finds no invitation left
    run_jobs()
    msgs = smtp_sink.to("leaver@example.com")
    assert len(msgs) == 1 and "CANCEL" in calendars(msgs[0])
    assert services.sync_invitations(region=rollout.region, now=BEFORE_START) == 0
