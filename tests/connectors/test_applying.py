"""Applying what a connector read when it spans more than one chunk of rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from app.connectors.applying import CHUNK, pull_and_apply
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
