"""At-risk nudges: learners behind pace mid-term, and their buddies."""

from __future__ import annotations

import logging
from datetime import datetime

from babel.dates import format_date
from sqlalchemy import (
    exists,
    func,
    or_,
    select,
)

from app.calls.services import learners_missing_calls
from app.db import utcnow
from app.extensions import db
from app.mail.services import queue_email
from app.programs.models import Term
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout
from app.terms.common import (
    STUDYING,
    _buddies,
    _launched_rollouts,
    _locale,
    local_today,
)
from app.terms.models import TermReview, Verdict
from app.terms.pace import current_term, pace_for

log = logging.getLogger(__name__)


# --- at risk ------------------------------------------------------------------------------


def due_at_risk_nudges(*, region: Region, now: datetime | None = None) -> int:
    """Daily: nudge each learner behind pace in a running term (or who missed three calls in a
    row) and their buddies, once per term per learner: marks the TermReview AT_RISK with
    ``at_risk_nudged_at`` and queues ``terms/at_risk`` and ``terms/at_risk_buddy``.
    Returns the number of learners nudged. Flushes.
    """
    now = now or utcnow()
    today = local_today(region, now)
    nudged = 0
    for rollout in _launched_rollouts(region):
        program = rollout.program
        term = current_term(program, today)
        if term is None:
            continue
        pace = pace_for(program, term)
        expected = pace.expected_by(today)
        done = (
            select(func.count(ModuleProgress.id))
            .where(
                ModuleProgress.enrollment_id == Enrollment.id,
                ModuleProgress.completed.is_(True),
                ModuleProgress.module_id.in_(pace.required_ids or {-1}),
            )
            .scalar_subquery()
        )
        already = exists().where(
            TermReview.enrollment_id == Enrollment.id,
            TermReview.term_id == term.id,
            TermReview.at_risk_nudged_at.is_not(None),
        )
        missed = learners_missing_calls(rollout_id=rollout.id, now=now)
        behind_cond = done < expected
        cond = or_(behind_cond, Enrollment.id.in_(missed)) if missed else behind_cond
        rows = db.session.execute(
            select(Enrollment, done.label("done"))
            .where(Enrollment.rollout_id == rollout.id, Enrollment.state.in_(STUDYING), ~already)
            .where(cond)
        ).all()
        if not rows:
            continue
        ids = [e.id for e, _ in rows]
        reviews = {
            r.enrollment_id: r
            for r in db.session.scalars(
                select(TermReview).where(
                    TermReview.term_id == term.id, TermReview.enrollment_id.in_(ids)
                )
            )
        }
        buddies = _buddies(rollout.id, {e.buddy_group for e, _ in rows if e.buddy_group})
        for enrollment, done_count in rows:
            reason = "behind_pace" if done_count < expected else "missed_calls"
            review = reviews.get(enrollment.id)
            if review is None:
                review = TermReview(
                    region_id=region.id, enrollment_id=enrollment.id, term_id=term.id
                )
                db.session.add(review)
            review.verdict = Verdict.AT_RISK
            review.modules_expected = expected
            review.modules_done = done_count
            review.at_risk_nudged_at = now
            review.at_risk_reason = reason
            _send_at_risk(region, rollout, term, enrollment, done_count, expected, reason, buddies)
            nudged += 1
        db.session.flush()
        log.info("rollout %s term %s: %s learners nudged", rollout.slug, term.number, len(rows))
    return nudged


def _send_at_risk(
    region: Region,
    rollout: Rollout,
    term: Term,
    enrollment: Enrollment,
    done: int,
    expected: int,
    reason: str,
    buddies: dict[int, list[Enrollment]],
) -> None:
    learner = enrollment.person
    context = {
        "learner_name": learner.name,
        "program_title": rollout.program.title,
        "course_url": rollout.program.course_url,
        "term_number": term.number,
        "term_title": term.title.strip(),
        "term_ends_on": format_date(term.ends_on, "long", locale=_locale(learner, region)),
        "modules_done": done,
        "modules_expected": expected,
        "reason": reason,
    }
    queue_email(
        kind="terms/at_risk",
        to_address=learner.email,
        to_name=learner.name,
        idempotency_key=f"terms.at-risk.{enrollment.id}.{term.id}",
        context=context,
        locale=_locale(learner, region),
        region_id=region.id,
        person_id=learner.id,
    )
    for buddy in buddies.get(enrollment.buddy_group or -1, []):
        if buddy.id == enrollment.id:
            continue
        queue_email(
            kind="terms/at_risk_buddy",
            to_address=buddy.person.email,
            to_name=buddy.person.name,
            idempotency_key=f"terms.at-risk-buddy.{enrollment.id}.{term.id}.{buddy.id}",
            context={
                **context,
                "buddy_name": buddy.person.name,
                "term_ends_on": format_date(
                    term.ends_on, "long", locale=_locale(buddy.person, region)
                ),
            },
            locale=_locale(buddy.person, region),
            region_id=region.id,
            person_id=buddy.person.id,
        )
