"""Company shutdowns per region, and skipping one week's call from the web (issue 24)."""

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.calendar import Shutdown, parse_shutdowns, shutdown_on
from app.calls import services
from app.calls.models import CallSession, CallStatus
from app.calls.planning import plan_series
from app.extensions import db
from app.regions.models import HolidayRule
from app.regions.services import RegionFileError, parse_region_file
from tests.calls.helpers import calendars, learner, make_rollout, sign_in, text_of
from tests.factories import ProgramFactory

WINTER = (Shutdown("12-24", "01-01", "Winter shutdown"),)
BEFORE_START = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


def test_an_every_year_shutdown_spans_the_new_year_and_a_dated_one_is_once():
    shutdowns, problems = parse_shutdowns(
        [{"from": "12-24", "to": "01-01"}, {"from": date(2027, 8, 2), "to": "2027-08-13"}]
    )
    assert problems == []
    assert shutdown_on(shutdowns, date(2026, 12, 31)) and shutdown_on(shutdowns, date(2027, 1, 1))
    assert shutdown_on(shutdowns, date(2030, 12, 24))
    assert shutdown_on(shutdowns, date(2027, 1, 2)) is None
    assert shutdown_on(shutdowns, date(2027, 8, 5)) and not shutdown_on(shutdowns, date(2028, 8, 5))
    _, problems = parse_shutdowns([{"from": "12-24", "to": "2027-01-01"}, {"from": "13-01"}])
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("zone", "country", "sub", "local_hour_utc_before", "local_hour_utc_after"),
    [("Europe/Berlin", "DE", "BY", 14, 15), ("America/New_York", "US", "NY", 20, 21)],
)
def test_planning_skips_24_and_31_december_in_a_shutdown_across_dst(
    zone, country, sub, local_hour_utc_before, local_hour_utc_after
):
    sessions = plan_series(
        start=date(2026, 10, 1),
        end=date(2027, 1, 31),
        weekday=3,  # Thursdays: 24 and 31 December 2026 are Thursdays
        at=time(16, 0),
        zone=zone,
        country=country,
        subdivision=sub,
        on_holiday=HolidayRule.NEXT_BUSINESS_DAY,
        shutdowns=WINTER,
    )
    by_date = {s.series_date: s for s in sessions}
    for day in (date(2026, 12, 24), date(2026, 12, 31)):
        assert by_date[day].cancelled and by_date[day].note == "Winter shutdown"
    held = [s for s in sessions if not s.cancelled]
    # never a call in the shutdown or on a public holiday (Thanksgiving moves to Friday)
    assert not any(shutdown_on(WINTER, s.held_on) for s in held)
    assert all(s.held_on.weekday() < 5 for s in held)
    local = ZoneInfo(zone)
    assert {s.starts_at.astimezone(local).time() for s in held} == {time(16, 0)}
    assert by_date[date(2026, 10, 8)].starts_at.hour == local_hour_utc_before  # summer time
    assert by_date[date(2027, 1, 7)].starts_at.hour == local_hour_utc_after  # winter time
    assert not by_date[date(2027, 1, 7)].cancelled


def test_a_holiday_is_never_moved_into_a_shutdown():
    # Christmas Day 2026 is a Friday; a Friday call moves to the next business day,
    # Monday 28 December, which the shutdown covers: the week has no call
    sessions = plan_series(
        start=date(2026, 12, 1),
        end=date(2027, 1, 15),
        weekday=4,
        at=time(10, 0),
        zone="Europe/Berlin",
        country="DE",
        subdivision="BY",
        on_holiday=HolidayRule.NEXT_BUSINESS_DAY,
        shutdowns=(Shutdown("12-28", "01-01"),),
        shutdown_note="Company shutdown",
    )
    christmas = next(s for s in sessions if s.series_date == date(2026, 12, 25))
    assert christmas.cancelled and "Company shutdown" in christmas.note


def test_a_region_file_with_a_bad_shutdown_or_minimum_is_refused(tmp_path: Path):
    source = Path("regions/de.toml").read_text()
    good = tmp_path / "de.toml"
    good.write_text(
        source.replace(
            'on_holiday = "next_business_day"',
            'on_holiday = "next_business_day"\nmin_attendance_minutes = 5\n'
            'shutdowns = [{ from = "12-24", to = "01-01", name = "Winter" },'
            " { from = 2027-08-02, to = 2027-08-13 }]",
        )
    )
    spec = parse_region_file(good)
    assert spec.extra["calls"]["min_attendance_minutes"] == 5
    bad = tmp_path / "xx.toml"
    bad.write_text(
        source.replace(
            'on_holiday = "next_business_day"',
            'on_holiday = "next_business_day"\nmin_attendance_minutes = "ten"\n'
            'shutdowns = [{ from = "24.12.", to = "01-01" }]',
        )
    )
    with pytest.raises(RegionFileError) as refused:
        parse_region_file(bad)
    text = " ".join(refused.value.problems)
    assert "calls.shutdowns" in text and "calls.min_attendance_minutes" in text


def _winter_rollout():
    rollout = make_rollout(
        "de",
        program=ProgramFactory(structure=date(2026, 10, 19)),
        cohort_start=date(2026, 10, 19),
    )
    rollout.region.settings = {
        **(rollout.region.settings or {}),
        "calls": {"shutdowns": [{"from": "12-24", "to": "01-01", "name": "Winter shutdown"}]},
    }
    db.session.flush()
    return rollout


@time_machine.travel(BEFORE_START, tick=False)
def test_the_series_has_no_call_in_the_regions_shutdown_and_calendars_skip_it(run_jobs, smtp_sink):
    rollout = _winter_rollout()
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    by_date = {s.series_date: s for s in services.sessions_of(rollout.id)}
    assert by_date[date(2026, 12, 24)].status is CallStatus.CANCELLED
    assert by_date[date(2026, 12, 31)].status is CallStatus.CANCELLED
    assert by_date[date(2026, 12, 17)].status is CallStatus.SCHEDULED
    assert by_date[date(2027, 1, 7)].status is CallStatus.SCHEDULED
    [master] = calendars(smtp_sink.to("anna@example.com")[-1])["REQUEST"].walk("VEVENT")
    exdates = [d.dt.strftime("%Y-%m-%d %H:%M") for d in master["exdate"].dts]
    assert exdates == ["2026-12-24 16:00", "2026-12-31 16:00"]


@time_machine.travel(BEFORE_START, tick=False)
def test_an_expert_skips_one_call_from_the_web_and_attendees_are_told(
    client, csrf_token, login_as, run_jobs, smtp_sink
):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)
    run_jobs()
    smtp_sink.clear()
    session = services.sessions_of(rollout.id)[3]
    db.session.commit()
    sign_in(login_as, rollout.expert)
    path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Skip this call" in page
    # without the CSRF token nothing happens
    assert client.post(f"{path}/skip", data={"note": "x"}).status_code == 400
    response = client.post(
        f"{path}/skip",
        data={"csrf_token": csrf_token(path), "note": "Team offsite"},
        follow_redirects=True,
    )
    assert "everyone invited gets the update" in response.get_data(as_text=True)
    run_jobs()
    db.session.expire_all()
    assert db.session.get(CallSession, session.id).status is CallStatus.CANCELLED
    msgs = smtp_sink.to("anna@example.com")
    assert len(msgs) == 1
    [master] = calendars(msgs[0])["REQUEST"].walk("VEVENT")
    assert [d.dt.date() for d in master["exdate"].dts] == [session.series_date]
    assert "Team offsite" in text_of(msgs[0])
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calls.session_skipped")
    ).one()
    assert event.data["note"] == "Team offsite" and event.data["announced"] is True


@time_machine.travel(BEFORE_START, tick=False)
def test_skipping_before_invitations_went_out_sends_no_update(
    client, csrf_token, login_as, run_jobs, smtp_sink
):
    rollout = make_rollout("de")
    learner(rollout, email="anna@example.com")
    services.generate_series(region=rollout.region, rollout=rollout)  # the job not run yet
    session = services.sessions_of(rollout.id)[4]
    db.session.commit()
    sign_in(login_as, rollout.expert)
    path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
    response = client.post(
        f"{path}/skip", data={"csrf_token": csrf_token(path)}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Nobody was invited yet" in html, html[html.find("<main") :][:1500]
    run_jobs()
    # one message: the invitation itself, already without the skipped week
    [msg] = smtp_sink.to("anna@example.com")
    [master] = calendars(msg)["REQUEST"].walk("VEVENT")
    assert [d.dt.date() for d in master["exdate"].dts] == [session.series_date]
