"""Master-class and goal-survey jobs: thin entry points taking ids."""

from __future__ import annotations

from app.extensions import db
from app.goals.services import due_goal_surveys
from app.masterclasses.services import due_masterclass_invitations, due_masterclass_reminders
from app.masterclasses.services import promote_waitlist as promote
from app.regions.models import Region
from jobs.runtime import job_context


def promote_waitlist(master_class_id: int) -> int:
    """Give freed places of one class to its waitlist (after a decline or a bigger room)."""
    with job_context():
        return len(promote(master_class_id=master_class_id))


def daily(region_id: int, slot_iso: str | None = None) -> None:
    """The daily sweep of one region: missed invitations, reminders, goal surveys."""
    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return
        due_masterclass_invitations(region=region)
        due_masterclass_reminders(region=region)
        due_goal_surveys(region=region)
