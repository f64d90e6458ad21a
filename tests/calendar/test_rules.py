"""The shared calendar rules (app.calendar): one home for business days, weekdays, HH:MM
and ISO 8601 instants.

Before, three copies of business days, three HH:MM parsers and five weekday lists had
drifted: the call routes took "16:00+02:00" (an aware time), the rollout form took
"16:00:junk", an empty subdivision reached ``holidays`` as "" in the call series.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.calendar import (
    WEEKDAYS,
    HolidayCalendar,
    parse_hhmm,
    parse_instant,
    weekday_from_name,
    weekday_names,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16:00", time(16, 0)),
        ("9:05", time(9, 5)),
        (" 07:30 ", time(7, 30)),
        ("16:00:30", time(16, 0)),  # a browser's time input with seconds
        (time(16, 0, 12), time(16, 0)),  # a TOML time literal
    ],
)
def test_a_time_of_day_is_hh_mm(text: object, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "16", "1600", "24:00", "16:60", "16:00+02:00", "16:00:junk", "16:5", "-1:00", None, 16],
)
def test_anything_else_is_not_a_time(text: object) -> None:
    assert parse_hhmm(text) is None


def test_weekdays_are_numbered_monday_first_and_named_per_language() -> None:
    assert WEEKDAYS[0] == "monday" and len(WEEKDAYS) == 7
    assert weekday_from_name(" Friday ") == 4
    assert weekday_from_name("sunday") == 6
    assert weekday_from_name("fri") is None
    assert weekday_names()[3] == "Thursday"
    assert weekday_names("de")[3] == "Donnerstag"
    assert weekday_names("fr")[0] == "lundi"
    assert weekday_names("xx-not-a-locale") == weekday_names("en")


def test_business_days_skip_weekends_and_the_places_holidays() -> None:
    bavaria = HolidayCalendar("DE", "BY")
    assert bavaria.holiday_name(date(2026, 6, 4))  # Corpus Christi
    assert not bavaria.is_business_day(date(2026, 6, 4))
    assert HolidayCalendar("DE", "BE").is_business_day(date(2026, 6, 4))  # not in Berlin
    assert not bavaria.is_business_day(date(2026, 6, 6))  # Saturday
    assert bavaria.next_business_day(date(2026, 6, 3)) == date(2026, 6, 5)
    assert bavaria.business_days_after(date(2026, 6, 3), 2) == date(2026, 6, 8)
    assert bavaria.business_days_before(date(2026, 6, 8), 2) == date(2026, 6, 3)
    assert bavaria.business_days_between(date(2026, 6, 2), date(2026, 6, 8)) == 3
    assert bavaria.business_days_between(date(2026, 6, 8), date(2026, 6, 2)) == 0


def test_an_empty_subdivision_is_the_whole_country_and_no_country_is_weekends_only() -> None:
    assert HolidayCalendar("DE", "") == HolidayCalendar("DE", None)
    assert not HolidayCalendar("DE", "").is_business_day(date(2026, 10, 3))  # Unity Day
    nowhere = HolidayCalendar("", None)
    assert nowhere.is_business_day(date(2026, 12, 25))
    assert not nowhere.is_business_day(date(2026, 12, 26))  # Saturday


class _Place:
    holiday_country = "US"
    holiday_subdivision = " "


def test_a_region_gives_its_calendar() -> None:
    us = HolidayCalendar.of(_Place())
    assert us == HolidayCalendar("US")
    assert not us.is_business_day(date(2026, 7, 3))  # Independence Day observed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-01T09:00:00Z", datetime(2026, 10, 1, 9, 0, tzinfo=UTC)),
        ("2026-10-01T09:00:00+02:00", datetime(2026, 10, 1, 7, 0, tzinfo=UTC)),
        ("2026-10-01T09:00:00.1234567Z", datetime(2026, 10, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        # no offset: in the zone the caller names (Berlin here, summer time)
        ("2026-10-01 09:00", datetime(2026, 10, 1, 7, 0, tzinfo=UTC)),
        ("2026-10-01", datetime(2026, 9, 30, 22, 0, tzinfo=UTC)),
        (datetime(2026, 10, 1, 9, 0), datetime(2026, 10, 1, 7, 0, tzinfo=UTC)),
        ("", None),
        ("01/10/2026", None),
        (None, None),
        (1759302000, None),
    ],
)
def test_one_reading_of_iso_instants(value: object, expected: datetime | None) -> None:
    """Three copies had drifted: progress exports read an instant without offset in the
    region's zone, the CLI's --observed-at and Moodle cursors in UTC (and the CLI raised on
    a typo deep in the job). Now one function, the zone named by the caller."""
    assert parse_instant(value, ZoneInfo("Europe/Berlin")) == expected
    assert parse_instant("2026-10-01T09:00") == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
