"""The staging table of an import and the one statement that merges it (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from app.extensions import db
from app.rollouts.models import Rollout

#: unknown learners listed in an import's report
SAMPLE = 20

_MERGE_SELECT = """
INSERT INTO module_progress
    (region_id, enrollment_id, module_id, percent, completed, observed_at, source)
WITH matched AS (
    SELECT p.id AS person_id, s.module_id, s.percent, s.completed, s.observed_at
    FROM {stg} s JOIN person p ON p.email = s.learner
    WHERE s.learner_kind = 'e'
    UNION ALL
    SELECT p.id AS person_id, s.module_id, s.percent, s.completed, s.observed_at
    FROM {stg} s JOIN person p ON p.employee_id = s.learner
    WHERE s.learner_kind = 'i'
)
SELECT {distinct} e.region_id, e.id, m.module_id, m.percent, m.completed, m.observed_at, :source
FROM matched m JOIN enrollment e ON e.person_id = m.person_id AND e.rollout_id = :rollout_id
WHERE 1 = 1
ORDER BY {order}
ON CONFLICT (enrollment_id, module_id) DO UPDATE SET
    completed = (module_progress.completed OR excluded.completed),
    percent = CASE WHEN (module_progress.completed OR excluded.completed) THEN 100.0
                   ELSE excluded.percent END,
    observed_at = excluded.observed_at,
    source = excluded.source
WHERE excluded.observed_at > module_progress.observed_at
"""

_UNKNOWN = """
WITH learners AS (SELECT DISTINCT learner, learner_kind FROM {stg}),
known AS (
    SELECT l.learner FROM learners l
    JOIN person p ON p.email = l.learner
    JOIN enrollment e ON e.person_id = p.id AND e.rollout_id = :rollout_id
    WHERE l.learner_kind = 'e'
    UNION ALL
    SELECT l.learner FROM learners l
    JOIN person p ON p.employee_id = l.learner
    JOIN enrollment e ON e.person_id = p.id AND e.rollout_id = :rollout_id
    WHERE l.learner_kind = 'i'
),
unknown AS (
    SELECT l.learner FROM learners l
    WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.learner = l.learner)
)
SELECT learner, count(*) OVER () AS total FROM unknown ORDER BY learner LIMIT :sample
"""


@dataclass
class Staging:
    """A temporary table of resolved rows (learner key, module, state, time)."""

    name: str
    postgres: bool
    default_observed: datetime

    @classmethod
    def create(cls, *, default_observed: datetime) -> Staging:
        conn = db.session.connection()
        postgres = conn.dialect.name == "postgresql"
        name = f"progress_staging_{uuid.uuid4().hex[:12]}"
        if postgres:
            conn.exec_driver_sql(
                f"CREATE TEMP TABLE {name} (learner text, learner_kind char(1), module_id int, "
                "percent float8, completed boolean, observed_at timestamp) ON COMMIT DROP"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TEMP TABLE {name} (learner TEXT, learner_kind TEXT, module_id INTEGER, "
                "percent REAL, completed BOOLEAN, observed_at DATETIME)"
            )
        return cls(name=name, postgres=postgres, default_observed=default_observed)

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        conn = db.session.connection()
        if self.postgres:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(
                f"COPY {self.name} (learner, learner_kind, module_id, percent, completed, "
                "observed_at) FROM STDIN"
            ) as copy:
                copy.write("".join(_copy_line(row) for row in rows))
            cursor.close()
        else:
            # the table name is ours (a uuid), never input
            conn.exec_driver_sql(f"INSERT INTO {self.name} VALUES (?, ?, ?, ?, ?, ?)", rows)  # noqa: S608

    def merge(self, *, rollout: Rollout, source: str) -> int:
        conn = db.session.connection()
        if self.postgres:
            # a temporary table has no statistics until analysed: without them the planner
            # loops over it row by row
            conn.exec_driver_sql(f"ANALYZE {self.name}")
            # the DISTINCT ON sort of a million rows fits in memory instead of spilling to disk
            conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
            sql = _MERGE_SELECT.format(
                stg=self.name,
                distinct="DISTINCT ON (e.id, m.module_id)",
                order="e.id, m.module_id, m.observed_at DESC, m.completed DESC, m.percent DESC",
            )
        else:  # rows apply in order; the WHERE keeps the newest observation
            sql = _MERGE_SELECT.format(
                stg=self.name, distinct="", order="m.observed_at, m.completed, m.percent"
            )
        result = conn.execute(text(sql), {"source": source, "rollout_id": rollout.id})
        return max(result.rowcount or 0, 0)

    def unknown_learners(self, *, rollout: Rollout) -> tuple[int, list[str]]:
        """How many distinct learners of the file are not enrolled here, and the first few."""
        rows = (
            db.session.connection()
            .execute(
                text(_UNKNOWN.format(stg=self.name)),
                {"rollout_id": rollout.id, "sample": SAMPLE},
            )
            .all()
        )
        return (int(rows[0].total) if rows else 0), [r.learner for r in rows]

    def drop(self) -> None:
        db.session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {self.name}")


def _copy_line(row: tuple[Any, ...]) -> str:
    learner, kind, module_id, percent, completed, observed = row
    if any(ch in learner for ch in "\\\t\n\r"):
        learner = (
            learner.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return f"{learner}\t{kind}\t{module_id}\t{percent}\t{'t' if completed else 'f'}\t{observed}\n"
