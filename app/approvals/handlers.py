"""Signal receivers: a learner commits, a manager changes (they run in the sender's transaction)."""

from __future__ import annotations

from typing import Any

from app.rollouts.signals import enrollment_committed, manager_changed


@enrollment_committed.connect
def _request_time(enrollment: Any, **extra: Any) -> None:
    from app.approvals.services import create_allocation

    create_allocation(enrollment=enrollment)


@manager_changed.connect
def _move_pending(person: Any, **extra: Any) -> None:
    from app.approvals.services import move_pending_to_manager

    move_pending_to_manager(
        person=person,
        old_manager_id=extra.get("old_manager_id"),
        new_manager_id=extra.get("new_manager_id"),
    )
