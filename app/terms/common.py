"""What the term services share: dates in the region, buddies, review rows."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.language import person_locale
from app.people.models import Person
from app.programs.models import Program, Term
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.terms.models import TermReview, Verdict

log = logging.getLogger(__name__)


#: enrollments a term's requirement applies to: their manager gave them the time
IN_TERM_STATES = (
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
)
STUDYING = (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
DEFAULT_GRACE_DAYS = 7
BUDDY_PURPOSE = "buddy-signoff"
#: how long after a term's end its buddy requests are still sent (a late-created rollout
#: does not mail about terms long gone)
BUDDY_WINDOW_DAYS = 21


class ReviewError(ValueError):
    """The review cannot be made (already reviewed, wrong state)."""


def local_today(region: Region, now: datetime) -> date:
    return now.astimezone(ZoneInfo(region.time_zone)).date()


def grace_days(region: Region) -> int:
    terms = (region.settings or {}).get("terms") or {}
    try:
        return int(terms.get("grace_days", DEFAULT_GRACE_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_GRACE_DAYS


def _launched_rollouts(region: Region) -> list[Rollout]:
    return list(
        db.session.scalars(
            select(Rollout).where(
                Rollout.region_id == region.id, Rollout.status == RolloutStatus.LAUNCHED
            )
        )
    )


def _locale(person: Person, region: Region) -> str:
    return person_locale(person, region)


def _buddies(rollout_id: int, groups: set[int]) -> dict[int, list[Enrollment]]:
    """Enrollments still in the program per buddy group (one query)."""
    found: dict[int, list[Enrollment]] = defaultdict(list)
    if not groups:
        return found
    for buddy in db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == rollout_id,
            Enrollment.buddy_group.in_(groups),
            Enrollment.state.not_in((EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)),
        )
    ):
        found[buddy.buddy_group].append(buddy)  # type: ignore[index]
    return found


# --- reviews rows -------------------------------------------------------------------------


def _scope_ids(rollout: Rollout) -> Any:
    return select(Enrollment.id).where(
        Enrollment.rollout_id == rollout.id, Enrollment.state.in_(IN_TERM_STATES)
    )


def ensure_reviews(*, rollout: Rollout, term: Term, expected: int) -> int:
    """Create the missing TermReview rows of a term for every enrollment it applies to
    (one INSERT … SELECT). Returns how many were created."""
    return insert_missing_reviews(rollout_id=rollout.id, term_id=term.id, expected=expected)


def dialect_insert() -> Any:
    """The INSERT construct with ``on_conflict_do_nothing`` of the session's database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return pg_insert

    return sqlite_insert


def insert_missing_reviews(*, rollout_id: int, term_id: int, expected: int) -> int:
    """One INSERT … SELECT … ON CONFLICT DO NOTHING: the unique key finds the existing rows
    (an anti-join planned on a just-filled table can go quadratic)."""
    source = select(
        Enrollment.region_id,
        Enrollment.id,
        literal(term_id),
        literal(expected),
        literal(0),
        literal(Verdict.ON_TRACK.value),
    ).where(Enrollment.rollout_id == rollout_id, Enrollment.state.in_(IN_TERM_STATES))
    statement = (
        dialect_insert()(TermReview)
        .from_select(
            [
                "region_id",
                "enrollment_id",
                "term_id",
                "modules_expected",
                "modules_done",
                "verdict",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "term_id"])
    )
    return max(db.session.execute(statement).rowcount or 0, 0)


def program_term(program: Program, number: int) -> Term | None:
    return next((t for t in program.terms if t.number == number), None)
