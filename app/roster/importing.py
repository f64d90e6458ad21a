"""A roster file applied to a rollout now (the confirm job, the command line) or only
counted (a dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from app.audit.services import record
from app.extensions import db
from app.people.models import Person
from app.people.signals import manager_changed
from app.regions.models import Region
from app.rollouts.models import Rollout, RolloutStatus
from app.rollouts.onboarding import queue_invitations
from app.roster.engine import RosterOutcome, run_roster
from app.roster.issues import (
    column_header,
)
from app.roster.staging import staged_issues
from app.roster.texts import roster_reason


def import_roster_file(
    path: Path | str,
    *,
    region: Region,
    rollout: Rollout,
    actor: Any = None,
    channel: str = "cli",
    on_progress: Any = None,
    expect: dict[str, int] | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    collect_issues: bool = False,
    row_filter: dict[str, Any] | None = None,
) -> RosterOutcome:
    """Apply a roster file to ``rollout`` (the CLI and the confirm job use this).

    With ``collect_issues``, ``outcome.issues`` lists the refused rows (line, the
    file's header, reason in English).

    Writes people, managers, enrollments and missing flags; sends ``manager_changed``
    for each manager change; queues invitations for new learners of a launched
    rollout; records an audit event. Raises UnreadableRoster with nothing written.
    """
    issues: list[tuple[int, str, str]] = []

    def collect(conn: Connection, headers: dict[str, str]) -> None:
        issues.extend(
            (line, column_header(column, headers), roster_reason(code, "en"))
            for line, column, code, refused in staged_issues(conn)
            if refused
        )

    outcome = run_roster(
        path,
        region_id=region.id,
        rollout_id=rollout.id,
        apply=True,
        on_progress=on_progress,
        on_staged=collect if collect_issues else None,
        expect=expect,
        mapping=mapping,
        sheet=sheet,
        row_filter=row_filter,
    )
    outcome.issues = issues
    _announce_manager_changes(outcome)
    if rollout.status is RolloutStatus.LAUNCHED and outcome.new_enrollments:
        queue_invitations(region=region, rollout=rollout)
    record(
        region_id=region.id,
        action="roster.imported",
        obj=rollout,
        actor=actor,
        channel=channel,
        data=outcome.counts,
    )
    db.session.flush()
    return outcome


def dry_run_roster_file(
    path: Path | str,
    *,
    region: Region,
    rollout: Rollout,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    notes: bool = False,
) -> RosterOutcome:
    """Check a roster file and count what an import would do; writes nothing.

    ``outcome.issues`` lists the refused rows as (line, the file's header, reason in
    English); with ``notes``, also the notes on rows that would be imported.
    """
    issues: list[tuple[int, str, str]] = []

    def collect(conn: Connection, headers: dict[str, str]) -> None:
        issues.extend(
            (line, column_header(column, headers), roster_reason(code, "en"))
            for line, column, code, refused in staged_issues(conn)
            if refused or notes
        )

    outcome = run_roster(
        path,
        region_id=region.id,
        rollout_id=rollout.id,
        apply=False,
        on_staged=collect,
        mapping=mapping,
        sheet=sheet,
    )
    outcome.issues = issues
    return outcome


def _announce_manager_changes(outcome: RosterOutcome) -> None:
    if not outcome.manager_changes:
        return
    ids = [pid for pid, _, _ in outcome.manager_changes]
    people = {
        p.id: p
        for i in range(0, len(ids), 1000)
        for p in db.session.scalars(select(Person).where(Person.id.in_(ids[i : i + 1000])))
    }
    for person_id, old, new in outcome.manager_changes:
        manager_changed.send(people[person_id], old_manager_id=old, new_manager_id=new)
