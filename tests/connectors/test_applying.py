"""Applying what a connector read when it spans more than one chunk of rows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.connectors.applying import AHEAD, CHUNK, _read_ahead, pull_and_apply
from app.connectors.http import ConnectorError
from app.connectors.observation import Observation
from app.extensions import db
from app.regions.models import Region
from tests.connectors.conftest import progress_rows
from tests.progress.helpers import TITLES

EARLIER = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(days=1)


class Pages:
    """A platform that answers the given pages."""

    fetched = 0
    without_key = 0

    def __init__(self, pages: list[list[Observation]]) -> None:
        self._pages = pages

    def pages(self) -> Iterator[list[Observation]]:
        yield from self._pages

    def next_cursor(self) -> dict:
        return {}

    def close(self) -> None:
        pass


def _seen(learner: str, unit: str, percent: float, completed: bool, at: datetime) -> Observation:
    return Observation(learner, "i", unit, None, percent, completed, at)


def test_a_learners_rows_in_different_chunks_keep_completion_and_the_highest_percentage(
    course,
):
    first = [
        _seen("E1001", TITLES[0], 100.0, True, EARLIER),
        _seen("E1001", TITLES[1], 60.0, False, EARLIER),
        # learners Summit does not know, enough to fill a chunk: the rest comes in the next
        *(_seen(f"X{n}", TITLES[0], 50.0, False, EARLIER) for n in range(CHUNK)),
    ]
    second = [
        _seen("E1001", TITLES[0], 40.0, False, LATER),
        _seen("E1001", TITLES[1], 30.0, False, LATER),
    ]
    rollout = course.rollout
    outcome = pull_and_apply(
        Pages([first, second]),
        region=db.session.get(Region, rollout.region_id),
        rollout=rollout,
        now=LATER,
    )
    rows = progress_rows(course)
    assert rows[("ada", "m1")] == (100.0, True)
    assert rows[("ada", "m2")] == (60.0, False)
    assert outcome["applied"] == 2
    assert outcome["unknown_learners"] == CHUNK


def _pull(course, pages: list[list[Observation]], now: datetime = LATER) -> dict:
    rollout = course.rollout
    return pull_and_apply(
        Pages(pages), region=db.session.get(Region, rollout.region_id), rollout=rollout, now=now
    )


def test_a_sync_never_lowers_progress_and_counts_only_rows_that_change_something(course):
    first = _pull(course, [[_seen("E1001", TITLES[0], 60.0, False, EARLIER)]], now=EARLIER)
    assert first["applied"] == 1
    lower = _pull(course, [[_seen("E1001", TITLES[0], 40.0, False, LATER)]])
    same = _pull(course, [[_seen("E1001", TITLES[0], 60.0, False, LATER)]])
    assert lower["applied"] == same["applied"] == 0
    assert progress_rows(course)[("ada", "m1")] == (60.0, False)
    higher = _pull(course, [[_seen("E1001", TITLES[0], 80.0, False, LATER)]])
    assert higher["applied"] == 1
    assert progress_rows(course)[("ada", "m1")] == (80.0, False)


class Failing(Pages):
    """A platform that answers one page, then fails."""

    def pages(self) -> Iterator[list[Observation]]:
        yield from self._pages
        raise ConnectorError("the platform answered 500 4 times in a row")


def test_a_platform_failure_half_way_reaches_the_sync_and_applies_nothing(course):
    rollout = course.rollout
    with pytest.raises(ConnectorError, match="500 4 times"):
        pull_and_apply(
            Failing([[_seen("E1001", TITLES[0], 100.0, True, LATER)]]),
            region=db.session.get(Region, rollout.region_id),
            rollout=rollout,
            now=LATER,
        )
    assert progress_rows(course) == {}


def test_pages_are_read_ahead_at_most_a_bounded_number_of_pages():
    produced = 0

    def pages() -> Iterator[list[Observation]]:
        nonlocal produced
        for _ in range(50):
            produced += 1
            yield []

    consumed = 0
    for _page in _read_ahead(pages()):
        consumed += 1
        time.sleep(0.01)  # the reader's chance to run as far ahead as it may
        # the queue's pages and the one the reader holds, waiting for room
        assert produced <= consumed + AHEAD + 1
    assert consumed == produced == 50
