"""Signal receivers: a learner commits, a manager changes (they run in the sender's transaction)."""

from __future__ import annotations

from typing import Any

from app.approvals.services import create_allocation, move_pending_to_manager
from app.people.signals import manager_changed
from app.rollouts.signals import enrollment_committed


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    enrollment_committed.connect(_request_time)
    manager_changed.connect(_move_pending)


def _request_time(enrollment: Any, **extra: Any) -> None:
    create_allocation(enrollment=enrollment)


def _move_pending(person: Any, **extra: Any) -> None:
    move_pending_to_manager(
        person=person,
        old_manager_id=extra.get("old_manager_id"),
        new_manager_id=extra.get("new_manager_id"),
    )
