import csv
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.progress.formats import (
    FormatError,
    ReadContext,
    detect_format,
    observed_at_from_filename,
)
from app.progress.values import month_table, parse_local_date, parse_percent, unit_key
from tests.progress.helpers import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Homework 3: Event-driven design", "Event-driven design"),
        ("HOMEWORK 3: EVENT DRIVEN DESIGN", "Event-driven design"),
        ("Lab 1: Observability", "Observability"),
        ("Sécurité by design", "Securite by Design"),
        ("Module 1", "Module 1"),
    ],
)
def test_unit_names_match_titles_case_and_accent_insensitively(name, title):
    assert unit_key(name) == unit_key(title)


def test_unit_key_keeps_distinct_titles_apart():
    assert unit_key("Homework 1: Observability") != unit_key("Homework 2: Event-driven design")


@pytest.mark.parametrize(
    ("text", "value"),
    [("75%", 75.0), ("75", 75.0), ("0.5", 50.0), ("45,5 %", 45.5), ("", None), ("n/a", None)],
)
def test_percent_cells(text, value):
    assert parse_percent(text) == value


@pytest.mark.parametrize(
    ("text", "langs", "expected"),
    [
        ("Monday, 5 October 2026, 10:42 AM", ["en"], datetime(2026, 10, 5, 8, 42, tzinfo=UTC)),
        ("Tuesday, 6 October 2026, 3:05 PM", ["en"], datetime(2026, 10, 6, 13, 5, tzinfo=UTC)),
        ("Montag, 5. Oktober 2026, 10:42", ["de"], datetime(2026, 10, 5, 8, 42, tzinfo=UTC)),
        ("lundi 5 octobre 2026, 10:42", ["fr"], datetime(2026, 10, 5, 8, 42, tzinfo=UTC)),
        # after the end of summer time Berlin is UTC+1
        ("Montag, 2. November 2026, 10:42", ["de"], datetime(2026, 11, 2, 9, 42, tzinfo=UTC)),
        ("05/10/2026", ["en"], datetime(2026, 10, 4, 22, 0, tzinfo=UTC)),
    ],
)
def test_localised_dates_read_in_the_region_zone(text, langs, expected):
    assert parse_local_date(text, BERLIN, month_table(["en", *langs])) == expected


def test_open_edx_file_names_carry_the_report_time():
    name = "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv"
    assert observed_at_from_filename(name) == datetime(2026, 10, 5, 10, 47, tzinfo=UTC)


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("SummitX_SEF_2026_grade_report_2026-10-05-1047.csv", "openedx"),
        ("SummitX_SEF_2026_problem_grade_report_2026-10-06-0900.csv", "openedx-problems"),
        ("moodle_completion_en.csv", "moodle"),
        ("moodle_completion_de.csv", "moodle"),
        ("linkedin_learning_learner_detail.csv", "linkedin"),
        ("summit_progress.csv", "summit"),
    ],
)
def test_formats_are_detected_from_the_header(filename, fmt):
    text = (FIXTURES / filename).read_text(encoding="utf-8-sig")
    delimiter = ";" if filename.endswith("_de.csv") else ","
    header = next(csv.reader([text.splitlines()[0]], delimiter=delimiter))
    assert detect_format(header, ReadContext()) == fmt


def test_an_unknown_header_without_a_mapping_is_refused_with_what_to_do():
    header = next(
        csv.reader([(FIXTURES / "coursera_module_progress.csv").read_text().splitlines()[0]])
    )
    with pytest.raises(FormatError, match="generic"):
        detect_format(header, ReadContext())
    assert detect_format(header, ReadContext(mapping={"learner_column": "Email"})) == "generic"
