"""Signal receivers: a learner who leaves the program leaves the calls at once."""

from __future__ import annotations

from typing import Any

from app.calls.invitations import withdraw_learner
from app.rollouts.signals import enrollment_left


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    enrollment_left.connect(_withdraw_from_calls)


def _withdraw_from_calls(enrollment: Any, **_: Any) -> None:
    withdraw_learner(enrollment=enrollment)
