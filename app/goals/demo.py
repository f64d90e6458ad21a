"""Demo: leaderboard opt-ins, and the goal survey sent to the completers, most answered.

Idempotent: opt-ins and answers are decided per enrollment id; a survey is sent once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.goals.services import answer_goal_survey, send_goal_survey
from app.rollouts.models import Enrollment, EnrollmentState

COMMENTS = [
    "The event-driven module changed how I design our services.",
    "I got most of the way; the ML part needs more practice.",
    "My manager's support with study time made the difference.",
    "",
]


def seed(ctx: Any) -> None:
    """Leaderboard opt-ins, goal surveys sent to completers, most of them answered."""
    answers = ["reached"] * 5 + ["partly"] * 3 + ["not"] * 2
    for rollout in ctx.rollouts.values():
        enrollments = db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.state.in_([EnrollmentState.ACTIVE, EnrollmentState.COMPLETED]),
            )
            .order_by(Enrollment.id)
        ).all()
        for enrollment in enrollments:
            if enrollment.id % 5 in (0, 2) and not enrollment.leaderboard_opt_in:
                enrollment.leaderboard_opt_in = True
            if enrollment.state != EnrollmentState.COMPLETED:
                continue
            send_goal_survey(enrollment, reason="completion")
            if enrollment.goal_reached is None and enrollment.id % 10 < 7:
                answer_goal_survey(
                    enrollment,
                    answer=answers[enrollment.id * 7 % len(answers)],
                    comment=COMMENTS[enrollment.id % len(COMMENTS)],
                    actor=enrollment.person,
                )
    db.session.flush()
