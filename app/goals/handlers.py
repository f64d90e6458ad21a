"""Signal receivers: a learner who completes gets the goal survey."""

from __future__ import annotations

from typing import Any

from app.rollouts.signals import enrollment_completed


@enrollment_completed.connect
def survey_completer(enrollment: Any, **kwargs: Any) -> None:
    from app.goals.services import send_goal_survey

    send_goal_survey(enrollment, reason="completion")
