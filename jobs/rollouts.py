"""Rollout jobs: roster previews and imports, invitations."""

from __future__ import annotations

import logging

from app.auth.models import StaffUser
from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from app.rollouts.imports import apply_roster_import, mark_failed, preview_roster_import
from app.rollouts.models import ImportStatus, Rollout, RosterImport
from app.rollouts.onboarding import remind_uncommitted as remind
from app.rollouts.onboarding import send_invitations as send
from jobs.runtime import job_context

log = logging.getLogger(__name__)


def _fail_visibly(import_id: int, exc: BaseException) -> None:
    """The job raised outside the import's own handling: mark the import failed, with the
    reason, in a transaction of its own (never left "queued" or "running")."""
    with job_context():
        roster_import = db.session.get(RosterImport, import_id)
        if roster_import is not None and roster_import.status in (
            ImportStatus.QUEUED,
            ImportStatus.PREVIEWING,
            ImportStatus.APPLYING,
        ):
            mark_failed(roster_import, exc)


def preview_roster(import_id: int) -> None:
    """Check an uploaded roster and record its preview."""
    try:
        _preview_roster(import_id)
    except Exception as exc:
        _fail_visibly(import_id, exc)
        raise


def _preview_roster(import_id: int) -> None:
    with job_context():
        roster_import = db.session.get(RosterImport, import_id)
        if roster_import is None:
            return
        preview_roster_import(region=roster_import.rollout.region, roster_import=roster_import)
        log.info("roster import %s previewed: %s", import_id, roster_import.status)


def apply_roster(import_id: int, actor_id: int | None = None) -> None:
    """Apply a confirmed roster import."""
    try:
        _apply_roster(import_id, actor_id)
    except Exception as exc:
        _fail_visibly(import_id, exc)
        raise


def _apply_roster(import_id: int, actor_id: int | None) -> None:
    with job_context():
        roster_import = db.session.get(RosterImport, import_id)
        if roster_import is None:
            return
        actor = db.session.get(StaffUser, actor_id) if actor_id else None
        apply_roster_import(
            region=roster_import.rollout.region, roster_import=roster_import, actor=actor
        )
        log.info("roster import %s: %s", import_id, roster_import.status)


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
