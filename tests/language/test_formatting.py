"""The one set of filters: dates in the reader's zone (across DST), numbers, hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app import language
from app.language import (
    duration,
    force_reader,
    hours,
    local_date,
    local_datetime,
    local_time,
    number,
    percent,
)
from app.mail.rendering import environments

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Dec 10, 2026, 4:00:00\u202fPM"),
        ("en_GB", "10 Dec 2026, 16:00:00"),
        ("de", "10.12.2026, 16:00:00"),
        ("fr", "10 déc. 2026, 16:00:00"),
        ("ja", "2026/12/10 16:00:00"),
        ("zh_Hans_CN", "2026年12月10日 16:00:00"),
    ],
)
def test_datetime_per_locale(locale: str, expected: str) -> None:
    instant = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    with force_reader(locale, "Europe/Berlin"):
        assert local_datetime(instant) == expected


def test_daylight_saving_time_moves_the_local_hour_not_the_instant() -> None:
    # Berlin leaves winter time at 01:00 UTC on 29 March 2026; New York at 07:00 UTC on 8 March
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with force_reader("de_DE", "Europe/Berlin"):
        assert local_time(before) == "01:30"
        assert local_time(after) == "03:30"
        assert local_datetime(after, "short") == "29.03.26, 03:30"
    with force_reader("en_US", "America/New_York"):
        assert local_time(datetime(2026, 3, 8, 6, 30, tzinfo=UTC)) == "1:30\u202fAM"
        assert local_time(datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) == "3:30\u202fAM"
        # an instant late in the evening in New York is the next day in UTC: the reader's date
        assert local_date(datetime(2026, 11, 2, 3, 0, tzinfo=UTC), "long") == "November 1, 2026"


def test_a_naive_timestamp_is_utc_and_an_explicit_zone_or_locale_wins() -> None:
    naive = datetime(2026, 7, 1, 12, 0)  # what a SQLite column returns
    with force_reader("fr_FR", "Europe/Paris"):
        assert local_time(naive) == "14:00"
        assert local_time(naive, tz="Asia/Kolkata") == "17:30"
        assert local_datetime(naive, "EEEE d MMMM y, HH:mm", locale="de") == (
            "Mittwoch 1 Juli 2026, 14:00"
        )
        assert local_date(date(2026, 7, 1)) == "1 juil. 2026"
        assert local_time(time(9, 5)) == "09:05"


def test_the_old_page_order_zone_then_format_still_means_the_same() -> None:
    instant = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    with force_reader("en_GB", "UTC"):
        assert local_datetime(instant, "Europe/Berlin", "short") == "10/12/2026, 16:00"
        assert local_datetime(instant, fmt="short", tz="Europe/Berlin") == "10/12/2026, 16:00"


@pytest.mark.parametrize(
    ("locale", "num", "pct", "hrs", "half", "mins"),
    [
        ("en", "1,234.5", "87%", "48 hr", "1.5 hr", "90 minutes"),
        ("de_DE", "1.234,5", f"87{NBSP}%", "48 Std.", "1,5 Std.", "90 Minuten"),
        ("fr", f"1{NNBSP}234,5", f"87{NBSP}%", f"48{NNBSP}h", f"1,5{NNBSP}h", "90 minutes"),
        ("pl", f"1{NBSP}234,5", "87%", "48 godz.", "1,5 godz.", "90 minut"),
        ("ja", "1,234.5", "87%", "48 時間", "1.5 時間", "90 分"),
    ],
)
def test_numbers_percentages_and_hours(
    locale: str, num: str, pct: str, hrs: str, half: str, mins: str
) -> None:
    with force_reader(locale):
        assert number(1234.5) == num
        assert percent(0.87) == pct
        assert hours(48) == hrs
        assert hours(48.0) == hrs  # never "48.0 h"
        assert hours(1.5) == half
        assert duration(90) == mins
    assert number(None) == percent(None) == hours(None) == local_datetime(None) == "—"


def test_two_hours_are_said_in_hours() -> None:
    with force_reader("de"):
        assert duration(120) == "2 Stunden"


def test_web_and_email_environments_have_the_same_filters(app) -> None:
    html_env, text_env = environments()
    for env in (app.jinja_env, html_env, text_env):
        for name, function in language.FILTERS.items():
            assert env.filters[name].__wrapped__ is function


def test_a_page_uses_the_region_zone_and_the_browser_language(app) -> None:
    from types import SimpleNamespace

    from flask import g

    template = app.jinja_env.from_string(
        "<html lang=\"{{ html_lang() }}\">{{ at|local_datetime('short') }} {{ 0.5|percent }}"
    )
    at = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "fr-CH, de;q=0.8"}):
        g.region = SimpleNamespace(locale="de_DE", time_zone="Asia/Tokyo")
        # Swiss French: the browser's locale, the region's zone; 50% without a space in fr_CH
        assert template.render(at=at) == '<html lang="fr-CH">11.12.26 00:00 50%'
