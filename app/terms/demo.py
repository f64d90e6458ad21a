"""Demo terms: close term 1 wherever it is due, leaving free-rider candidates to review,
with buddy confirmations asked and mostly given (no email is sent by the demo)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.rollouts.models import Enrollment
from app.terms.models import TermClose, TermReview, Verdict
from app.terms.services import close_term, grace_days


def seed(ctx) -> None:  # type: ignore[no-untyped-def]

    if not ctx.program.terms:
        return
    term = ctx.program.terms[0]
    for rollout in ctx.rollouts.values():
        if term.ends_on + timedelta(days=grace_days(rollout.region)) >= ctx.today:
            continue
        done = db.session.scalars(
            select(TermClose).where(
                TermClose.rollout_id == rollout.id, TermClose.term_id == term.id
            )
        ).first()
        if done is not None:
            continue
        close_term(region=rollout.region, rollout=rollout, term=term, channel="cli")
        _buddy_confirmations(ctx, rollout, term)


def _buddy_confirmations(ctx, rollout, term) -> None:  # type: ignore[no-untyped-def]

    rows = db.session.execute(
        select(TermReview, Enrollment)
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .where(
            TermReview.term_id == term.id,
            Enrollment.rollout_id == rollout.id,
            Enrollment.buddy_group.is_not(None),
        )
    ).all()
    groups: dict[int, list[Enrollment]] = defaultdict(list)
    for _, enrollment in rows:
        groups[enrollment.buddy_group].append(enrollment)  # type: ignore[index]
    asked = datetime(term.ends_on.year, term.ends_on.month, term.ends_on.day, 8, tzinfo=UTC)
    asked += timedelta(days=1)
    for review, enrollment in rows:
        review.buddy_requested_at = asked
        buddy = next((b for b in groups[enrollment.buddy_group] if b.id != enrollment.id), None)  # type: ignore[index]
        likely = review.verdict is Verdict.ON_TRACK or ctx.rng.random() < 0.2
        if buddy is not None and likely and ctx.rng.random() < 0.85:
            review.buddy_confirmed_by_id = buddy.id
            review.buddy_confirmed_at = asked + timedelta(days=ctx.rng.randint(0, 4))
    db.session.flush()
