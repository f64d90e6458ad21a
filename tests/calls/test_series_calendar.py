"""The call series as one recurring event: what a calendar client expands is the plan."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from app.calls import changes, services
from app.calls.calendar import series_uid
from app.calls.models import CallInvitation
from app.extensions import db
from tests.calls.helpers import calendars, expand, held, learner, make_rollout, text_of

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def _local(value, zone):
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@time_machine.travel(BEFORE_START, tick=False)
def test_a_holiday_the_region_cancels_is_an_exdate(run_jobs, smtp_sink):
    fr = make_rollout("fr", weekday=2, at=time(14, 0))
    learner(fr, email="camille@example.com")
    services.generate_series(region=fr.region, rollout=fr)
    run_jobs()
    cal = calendars(smtp_sink.to("camille@example.com")[0])["REQUEST"]
    [master] = cal.walk("VEVENT")
    assert str(master["uid"]) == series_uid(fr.id)
    assert master["rrule"]["byday"] == ["WE"]
    # Armistice (Wednesday 11 November): the week is left out at the series' local time
    assert master["exdate"].params["tzid"] == master["dtstart"].params["tzid"] == "Europe/Paris"
    assert [_local(d.dt, "Europe/Paris") for d in master["exdate"].dts] == ["2026-11-11 14:00"]
    sessions = services.sessions_of(fr.id)
    shown = expand(cal)
    assert shown == held(sessions)
    assert len(shown) == len(sessions) - 1
    assert date(2026, 11, 11) not in {start.date() for start, _ in shown}
    # 14:00 Paris before and after the end of summer time (25 October)
    assert {_local(s, "Europe/Paris")[11:] for s, _ in shown} == {"14:00"}
    assert {s.hour for s, _ in shown} == {12, 13}


@time_machine.travel(BEFORE_START, tick=False)
def test_a_holiday_moved_to_the_next_business_day_is_an_override(run_jobs, smtp_sink):
    us = make_rollout("us", weekday=0, at=time(12, 0))
    learner(us, email="sam@example.com")
    services.generate_series(region=us.region, rollout=us)
    run_jobs()
    cal = calendars(smtp_sink.to("sam@example.com")[0])["REQUEST"]
    master, *overrides = cal.walk("VEVENT")
    assert {str(e["uid"]) for e in cal.walk("VEVENT")} == {series_uid(us.id)}
    assert "exdate" not in master
    zone = "America/New_York"
    moved = {
        _local(e.decoded("recurrence-id"), zone): _local(e.decoded("dtstart"), zone)
        for e in overrides
    }
    # Labor Day and Columbus Day: held on the Tuesday, same local time
    assert moved == {
        "2026-09-07 12:00": "2026-09-08 12:00",
        "2026-10-12 12:00": "2026-10-13 12:00",
    }
    assert all("moved from" in str(e["description"]) for e in overrides)
    shown = expand(cal)
    assert shown == held(services.sessions_of(us.id))
    # noon in New York across 1 November: 16:00 UTC before, 17:00 UTC after
    assert {s.hour for s, _ in shown if s.date() < date(2026, 11, 1)} == {16}
    assert {s.hour for s, _ in shown if s.date() > date(2026, 11, 1)} == {17}


def test_a_late_joiner_gets_the_series_as_it_stands_with_the_same_uid(run_jobs, smtp_sink):
    with time_machine.travel(BEFORE_START, tick=False):
        rollout = make_rollout("de")
        learner(rollout, email="anna@example.com")
        services.generate_series(region=rollout.region, rollout=rollout)
        session = services.sessions_of(rollout.id)[6]
        changes.move_session(
            region=rollout.region,
            session=session,
            day=session.series_date,
            at=time(17, 30),
            note="",
            actor=None,
        )
        run_jobs()
        anna = calendars(smtp_sink.to("anna@example.com")[-1])["REQUEST"].walk("VEVENT")
    # mid-series: three calls already held
    with time_machine.travel(datetime(2026, 9, 28, 9, 0, tzinfo=UTC), tick=False):
        learner(rollout, email="late@example.com")
        assert services.sync_invitations(region=rollout.region, now=datetime.now(UTC)) == 1
        run_jobs()
    cal = calendars(smtp_sink.to("late@example.com")[0])["REQUEST"]
    late = cal.walk("VEVENT")
    assert [(str(e["uid"]), e["sequence"]) for e in late] == [
        (str(e["uid"]), e["sequence"]) for e in anna
    ]
    assert str(late[0]["uid"]) == series_uid(rollout.id)
    assert expand(cal) == held(services.sessions_of(rollout.id))


@time_machine.travel(BEFORE_START, tick=False)
def test_an_update_sent_twice_goes_out_once(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    smtp_sink.clear()
    session = services.sessions_of(rollout.id)[3]
    changes.cancel_session(region=rollout.region, session=session, note="", actor=None)
    assert (
        changes.send_change(rollout=rollout, changed_ids=[], cancelled_ids=[session.id], note="")
        == 3
    )
    assert (
        changes.send_change(rollout=rollout, changed_ids=[], cancelled_ids=[session.id], note="")
        == 3
    )
    run_jobs()  # the job queued by cancel_session: the same version once more
    assert len(smtp_sink.to("anna@example.com")) == 1


@time_machine.travel(BEFORE_START, tick=False)
def test_invitees_holding_per_session_events_get_them_cancelled_once(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    # as if invited before the series existed: one event per session, UID per session
    for inv in db.session.scalars(select(CallInvitation)):
        inv.series_sent_at = None
    db.session.commit()
    smtp_sink.clear()
    sessions = services.sessions_of(rollout.id)
    changes.move_session(
        region=rollout.region,
        session=sessions[1],
        day=sessions[1].series_date,
        at=time(18, 0),
        note="",
        actor=None,
    )
    run_jobs()
    switch, update = smtp_sink.to("anna@example.com")
    # first the old events, by their own UIDs...
    old = calendars(switch)["CANCEL"].walk("VEVENT")
    assert [str(e["uid"]) for e in old] == [s.uid for s in sessions]
    assert {str(e["status"]) for e in old} == {"CANCELLED"}
    assert "als eine Terminserie" in text_of(switch)  # the region speaks German
    # ...then the series
    cal = calendars(update)["REQUEST"]
    assert {str(e["uid"]) for e in cal.walk("VEVENT")} == {series_uid(rollout.id)}
    assert expand(cal) == held(services.sessions_of(rollout.id))
    inv = db.session.scalars(
        select(CallInvitation).where(CallInvitation.email == "anna@example.com")
    ).one()
    assert inv.series_sent_at is not None
    # the next change carries the series only
    smtp_sink.clear()
    changes.cancel_session(region=rollout.region, session=sessions[2], note="", actor=None)
    run_jobs()
    [msg] = smtp_sink.to("anna@example.com")
    assert list(calendars(msg)) == ["REQUEST"]


@time_machine.travel(BEFORE_START, tick=False)
def test_cancelling_every_session_cancels_the_series(run_jobs, smtp_sink):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    smtp_sink.clear()
    for session in services.sessions_of(rollout.id):
        changes.cancel_session(region=rollout.region, session=session, note="", actor=None)
    run_jobs()
    cals = [calendars(m) for m in smtp_sink.to("anna@example.com")]
    assert "CANCEL" in cals[-1]
    [event] = cals[-1]["CANCEL"].walk("VEVENT")
    assert str(event["uid"]) == series_uid(rollout.id) and "recurrence-id" not in event


def test_the_series_starts_and_ends_on_a_held_week():
    from app.calls.calendar import shape_series
    from app.calls.models import CallSession, CallStatus
    from app.calls.planning import local_instant

    zone = "Europe/Berlin"

    def session(day, status=CallStatus.SCHEDULED, at=time(16, 0)):
        return CallSession(
            id=day.toordinal(),
            series_date=day,
            starts_at=local_instant(day, at, zone),
            duration_minutes=45,
            status=status,
            sequence=0,
            join_url="https://meet.example.com/de",
        )

    weeks = [date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15), date(2026, 10, 22)]
    sessions = [
        session(weeks[0], CallStatus.CANCELLED),
        session(weeks[1]),
        session(weeks[2], CallStatus.CANCELLED),
        session(weeks[3], at=time(9, 0)),
        session(date(2026, 10, 29), CallStatus.CANCELLED),
    ]
    shape = shape_series(sessions, weekday=3, at=time(16, 0), duration_minutes=45, zone=zone)
    # a cancelled first or last week is not part of the rule (Outlook starts a series
    # on its first occurrence); one in between is an EXDATE
    assert _local(shape.starts_at, zone) == "2026-10-08 16:00"
    assert _local(shape.until, zone) == "2026-10-22 16:00"
    assert [_local(d, zone) for d in shape.exdates] == ["2026-10-15 16:00"]
    assert [_local(o.recurrence_id, zone) for o in shape.overrides] == ["2026-10-22 16:00"]
    assert shape.sequence == 5
    everything_cancelled = [session(d, CallStatus.CANCELLED) for d in weeks]
    assert (
        shape_series(
            everything_cancelled, weekday=3, at=time(16, 0), duration_minutes=45, zone=zone
        )
        is None
    )


@time_machine.travel(BEFORE_START, tick=False)
def test_a_leaver_who_never_had_the_series_gets_the_old_events_cancelled(run_jobs, smtp_sink):
    from app.rollouts.models import EnrollmentState

    rollout = make_rollout("de")
    leaver = learner(rollout, email="leaver@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    inv = db.session.scalars(
        select(CallInvitation).where(CallInvitation.email == "leaver@example.com")
    ).one()
    inv.series_sent_at = None  # invited before the series existed
    db.session.commit()
    smtp_sink.clear()
    leaver.transition(EnrollmentState.WITHDRAWN)
    db.session.flush()
    services.sync_invitations(region=rollout.region, now=BEFORE_START)
    run_jobs()
    [msg] = smtp_sink.to("leaver@example.com")
    old = calendars(msg)["CANCEL"].walk("VEVENT")
    assert [str(e["uid"]) for e in old] == [s.uid for s in services.sessions_of(rollout.id)]
