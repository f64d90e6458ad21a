"""Signal receivers: a learner commits, a manager changes (they run in the sender's transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.services import create_allocation, move_pending_to_managers
from app.extensions import db
from app.people.signals import manager_changed, managers_changed
from app.rollouts.models import Enrollment
from app.rollouts.signals import enrollment_committed, pairing_holds


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    enrollment_committed.connect(_request_time)
    manager_changed.connect(_move_pending)
    managers_changed.connect(_move_pending_in_bulk)
    pairing_holds.connect(_declined_time)


def _request_time(enrollment: Any, **extra: Any) -> None:
    create_allocation(enrollment=enrollment)


def _move_pending(person: Any, **extra: Any) -> None:
    move_pending_to_managers(
        [(person.id, extra.get("old_manager_id"), extra.get("new_manager_id"))]
    )


def _move_pending_in_bulk(sender: Any, **extra: Any) -> None:
    move_pending_to_managers(extra.get("changes") or [])


def _declined_time(rollout: Any, **extra: Any) -> set[int]:
    """Learners whose manager declined their time (and nobody approved it since): they
    are not paired until the lead resolves it."""
    return set(
        db.session.scalars(
            select(TimeAllocation.enrollment_id)
            .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
            .where(
                Enrollment.rollout_id == rollout.id,
                TimeAllocation.status == AllocationStatus.DECLINED,
            )
        )
    )
