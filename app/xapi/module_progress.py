"""What xAPI statements do to module progress: completion sticks, the latest percentage
wins, an older statement never overwrites newer progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.statements import ParsedStatement


def progress_rows(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], ModuleProgress]:
    """The progress rows of (enrollment id, module id) ``pairs`` that exist, in one query."""
    return {
        (row.enrollment_id, row.module_id): row
        for row in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.enrollment_id.in_(sorted({e for e, _ in pairs})),
                ModuleProgress.module_id.in_(sorted({m for _, m in pairs})),
            )
        )
    }


def progress_step(percent: float, completed: bool, s: ParsedStatement) -> tuple[float, bool]:
    """(percent, completed) after one more statement: completion sticks and shows as 100 %,
    otherwise the statement's percent, if it gives one, replaces the last. New statements
    (:func:`apply_statements`) and the replay after a void (``app.xapi.voiding.fold_progress``) both
    go through it."""
    completed = completed or s.completed
    if completed:
        return 100.0, True
    return (s.percent if s.percent is not None else percent), False


def apply_statements(
    region: Region,
    rollout: Rollout,
    applicable: list[tuple[int, int, ParsedStatement, datetime]],
) -> None:
    """Apply the batch's statements, in order, to the (learner, module) progress rows of
    ``rollout``'s enrollments: the rows the batch touches are read in one statement, new ones
    added, none flushed here."""
    rows = progress_rows({(e, m) for e, m, *_ in applicable})
    for enrollment_id, module_id, s, at in applicable:
        row = rows.get((enrollment_id, module_id))
        if row is None:
            row = rows[(enrollment_id, module_id)] = ModuleProgress(
                region_id=region.id,
                rollout_id=rollout.id,
                enrollment_id=enrollment_id,
                module_id=module_id,
                percent=0.0,
                completed=False,
                observed_at=at,
                source="xapi",
            )
            db.session.add(row)
        elif at < row.observed_at:
            continue  # an older statement never overwrites newer progress
        row.percent, row.completed = progress_step(row.percent, bool(row.completed), s)
        row.observed_at = max(at, row.observed_at)
        row.source = "xapi"
