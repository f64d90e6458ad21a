"""Demo: each demo rollout's call series, past calls with attendance, questions and notes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.calls import services
from app.calls.attendance import store_attendance
from app.calls.models import CallQuestion, CallSession
from app.db import utcnow
from app.extensions import db
from app.rollouts.models import Enrollment

QUESTIONS = [
    (False, "How do you decide between a message queue and an event stream for our order flow?"),
    (True, "The lab for module 2 fails at the Kafka consumer step: offsets never commit."),
    (False, "Which of the observability tools from module 4 do we actually have licences for?"),
    (True, "I cannot find two hours a week: my sprint is full. How do others do it?"),
    (False, "Could we walk through the blue/green example with our own pipeline?"),
    (True, "The threat-modelling exercise assumes admin rights I do not have on my laptop."),
    (False, "Is the data engineering module relevant if I only work on front ends?"),
    (False, "What does a good ADR look like for the architecture kata?"),
]
NOTES = (
    "Walked through the questions sent in advance. Slides and the recording are on the "
    "program page. Next week: bring one real example from your team."
)


def seed(ctx: Any) -> None:
    """Create the series (invitations recorded, no email) and a realistic history."""
    now = utcnow()
    for rollout in ctx.rollouts.values():
        if db.session.scalar(select(CallSession.id).where(CallSession.rollout_id == rollout.id)):
            continue  # already seeded: the demo is idempotent
        services.generate_series(region=rollout.region, rollout=rollout, notify=False)
        learners = list(
            db.session.execute(
                select(Enrollment.id, Enrollment.time_approved_at)
                .where(
                    Enrollment.rollout_id == rollout.id,
                    Enrollment.time_approved_at.is_not(None),
                )
                .order_by(Enrollment.id)
            ).all()
        )
        if not learners:
            continue
        # a few learners who drifted away: they stop coming after the first weeks
        drifting = {eid for eid, _ in learners[:: max(len(learners) // 6, 1)]}
        sessions = services.sessions_of(rollout.id)
        upcoming = [s for s in sessions if s.starts_at > now and not s.cancelled]
        for week, session in enumerate(s for s in sessions if s.starts_at <= now):
            if session.cancelled:
                continue
            expected = [eid for eid, approved in learners if approved <= session.starts_at]
            present = {
                eid: ctx.rng.randint(25, session.duration_minutes)
                for eid in expected
                if ctx.rng.random() < (0.15 if eid in drifting and week >= 2 else 0.82)
            }
            store_attendance(
                region=rollout.region,
                session=session,
                present=present,
                absent=set(expected) - set(present),
                source="upload" if week % 2 else "web",
            )
            _questions(ctx, session, expected, answered=True)
            session.notes = NOTES
            session.prompts_sent_at = session.agenda_sent_at = session.notes_sent_at = (
                session.starts_at
            )
        if upcoming:
            expected = [eid for eid, _ in learners]
            _questions(ctx, upcoming[0], expected, answered=False)
        db.session.flush()


def _questions(ctx: Any, session: CallSession, expected: list[int], *, answered: bool) -> None:
    if not expected:
        return
    for blocked, text in ctx.rng.sample(QUESTIONS, k=ctx.rng.randint(2, 4)):
        db.session.add(
            CallQuestion(
                region_id=session.region_id,
                session_id=session.id,
                enrollment_id=ctx.rng.choice(expected),
                text=text,
                blocked=blocked,
                answered=answered,
                answered_at=session.starts_at if answered else None,
            )
        )
