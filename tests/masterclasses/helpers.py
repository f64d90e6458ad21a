"""Builders for master-class tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboundEmail
from app.masterclasses.models import MasterClass, MasterClassInvitation
from app.rollouts.models import EnrollmentState
from tests.factories import EnrollmentFactory, region


def completer(rollout: Any = None, **kwargs: Any) -> Any:
    """A learner who completed the program (through the state machine)."""
    extra = {"rollout": rollout} if rollout is not None else {}
    enrollment = EnrollmentFactory(**extra, **kwargs)
    at = utcnow() - timedelta(days=3)
    for state in (
        EnrollmentState.COMMITTED,
        EnrollmentState.TIME_APPROVED,
        EnrollmentState.ACTIVE,
        EnrollmentState.COMPLETED,
    ):
        enrollment.transition(state, at=at)
    enrollment.goal = "Run our deployments without help"
    db.session.flush()
    return enrollment


def master_class(
    program: Any,
    *,
    region_code: str | None = "de",
    capacity: int = 10,
    starts_at: datetime | None = None,
    **kwargs: Any,
) -> MasterClass:
    mc = MasterClass(
        program_id=program.id,
        region_id=region(region_code).id if region_code else None,
        title=kwargs.pop("title", "Architecture with the CTO"),
        hosts="Ada Lovelace, Grace Hopper",
        starts_at=starts_at or (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0),
        duration_minutes=90,
        location=kwargs.pop("location", ""),
        join_url="https://meet.example.com/mc",
        capacity=capacity,
        **kwargs,
    )
    db.session.add(mc)
    db.session.flush()
    return mc


def invitations(mc: MasterClass) -> list[MasterClassInvitation]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MasterClassInvitation)
            .where(MasterClassInvitation.master_class_id == mc.id)
            .order_by(MasterClassInvitation.id)
        )
    )


def emails(kind: str) -> list[OutboundEmail]:
    return list(
        db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.kind == kind).order_by(OutboundEmail.id)
        )
    )


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
