"""Rollout jobs: invitations and commit reminders."""

from __future__ import annotations

import logging

from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.rollouts.onboarding import remind_uncommitted as remind
from app.rollouts.onboarding import send_invitations as send
from jobs.runtime import job_context

log = logging.getLogger(__name__)


def send_invitations(rollout_id: int) -> None:
    """Invite every learner of a launched rollout not yet invited."""
    with job_context():
        rollout = db.session.get(Rollout, rollout_id)
        if rollout is None:
            return
        n = send(region=rollout.region, rollout=rollout)
        log.info("rollout %s: %s invitations queued", rollout_id, n)


def remind_uncommitted(region_id: int, slot_iso: str | None = None) -> None:
    """Daily per region (09:00 region time): remind learners who have not committed."""
    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return
        n = remind(region=region, now=utcnow())
        log.info("region %s: %s commit reminders queued", region.code, n)
