"""The goal survey's answers (stored on ``Enrollment.goal_reached``)."""

from __future__ import annotations

import enum


class GoalAnswer(enum.StrEnum):
    REACHED = "reached"
    PARTLY = "partly"
    NOT = "not"

    @property
    def label(self) -> str:
        return {"reached": "Yes, I reached it", "partly": "Partly", "not": "Not yet"}[self.value]
