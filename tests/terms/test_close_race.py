"""Term close is safe to race: six closes of the same term at once all succeed and
leave one close row (the daily job, a lead's click and the CLI may meet)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.programs.models import Term
from app.regions.models import Region
from app.rollouts.models import Rollout, RolloutStatus
from app.terms.closing import close_term
from app.terms.models import TermClose, TermReview
from tests.factories import RolloutFactory, region
from tests.progress.helpers import make_course
from tests.terms.helpers import complete
from tests.threads import at_once

CLOSE = datetime(2026, 10, 12, 5, tzinfo=UTC)


def _closes_at_once(app, rollout: Rollout, term_id: int, times: int = 6) -> tuple[list, list]:
    """``times`` closes of the term started together, each in its own app context and
    session: the errors they raised and the (on track, candidates) of those that did not."""
    ids = (rollout.region_id, rollout.id, term_id)

    def close() -> tuple[int, int]:
        got = close_term(
            region=db.session.get(Region, ids[0]),
            rollout=db.session.get(Rollout, ids[1]),
            term=db.session.get(Term, ids[2]),
            now=CLOSE,
        )
        return got.on_track, got.candidates

    return at_once(app, *[close] * times)


def test_concurrent_closes_of_an_empty_rollout_all_succeed(app) -> None:
    """Fails on the old close (read, then insert): one crashed with a UniqueViolation."""
    rollout = RolloutFactory(region_id=region("de").id, status=RolloutStatus.LAUNCHED)
    db.session.commit()
    errors, _ = _closes_at_once(app, rollout, rollout.program.terms[0].id)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(TermClose)) == 1


def test_concurrent_closes_of_a_rollout_with_learners_give_one_verdict_each(app) -> None:
    """The closes' plain INSERTs meet on the unique key (on PostgreSQL the later ones wait
    for the first to commit, then fail on it): each of those takes the slow way through the
    key and counts the verdicts afresh, so all succeed, each learner has one review and the
    close row's counts are the verdicts there are."""
    course = make_course()
    complete(course, "ada", "m1", "m2")
    db.session.commit()
    term_id = course.program.terms[0].id
    errors, results = _closes_at_once(app, course.rollout, term_id)
    assert errors == []
    assert results == [(1, 3)] * 6
    reviews = select(TermReview.enrollment_id).where(TermReview.term_id == term_id)
    assert sorted(db.session.scalars(reviews)) == sorted(e.id for e in course.enrollments.values())
    closing = db.session.scalars(select(TermClose)).one()
    assert (closing.on_track, closing.candidates) == (1, 3)
