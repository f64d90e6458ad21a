"""Demo terms: close term 1 wherever it is due, leaving free-rider candidates to review."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.terms.models import TermClose
from app.terms.services import close_term, grace_days


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    from app.extensions import db

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
        if done is None:
            close_term(region=rollout.region, rollout=rollout, term=term, channel="cli")
