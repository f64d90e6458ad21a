"""Signal receivers: a learner who leaves the program leaves the calls at once."""

from __future__ import annotations

from typing import Any

from app.rollouts.signals import enrollment_left


@enrollment_left.connect
def _withdraw_from_calls(enrollment: Any, **_: Any) -> None:
    from app.calls.invitations import withdraw_learner

    withdraw_learner(enrollment=enrollment)
