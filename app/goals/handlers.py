"""Signal receivers: a learner who completes gets the goal survey."""

from __future__ import annotations

from typing import Any

from app.goals.services import send_goal_survey
from app.rollouts.signals import enrollment_completed


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    enrollment_completed.connect(survey_completer)


def survey_completer(enrollment: Any, **kwargs: Any) -> None:
    send_goal_survey(enrollment, reason="completion")
