"""The staging table of an import and the one statement that merges it (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.progress.values import SUMMIT_PERCENT_SQL, TRUE_WORDS
from app.readcache import writes_in
from app.rollouts.models import Rollout

#: unknown learners listed in an import's report
SAMPLE = 20
#: staged rows from which the unknown-learner count is planned without nested loops
HASHED_FROM = 1_000

_MERGE_SELECT = """
INSERT INTO module_progress
    (region_id, rollout_id, enrollment_id, module_id, percent, completed, observed_at, source)
WITH matched AS (
    SELECT p.id AS person_id, s.module_id, s.percent, s.completed, s.observed_at
    FROM {stg} s JOIN person p ON p.email = s.learner
    WHERE s.learner_kind = 'e'
    UNION ALL
    SELECT p.id AS person_id, s.module_id, s.percent, s.completed, s.observed_at
    FROM {stg} s JOIN person p ON p.employee_id = s.learner
    WHERE s.learner_kind = 'i'
)
SELECT {distinct} e.region_id, e.rollout_id, e.id, m.module_id, m.percent, m.completed,
    m.observed_at, :source
FROM matched m JOIN enrollment e ON e.person_id = m.person_id AND e.rollout_id = :rollout_id
{never_lower}
ORDER BY {order}
ON CONFLICT (enrollment_id, module_id) DO UPDATE SET
    completed = (module_progress.completed OR excluded.completed),
    percent = CASE WHEN (module_progress.completed OR excluded.completed) THEN 100.0
                   ELSE excluded.percent END,
    observed_at = excluded.observed_at,
    source = excluded.source
WHERE NOT module_progress.completed
  AND (excluded.completed
       OR (excluded.observed_at > module_progress.observed_at
           AND excluded.percent <> module_progress.percent))
"""

#: a connector never lowers progress: a row changes nothing when Summit already has the
#: module completed, or at least this percentage (a join, not a DELETE of the staged rows:
#: one hash join over the rollout's progress instead of three index probes a row)
_NEVER_LOWER = """
LEFT JOIN module_progress cur
    ON cur.enrollment_id = e.id AND cur.module_id = m.module_id AND cur.rollout_id = :rollout_id
WHERE cur.enrollment_id IS NULL
   OR (NOT cur.completed AND (m.completed OR m.percent > cur.percent + 0.005))
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
    #: the execution options of its statements: they write in the rollout's region only
    #: (the read cache keeps the other regions' pages, app.readcache)
    in_region: dict[str, Any]
    #: rows staged so far
    staged: int = 0
    #: rows the merge applied (None before it)
    applied: int | None = None

    @classmethod
    def create(cls, *, default_observed: datetime, region_id: int) -> Staging:
        in_region = writes_in(region_id)
        conn = db.session.connection()
        postgres = conn.dialect.name == "postgresql"
        name = f"progress_staging_{uuid.uuid4().hex[:12]}"
        if postgres:
            # for the rest of the transaction: the distinct time cells of a file (the fast
            # path) hash, and the merge's DISTINCT ON sort of a million rows fits, in memory
            conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")
            conn.exec_driver_sql(
                f"CREATE TEMP TABLE {name} (learner text, learner_kind char(1), module_id int, "
                "percent float8, completed boolean, observed_at timestamp) ON COMMIT DROP",
                execution_options=in_region,
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TEMP TABLE {name} (learner TEXT, learner_kind TEXT, module_id INTEGER, "
                "percent REAL, completed BOOLEAN, observed_at DATETIME)",
                execution_options=in_region,
            )
        return cls(
            name=name, postgres=postgres, default_observed=default_observed, in_region=in_region
        )

    def add(self, rows: list[tuple[Any, ...]] | list[str]) -> None:
        """Stage rows: tuples (learner, kind, module id, percent, completed, observed_at
        text), or on PostgreSQL lines of COPY text of those columns."""
        if not rows:
            return
        self.staged += len(rows)
        conn = db.session.connection()
        if self.postgres:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(
                f"COPY {self.name} (learner, learner_kind, module_id, percent, completed, "
                "observed_at) FROM STDIN"
            ) as copy:
                copy.write(
                    "".join(row if isinstance(row, str) else _copy_line(row) for row in rows)
                )
            cursor.close()
        else:
            # the table name is ours (a uuid), never input
            conn.exec_driver_sql(
                f"INSERT INTO {self.name} VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
                rows,
                execution_options=self.in_region,
            )

    def merge(
        self, *, rollout: Rollout, source: str, collapse: bool = False, never_lower: bool = False
    ) -> int:
        """Apply the staged rows to ``rollout``'s progress in one statement; rows applied.

        ``collapse``: first make one row of each learner's staged rows of a module, as a
        connector reads them (completion sticks, the highest percentage and the newest time
        win), instead of letting the newest observation alone decide (a file's rows).
        ``never_lower``: leave out rows that would change nothing, as a connector reads
        them: Summit has the module completed, or at least the row's percentage."""
        conn = db.session.connection()
        stg = self.name
        if collapse:
            any_completed = "bool_or(completed)" if self.postgres else "max(completed)"
            stg = (
                "(SELECT learner, learner_kind, module_id, max(percent) AS percent, "  # noqa: S608
                f"{any_completed} AS completed, max(observed_at) AS observed_at "
                f"FROM {self.name} GROUP BY learner, learner_kind, module_id)"
            )
        where = _NEVER_LOWER if never_lower else "WHERE 1 = 1"
        if self.postgres:
            # a temporary table has no statistics until analysed: without them the planner
            # loops over it row by row
            conn.exec_driver_sql(f"ANALYZE {self.name}", execution_options=self.in_region)
            sql = _MERGE_SELECT.format(
                stg=stg,
                distinct="DISTINCT ON (e.id, m.module_id)",
                order="e.id, m.module_id, m.observed_at DESC, m.completed DESC, m.percent DESC",
                never_lower=where,
            )
        else:  # rows apply in order; the WHERE keeps the newest observation
            sql = _MERGE_SELECT.format(
                stg=stg,
                distinct="",
                order="m.observed_at, m.completed, m.percent",
                never_lower=where,
            )
        result = conn.execute(
            text(sql),
            {"source": source, "rollout_id": rollout.id},
            execution_options=writes_in(rollout.region_id),
        )
        self.applied = max(result.rowcount or 0, 0)
        return self.applied

    def unknown_learners(self, *, rollout: Rollout) -> tuple[int, list[str]]:
        """How many distinct learners of the file are not enrolled here, and the first few.

        From :data:`HASHED_FROM` staged rows on, planned without nested loops (hash joins,
        linear): the statistics of a rollout whose roster was just imported say it has
        one enrollment until they are next analysed, and the planner then compares every
        learner of the file with every enrolled one (25,000,000 rows for 5,000 learners).

        After a merge that applied every staged row, nobody: each row names one person by
        a unique key, so no more rows can match an enrollment than were staged, and no
        more can apply than matched (a file's first import, 3.5 s at 5,000,000 rows).
        """
        if self.applied is not None and self.applied == self.staged:
            return 0, []
        with self.planned_hashed():
            rows = (
                db.session.connection()
                .execute(
                    text(_UNKNOWN.format(stg=self.name)),
                    {"rollout_id": rollout.id, "sample": SAMPLE},
                    # a read, but a WITH the cache cannot tell from a write: say where
                    execution_options=self.in_region,
                )
                .all()
            )
        return (int(rows[0].total) if rows else 0), [r.learner for r in rows]

    @contextmanager
    def planned_hashed(self) -> Iterator[None]:
        """PostgreSQL, from :data:`HASHED_FROM` staged rows: the statements inside are
        planned without nested loops (the setting is set back after them; a failure rolls
        it back with the transaction)."""
        if not (self.postgres and self.staged >= HASHED_FROM):
            yield
            return
        conn = db.session.connection()
        previous = conn.exec_driver_sql("SELECT current_setting('enable_nestloop')").scalar()
        conn.exec_driver_sql("SELECT set_config('enable_nestloop', 'off', true)")
        yield
        conn.execute(
            text("SELECT set_config('enable_nestloop', :previous, true)"), {"previous": previous}
        )

    def drop(self) -> None:
        db.session.connection().exec_driver_sql(
            f"DROP TABLE IF EXISTS {self.name}", execution_options=self.in_region
        )


def _copy_line(row: tuple[Any, ...]) -> str:
    learner, kind, module_id, percent, completed, observed = row
    return (
        f"{copy_field(learner)}\t{kind}\t{module_id}\t{percent}\t"
        f"{'t' if completed else 'f'}\t{observed}\n"
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(value: str) -> str:
    """``value`` as a field of COPY's text format (backslash, tab and line ends escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


#: one pass over the file for what its rows share: the distinct units (with their rows), and
#: the distinct percentage and time cells, each of which is then read once (as the row-by-row
#: reader caches them). The checks before the casts cost PostgreSQL's regular expressions
#: about 4 µs a cell, and a file's rows mostly share a few percentages and times (the
#: export's, a day's); one grouping-sets scan costs about half of three separate ones
_SUMMIT_CELLS = """
CREATE TEMP TABLE {cells} ON COMMIT DROP AS
SELECT CASE WHEN grouping(unit) = 0 THEN 'u' {percent_kind} ELSE 't' END AS kind,
       unit, {pct} AS pct, {observed_cell} AS observed, count(*) AS n
FROM (SELECT trim(coalesce({module}, '')) AS unit, {percent} AS pct, {observed} AS observed
      FROM {raw}) r
GROUP BY GROUPING SETS ((unit){percent_set}{observed_set})
"""

#: the distinct cells read: with every cell distinct, the extra hash join costs about a
#: tenth more than reading each cell
_SUMMIT_READ_CELLS = """
WITH times AS MATERIALIZED (
    SELECT observed AS cell,
           CASE
               WHEN trim(observed) ~ :re_with_offset
                   THEN trim(observed)::timestamptz AT TIME ZONE 'UTC'
               WHEN trim(observed) ~ :re_local
                   THEN (trim(observed)::timestamp AT TIME ZONE :zone) AT TIME ZONE 'UTC'
           END AS observed
    FROM {cells} WHERE kind = 't'
),
percents AS MATERIALIZED (
    SELECT pct AS cell,
           CASE WHEN trim(pct) ~ :re_percent
                THEN replace(rtrim(trim(pct), '% '), ',', '.')::float8 END AS pct
    FROM {cells} WHERE kind = 'p'
)
"""

_SUMMIT_INSERT = """
INSERT INTO {stg} (learner, learner_kind, module_id, percent, completed, observed_at)
{read_cells}
SELECT CASE WHEN r.email <> '' THEN lower(r.email) ELSE r.employee_id END,
       CASE WHEN r.email <> '' THEN 'e' ELSE 'i' END,
       u.module_id,
       CASE WHEN r.done THEN 100.0 ELSE LEAST(100.0, GREATEST(0.0, r.pct)) END,
       -- completed: the word, or 100 % (as the row-by-row reader and every format)
       r.done OR r.pct >= 100.0 IS TRUE,
       COALESCE(r.observed, :default_observed)
FROM (
    SELECT trim(coalesce({email}, '')) AS email,
           trim(coalesce({employee_id}, '')) AS employee_id,
           trim(coalesce({module}, '')) AS unit,
           lower(trim(coalesce({completed}, ''))) IN ({true_words}) AS done,
           {pct} AS pct,
           {observed_time} AS observed
    FROM {raw} {joins}
    -- computed once a row: without the fence the planner pulls the subquery up and every
    -- use of a column repeats its expression (the yes words three times a row, the email
    -- four); 11.3 s → 6.5 s at 5,000,000 rows
    OFFSET 0
) r
JOIN {units} u ON u.unit = r.unit
WHERE (r.email <> '' OR r.employee_id <> '') AND (r.done OR r.pct > 0)
"""


#: what the SQL casts only after checking (a bad cell falls back to the row-by-row reader)
_PATTERNS = {
    "re_percent": SUMMIT_PERCENT_SQL,
    "re_with_offset": r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$",
    "re_local": r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$",
}


def copy_summit_csv(
    staging: Staging,
    *,
    raw: IO[bytes],
    header: list[str],
    delimiter: str,
    zone: str,
    resolver: Any,
    on_bytes: Any = None,
) -> tuple[int, int] | None:
    """PostgreSQL only: COPY a Summit CSV as it is into a raw table and resolve it in SQL
    (no Python per row). Returns (rows read, rows staged), or None when the file does not
    load as plain CSV (ragged rows, bad dates), in which case nothing is left behind and
    the caller reads the file row by row instead.
    """

    col = {name.strip().lower(): i for i, name in enumerate(header)}
    if "module" not in col:
        return None
    raw_name, units_name = f"{staging.name}_raw", f"{staging.name}_units"
    cells_name = f"{staging.name}_cells"

    def column(name: str) -> str:
        return f"c{col[name]}" if name in col else "NULL::text"

    conn = db.session.connection()
    mine = staging.in_region  # temporary tables, then the staging table: its region's
    savepoint = conn.begin_nested()
    try:
        columns = ", ".join(f"c{i} text" for i in range(len(header)))
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {raw_name} ({columns}) ON COMMIT DROP", execution_options=mine
        )
        raw.seek(0)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sep = delimiter.replace("'", "")
        with cursor.copy(
            f"COPY {raw_name} FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER '{sep}')"
        ) as copy:
            first = True
            while chunk := raw.read(1 << 20):
                if first and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                first = False
                copy.write(chunk)
                if on_bytes is not None:
                    on_bytes(raw.tell())
        cursor.close()
        has_percent, has_observed = "percent" in col, "observed_at" in col
        conn.exec_driver_sql(
            _SUMMIT_CELLS.format(
                cells=cells_name,
                raw=raw_name,
                module=column("module"),
                percent=column("percent"),
                observed=column("observed_at"),
                percent_kind="WHEN grouping(pct) = 0 THEN 'p'" if has_percent else "",
                percent_set=", (pct)" if has_percent else "",
                pct="pct" if has_percent else "NULL::text",
                observed_cell="observed" if has_observed else "NULL::text",
                observed_set=", (observed)" if has_observed else "",
            ),
            execution_options=mine,
        )
        units = conn.execute(
            text(f"SELECT unit, n FROM {cells_name} WHERE kind = 'u'")  # noqa: S608 (ours)
        ).all()
        rows_read = sum(n for _, n in units)
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {units_name} (unit text, module_id int) ON COMMIT DROP",
            execution_options=mine,
        )
        mapped = []
        for unit, n in units:
            module_id = resolver.module_for(unit) if unit else None
            if module_id is None:  # its rows are left out, as the row-by-row reader does
                if unit:
                    resolver.unmapped[unit] = resolver.unmapped.get(unit, 0) + n
                continue
            mapped.append({"unit": unit, "module_id": module_id})
        if mapped:
            conn.execute(
                text(f"INSERT INTO {units_name} (unit, module_id) VALUES (:unit, :module_id)"),  # noqa: S608
                mapped,
                execution_options=mine,
            )
        # its few rows known: the planner hashes them instead of sorting the file to merge
        conn.exec_driver_sql(f"ANALYZE {units_name}", execution_options=mine)
        words = ", ".join(f"'{w}'" for w in sorted(TRUE_WORDS))
        joins = []
        if has_observed:
            joins.append(f"LEFT JOIN times ON times.cell = {column('observed_at')}")
        if has_percent:
            joins.append(f"LEFT JOIN percents ON percents.cell = {column('percent')}")
        staged = conn.execute(
            text(
                _SUMMIT_INSERT.format(
                    stg=staging.name,
                    raw=raw_name,
                    units=units_name,
                    email=column("email"),
                    employee_id=column("employee_id"),
                    module=column("module"),
                    completed=column("completed"),
                    read_cells=_SUMMIT_READ_CELLS.format(cells=cells_name),
                    joins=" ".join(joins),
                    pct="percents.pct" if has_percent else "NULL::float8",
                    observed_time="times.observed" if has_observed else "NULL::timestamp",
                    true_words=words,
                )
            ),
            {
                "zone": zone,
                "default_observed": staging.default_observed.astimezone(UTC).replace(tzinfo=None),
                **_PATTERNS,
            },
            execution_options=mine,
        ).rowcount
        conn.exec_driver_sql(f"DROP TABLE {raw_name}", execution_options=mine)
        conn.exec_driver_sql(f"DROP TABLE {units_name}", execution_options=mine)
        conn.exec_driver_sql(f"DROP TABLE {cells_name}", execution_options=mine)
        savepoint.commit()
        staging.staged += int(staged or 0)
        return rows_read, int(staged or 0)
    except (DBAPIError, psycopg.Error):
        savepoint.rollback()
        resolver.unmapped.clear()
        raw.seek(0)
        return None
