"""What xAPI statements do to module progress: completion sticks, the latest percentage
wins, an older statement never overwrites newer progress."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import Float, Insert, bindparam, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

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
    ``rollout``'s enrollments, with
    :func:`progress_step`'s rule written in SQL: one upsert per statement, all sent as one
    executemany (psycopg pipelines it: one round trip, no read of the rows first). Each
    upsert sees the ones before it, so two statements of one pair apply in turn."""
    rows = []
    for enrollment_id, module_id, s, at in applicable:
        percent, completed = progress_step(0.0, False, s)
        rows.append(
            {
                "region_id": region.id,
                "rollout_id": rollout.id,
                "enrollment_id": enrollment_id,
                "module_id": module_id,
                "percent": percent,
                "completed": completed,
                "observed_at": at,
                "source": "xapi",
                "given_percent": s.percent,
            }
        )
    db.session.execute(_upsert(db.session.get_bind().dialect.name), rows)


@functools.cache
def _upsert(dialect_name: str) -> Insert:
    """INSERT a statement's progress row (its percent and completion as on a new row), or
    apply the statement to the existing row unless that row was observed later: completion
    sticks and shows as 100, else the statement's percent (``given_percent``), if it gives
    one, replaces the row's."""
    table = ModuleProgress.__table__
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    new = stmt.excluded
    completed = or_(table.c.completed, new.completed)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.enrollment_id, table.c.module_id],
        set_={
            "completed": completed,
            "percent": case(
                (completed, 100.0),
                else_=func.coalesce(bindparam("given_percent", type_=Float), table.c.percent),
            ),
            "observed_at": new.observed_at,
            "source": new.source,
        },
        # an older statement never overwrites newer progress
        where=new.observed_at >= table.c.observed_at,
    )
