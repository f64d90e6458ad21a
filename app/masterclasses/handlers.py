"""Signal receivers: a learner who completes is invited to the master classes they qualify for."""

from __future__ import annotations

from typing import Any

from app.rollouts.signals import enrollment_completed


@enrollment_completed.connect
def invite_completer(enrollment: Any, **kwargs: Any) -> None:
    from app.masterclasses.invitations import invite_on_completion

    invite_on_completion(enrollment)
