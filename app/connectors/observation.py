"""What every connector reads from its platform: one learner's state in one unit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple, Protocol


class Observation(NamedTuple):
    #: an email (lower case) when ``kind`` is "e", an employee id when it is "i"
    learner: str
    kind: str
    #: the platform's name of the unit (subsection, activity), matched to module titles
    unit: str
    #: an xAPI activity IRI, matched to a module's activity IRI first
    iri: str | None
    percent: float
    completed: bool
    #: when the platform saw this state (aware)
    observed_at: datetime


class Source(Protocol):
    """A platform read: pages of observations, then where the next sync starts."""

    #: records read (statements, gradebook subsections, activity statuses)
    fetched: int
    #: learners the platform lists without the field Summit matches them on
    without_key: int

    def pages(self) -> Iterator[list[Observation]]:
        """The observations since the stored cursor, a page at a time."""
        ...

    def next_cursor(self) -> dict:
        """The cursor to store once every page has been applied."""
        ...

    def close(self) -> None: ...
