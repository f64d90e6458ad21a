from datetime import date, time
from zoneinfo import ZoneInfo

from app.calendar import HolidayCalendar
from app.calls.planning import plan_series
from app.regions.models import HolidayRule


def _plan(zone, country, sub, weekday, at, rule=HolidayRule.NEXT_BUSINESS_DAY, **dates):
    return plan_series(
        start=dates.get("start", date(2026, 9, 7)),
        end=dates.get("end", date(2026, 11, 29)),
        weekday=weekday,
        at=at,
        zone=zone,
        country=country,
        subdivision=sub,
        on_holiday=rule,
    )


def test_berlin_keeps_16h_across_the_end_of_summer_time():
    sessions = _plan("Europe/Berlin", "DE", "BY", 3, time(16, 0))
    assert [s.series_date for s in sessions][:2] == [date(2026, 9, 10), date(2026, 9, 17)]
    assert len(sessions) == 12
    berlin = ZoneInfo("Europe/Berlin")
    assert {s.starts_at.astimezone(berlin).time() for s in sessions} == {time(16, 0)}
    before = [s for s in sessions if s.held_on < date(2026, 10, 25)]
    after = [s for s in sessions if s.held_on > date(2026, 10, 25)]
    assert {s.starts_at.hour for s in before} == {14}  # UTC+2
    assert {s.starts_at.hour for s in after} == {15}  # UTC+1


def test_new_york_keeps_noon_across_early_november_and_moves_holidays():
    sessions = _plan("America/New_York", "US", "NY", 0, time(12, 0))
    ny = ZoneInfo("America/New_York")
    assert {s.starts_at.astimezone(ny).time() for s in sessions} == {time(12, 0)}
    by_date = {s.series_date: s for s in sessions}
    assert by_date[date(2026, 10, 26)].starts_at.hour == 16  # EDT, UTC-4
    assert by_date[date(2026, 11, 2)].starts_at.hour == 17  # EST, UTC-5
    labor_day = by_date[date(2026, 9, 7)]
    assert labor_day.held_on == date(2026, 9, 8) and not labor_day.cancelled
    assert "Labor Day" in labor_day.note
    assert by_date[date(2026, 10, 12)].held_on == date(2026, 10, 13)  # Columbus Day


def test_a_holiday_is_cancelled_where_the_region_says_so():
    sessions = _plan("Europe/Paris", "FR", None, 2, time(14, 0), rule=HolidayRule.CANCEL)
    armistice = next(s for s in sessions if s.series_date == date(2026, 11, 11))
    assert armistice.cancelled and armistice.held_on == date(2026, 11, 11)
    assert sum(s.cancelled for s in sessions) == 1


def test_two_business_days_before_skips_weekend_and_holidays():
    # Tuesday 13 Oct 2026 (NY): Monday is Columbus Day, so Thursday the 8th
    assert HolidayCalendar("US", "NY").business_days_before(date(2026, 10, 13), 2) == date(
        2026, 10, 8
    )
    assert HolidayCalendar("DE", "BY").business_days_before(date(2026, 9, 10), 2) == date(
        2026, 9, 8
    )
