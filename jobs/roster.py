"""Roster jobs: an uploaded HR file previewed, then applied once the lead confirms."""

from __future__ import annotations

import logging

from app.auth.models import StaffUser
from app.extensions import db
from app.roster.models import ImportStatus, RosterImport
from app.roster.services import apply_roster_import, mark_failed, preview_roster_import
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
        # a job enqueued again after a lost worker carries no actor: the import keeps it
        actor_id = actor_id or roster_import.confirmed_by_id
        actor = db.session.get(StaffUser, actor_id) if actor_id else None
        apply_roster_import(
            region=roster_import.rollout.region, roster_import=roster_import, actor=actor
        )
        log.info("roster import %s: %s", import_id, roster_import.status)
