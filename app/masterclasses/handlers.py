"""Signal receivers: a learner who completes is invited to the master classes they qualify for."""

from __future__ import annotations

from typing import Any

from app.masterclasses.services import invite_on_completion
from app.rollouts.signals import enrollment_completed


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    enrollment_completed.connect(invite_completer)


def invite_completer(enrollment: Any, **kwargs: Any) -> None:
    invite_on_completion(enrollment)
