"""Demo: a global sponsor, goal-survey answers, and the last two weeks' reports built.

Idempotent: the sponsor and the answers are looked up first; reports are rebuilt in
place (one row per region and week), and never sent from here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.auth.models import Role, RoleAssignment, StaffUser
from app.extensions import db
from app.reports.services import build_week
from app.rollouts.models import Enrollment, EnrollmentState
from app.weeks import week_label

GLOBAL_SPONSOR = ("Gloria Okafor", "gloria.okafor@example.com")


def _global_sponsor() -> None:
    name, email = GLOBAL_SPONSOR
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()
    if user is None:
        user = StaffUser(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    if not any(r.role is Role.SPONSOR and r.region_id is None for r in user.roles):
        user.roles.append(RoleAssignment(region_id=None, role=Role.SPONSOR, source="demo"))


def _goal_answers(ctx: Any) -> None:
    """Completers answer the end-of-program survey (until the goal survey seeds its own)."""
    answered = db.session.scalar(
        select(Enrollment.id).where(Enrollment.goal_reached.is_not(None)).limit(1)
    )
    if answered is not None:
        return
    completers = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.state == EnrollmentState.COMPLETED)
        .order_by(Enrollment.id)
    )
    for enrollment in completers:
        roll = ctx.rng.random()
        if roll < 0.8:  # some never answer
            enrollment.goal_reached = "reached" if roll < 0.5 else "partly" if roll < 0.7 else "not"


def seed(ctx: Any) -> None:
    _global_sponsor()
    _goal_answers(ctx)
    db.session.flush()
    last_week = week_label(ctx.today - timedelta(days=7))
    week_before = week_label(ctx.today - timedelta(days=14))
    build_week(week=week_before)
    build_week(week=last_week)
