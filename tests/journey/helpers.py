"""Builders for the weekly journey tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.journey.models import JourneySend
from app.mail.models import OutboundEmail
from app.progress.models import ModuleProgress
from app.rollouts.models import EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, ProgramFactory, RolloutFactory, region


def launched(code: str = "fr", starts_on: date = date(2026, 11, 2), **kwargs: Any) -> Any:
    """A launched rollout of a 3-term program (6 modules, 2 new per 4-week term)."""
    program = ProgramFactory(structure=starts_on)
    return RolloutFactory(
        program=program,
        region_id=region(code).id,
        cohort_start=starts_on,
        **{"status": RolloutStatus.LAUNCHED, **kwargs},
    )


def learner(rollout: Any, state: EnrollmentState = EnrollmentState.ACTIVE, **kwargs: Any) -> Any:
    return EnrollmentFactory(rollout=rollout, state=state, **kwargs)


def complete(enrollment: Any, *positions: int, at: datetime | None = None) -> None:
    """Mark the program's modules at ``positions`` (1-based) completed, as an import would."""
    modules = {m.position: m for m in enrollment.rollout.program.modules}
    for position in positions:
        db.session.add(
            ModuleProgress(
                region_id=enrollment.region_id,
                rollout_id=enrollment.rollout_id,
                enrollment_id=enrollment.id,
                module_id=modules[position].id,
                percent=100.0,
                completed=True,
                observed_at=at or datetime(2026, 11, 20, tzinfo=UTC),
                source="test",
            )
        )
    db.session.flush()


def weekly_emails() -> list[OutboundEmail]:
    return list(
        db.session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.kind == "journey/weekly")
            .order_by(OutboundEmail.id)
        )
    )


def sends() -> int:
    return db.session.scalar(select(func.count(JourneySend.id))) or 0
