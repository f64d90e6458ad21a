from datetime import UTC, date, datetime

import pytest

from app.terms.common import local_today
from app.terms.pace import current_term, pace_for
from tests.factories import ProgramFactory, region


@pytest.fixture
def program():
    return ProgramFactory()  # 6 modules; terms of 4 weeks from 2026-09-07; term n needs 2n


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 6), 0),  # before the term
        (date(2026, 9, 7), 0),  # first day: nothing due yet
        (date(2026, 9, 20), 0),  # 13 of 28 days elapsed: 2 × 13/28 rounds down
        (date(2026, 9, 21), 1),  # half-way: one module due
        (date(2026, 10, 4), 1),  # last day: the second is due only once the day is over
        (date(2026, 10, 5), 2),  # the day after: the whole term's requirement
    ],
)
def test_term_one_pro_rata(program, day, expected):
    assert pace_for(program, program.terms[0]).expected_by(day) == expected


def test_later_terms_carry_the_earlier_requirement(program):
    pace = pace_for(program, program.terms[1])
    assert pace.required_count == 4 and pace.previous_count == 2
    assert pace.expected_by(date(2026, 10, 5)) == 2
    assert pace.expected_by(date(2026, 10, 19)) == 3
    assert pace.expected_by(date(2026, 11, 2)) == 4


def test_the_current_term_follows_the_regions_calendar_day(program):
    # 22:30 UTC on 4 October is already 5 October in Berlin (summer time, UTC+2)
    now = datetime(2026, 10, 4, 22, 30, tzinfo=UTC)
    assert local_today(region("de"), now) == date(2026, 10, 5)
    assert current_term(program, local_today(region("de"), now)).number == 2
    assert current_term(program, local_today(region("us"), now)).number == 1
    assert current_term(program, date(2026, 12, 1)) is None
