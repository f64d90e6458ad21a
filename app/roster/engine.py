# ruff: noqa: S608  (SQL is built from constants: the staging table name and fixed fragments; values are bound)
"""The roster import engine: stream a file into a staging table, check it with
set-based SQL, classify every row, and (when asked) apply it in a few statements.

Preview and confirm run the same code; only the last step (apply) differs, so
what a preview counts is what confirm applies. Runs in jobs and the CLI only
(raw SQL bypasses region scoping, so every statement names the region itself).

How managers who are not learners appear: as rows with ``Learner`` = ``no``
(they become people, not enrollments), or, when they are already known, by
employee id or email in the ``Manager`` column. A learner needs a manager.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.db import utcnow
from app.extensions import db
from app.roster.files import KEEP, RawRecord, read_roster
from app.roster.headers import normalise_header
from app.roster.records import MANAGER_EMAIL, MANAGER_NAME_KEY, clean_record, normalise_value
from app.roster.staging import ANALYZE_AFTER, STAGING, create_staging, load_staging
from app.roster.validation import validate

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
#: how many distinct values of the filter column the preview counts
FILTER_VALUES = 50


class StaleRoster(Exception):
    """The counts differ from the preview's: confirming would apply something else."""


@dataclass
class RosterOutcome:
    """What a roster import found (preview) or did (apply): counts only."""

    counts: dict[str, int] = field(default_factory=dict)
    #: (person, old manager id, new manager id) for each manager change applied
    manager_changes: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    new_enrollments: int = 0
    #: (line, column, reason) of the rows not applied, when the caller asked for them
    issues: list[tuple[int, str, str]] = field(default_factory=list)
    #: which header of the file fed each field
    headers: dict[str, str] = field(default_factory=dict)
    #: rows kept and left out by the filter, per value of its column (the first values)
    kept: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)


#: a valid row of a known person, not (yet) found changed
UNCHANGED = "error IS NULL AND person_id IS NOT NULL AND changed IS NULL"


def _classify(conn: Connection, *, rollout_id: int, columns: set[str]) -> dict[str, int]:
    """Flag the changed rows (new ones have no person yet) and count everything."""
    s = STAGING
    differs = [
        "person.email <> s.email",
        "person.name <> s.name",
        # a new manager has no person yet: then the manager changed
        "COALESCE(person.manager_id, 0) <> COALESCE(mp.id, "
        "CASE WHEN COALESCE(s.manager_emp, s.manager_ref) IS NULL THEN 0 ELSE -1 END)",
    ]
    if "locale" in columns:
        differs.append("COALESCE(person.locale, '') <> COALESCE(s.locale, '')")
    if "time_zone" in columns:
        differs.append("COALESCE(person.time_zone, '') <> COALESCE(s.time_zone, '')")
    # UPDATE … FROM cannot join back to its target: the changed ids come from a subquery
    flagged = conn.execute(
        text(
            f"UPDATE {s} SET changed = :true WHERE {UNCHANGED} AND person_id IN ("
            f"SELECT person.id FROM person JOIN {s} s ON s.person_id = person.id "
            f"LEFT JOIN person mp ON mp.employee_id = COALESCE(s.manager_emp, s.manager_ref) "
            f"WHERE s.error IS NULL AND ({' OR '.join(differs)}))"
        ),
        {"true": True},
    ).rowcount
    same_buddy = (
        f" AND COALESCE(e.roster_buddy, '') = COALESCE({s}.buddy, '')" if "buddy" in columns else ""
    )
    flagged += conn.execute(
        text(
            f"UPDATE {s} SET changed = :true WHERE {UNCHANGED} AND learner "
            f"AND NOT EXISTS (SELECT 1 FROM enrollment e WHERE e.rollout_id = :rollout "
            f"AND e.person_id = {s}.person_id AND NOT e.missing_from_roster{same_buddy})"
        ),
        {"rollout": rollout_id, "true": True},
    ).rowcount
    if flagged > ANALYZE_AFTER and conn.dialect.name == "postgresql":
        # the apply's joins filter on ``changed``: planned on the statistics taken before it
        # was written (no row changed), each is a nested loop estimated at one row
        conn.execute(text(f"ANALYZE {s} (changed)"))
    counts = dict.fromkeys(("new", "changed", "unchanged", "errors", "managers_created"), 0)
    for kind, n in conn.execute(
        text(
            f"SELECT k, COUNT(*) FROM (SELECT CASE WHEN line < 0 THEN 'managers_created' "
            f"WHEN error IS NOT NULL THEN 'errors' "
            f"WHEN person_id IS NULL THEN 'new' WHEN changed THEN 'changed' "
            f"ELSE 'unchanged' END AS k FROM {s}) c GROUP BY k"
        )
    ):
        counts[kind] = n
    counts["rows"] = sum(counts.values()) - counts["managers_created"]
    counts["missing"] = conn.execute(
        text(
            f"SELECT COUNT(*) FROM enrollment e JOIN person p ON p.id = e.person_id "
            f"WHERE e.rollout_id = :rollout AND NOT e.missing_from_roster "
            f"AND NOT EXISTS (SELECT 1 FROM {s} WHERE {s}.employee_id = p.employee_id)"
        ),
        {"rollout": rollout_id},
    ).scalar_one()
    counts["learners"], counts["no_manager"] = conn.execute(
        text(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN manager_emp IS NULL "
            f"AND manager_ref IS NULL THEN 1 ELSE 0 END), 0) FROM {s} "
            f"WHERE error IS NULL AND learner AND line > 0"
        )
    ).one()
    return counts


#: the manager's person id: an existing person, or the id a new one is inserted with
MANAGER_ID = "COALESCE(mp.id, ms.new_id)"
MANAGER_JOINS = (
    f"LEFT JOIN person mp ON mp.employee_id = COALESCE(s.manager_emp, s.manager_ref) "
    f"LEFT JOIN {STAGING} ms ON ms.employee_id = COALESCE(s.manager_emp, s.manager_ref) "
    f"AND ms.error IS NULL AND ms.person_id IS NULL"
)


def _apply(
    conn: Connection, *, region_id: int, rollout_id: int, columns: set[str], missing: int
) -> RosterOutcome:
    """Write the classified rows: people with their managers, enrollments, missing flags.

    ``missing``: the enrollments classification counted as no longer in the file (when
    none, the statement that flags them is skipped: it reads every enrollment of the
    rollout and the whole staging table to flag nothing).
    """
    s = STAGING
    now = utcnow().replace(tzinfo=None)  # stored as naive UTC (see app.db.UTCDateTime)
    outcome = RosterOutcome()
    inserted = conn.execute(
        text(
            f"INSERT INTO person (id, employee_id, email, name, locale, time_zone, manager_id, "
            f"region_id, created_at, updated_at) SELECT s.new_id, s.employee_id, s.email, s.name, "
            f"s.locale, s.time_zone, {MANAGER_ID}, :region, :now, :now FROM {s} s "
            f"{MANAGER_JOINS} WHERE s.error IS NULL AND s.person_id IS NULL "
            # in id order: each index of person takes new ids at its right edge
            f"ORDER BY s.new_id"
        ),
        {"region": region_id, "now": now},
    ).rowcount
    if conn.dialect.name == "postgresql" and inserted:
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('person', 'id'), "
                "(SELECT MAX(id) FROM person))"
            )
        )
    if conn.dialect.name == "postgresql" and inserted > ANALYZE_AFTER:
        # the joins below plan with person's statistics: refresh them for the new rows
        conn.execute(text("ANALYZE person"))
    outcome.manager_changes = [
        (pid, old, new)
        for pid, old, new in conn.execute(
            text(
                f"SELECT p.id, p.manager_id, {MANAGER_ID} FROM {s} s "
                f"JOIN person p ON p.id = s.person_id {MANAGER_JOINS} WHERE s.changed "
                f"AND COALESCE(p.manager_id, 0) <> COALESCE({MANAGER_ID}, 0)"
            )
        )
    ]
    sets = ["email = u.email", "name = u.name", "manager_id = u.manager_id"]
    sets += [f"{c} = u.{c}" for c in ("locale", "time_zone") if c in columns]
    # only people whose own data differ: a row "changed" by joining a new rollout alone
    # would rewrite its person (and every index of person) with the same values
    differs = ["person.email <> u.email", "person.name <> u.name"]
    differs.append("COALESCE(person.manager_id, 0) <> COALESCE(u.manager_id, 0)")
    differs += [
        f"COALESCE(person.{c}, '') <> COALESCE(u.{c}, '')"
        for c in ("locale", "time_zone")
        if c in columns
    ]
    conn.execute(
        text(
            f"UPDATE person SET {', '.join(sets)}, updated_at = :now FROM ("
            f"SELECT s.person_id, s.email, s.name, s.locale, s.time_zone, "
            f"{MANAGER_ID} AS manager_id FROM {s} s {MANAGER_JOINS} "
            f"WHERE s.changed) u "
            f"WHERE person.id = u.person_id AND person.region_id = :region "
            f"AND ({' OR '.join(differs)})"
        ),
        {"region": region_id, "now": now},
    )
    outcome.new_enrollments = conn.execute(
        text(
            f"INSERT INTO enrollment (rollout_id, region_id, person_id, state, roster_buddy, "
            f"missing_from_roster, leaderboard_opt_in, commit_reminders_sent) "
            f"SELECT :rollout, :region, COALESCE(s.person_id, s.new_id), 'invited', s.buddy, "
            f":false, :false, 0 FROM {s} s WHERE s.error IS NULL "
            f"AND (s.person_id IS NULL OR s.changed) AND s.learner "
            f"AND NOT EXISTS (SELECT 1 FROM enrollment e WHERE e.rollout_id = :rollout "
            f"AND e.person_id = COALESCE(s.person_id, s.new_id)) "
            f"ORDER BY COALESCE(s.person_id, s.new_id)"
        ),
        {"rollout": rollout_id, "region": region_id, "false": False},
    ).rowcount
    if conn.dialect.name == "postgresql" and outcome.new_enrollments > ANALYZE_AFTER:
        # a new rollout: without fresh statistics the UPDATE below is planned for one
        # enrollment row (a nested loop over tens of thousands: minutes instead of seconds)
        conn.execute(text("ANALYZE enrollment"))
    buddy = ", roster_buddy = s.buddy" if "buddy" in columns else ""
    # only enrollments that differ: the ones just inserted already match their row
    stale = "enrollment.missing_from_roster"
    if "buddy" in columns:
        stale += " OR COALESCE(enrollment.roster_buddy, '') <> COALESCE(s.buddy, '')"
    conn.execute(
        text(
            f"UPDATE enrollment SET missing_from_roster = :false{buddy} FROM {s} s "
            f"WHERE enrollment.rollout_id = :rollout AND enrollment.person_id = s.person_id "
            f"AND s.changed AND s.learner AND ({stale})"
        ),
        {"rollout": rollout_id, "false": False},
    )
    if not missing:
        return outcome
    conn.execute(
        text(
            f"UPDATE enrollment SET missing_from_roster = :true WHERE rollout_id = :rollout "
            f"AND NOT missing_from_roster AND NOT EXISTS (SELECT 1 FROM {s} "
            f"JOIN person p ON p.employee_id = {s}.employee_id "
            f"WHERE p.id = enrollment.person_id)"
        ),
        {"rollout": rollout_id, "true": True},
    )
    return outcome


def run_roster(
    path: Path | str,
    *,
    region_id: int,
    rollout_id: int,
    apply: bool,
    on_progress: Progress | None = None,
    on_staged: Callable[[Connection, dict[str, str]], None] | None = None,
    expect: dict[str, int] | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    row_filter: dict[str, Any] | None = None,
) -> RosterOutcome:
    """Read ``path`` into staging, validate and classify it; write it when ``apply``.

    ``mapping`` (field → header of the file) overrides the guessed columns; ``sheet``
    picks a workbook's sheet. ``row_filter`` (``{"column": header, "values": [...]}``)
    keeps only the rows whose cell in that column is one of the values (compared
    trimmed, case-insensitively): a whole-company export narrowed to this rollout;
    the rest count as ``excluded``. ``outcome.headers`` tells which header fed which
    field.

    Raises :class:`~app.roster.files.UnreadableRoster` before anything is
    written when the file cannot be read. ``on_staged(conn, headers)`` runs after
    checks (the caller copies the issues out). With ``expect`` (a preview's counts), raises
    :class:`StaleRoster` instead of applying different counts. Flushes; never commits.
    """
    db.session.flush()
    conn = db.session.connection()
    if apply and conn.dialect.name == "postgresql":
        # new people take ids from a block reserved here: one import writes people at a time
        conn.execute(text("LOCK TABLE person IN SHARE ROW EXCLUSIVE MODE"))
    id_base = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM person")).scalar_one()
    create_staging(conn)
    columns: set[str] = set()
    #: the manager columns some row filled (the checks for the others are skipped)
    present: set[str] = set()
    headers: dict[str, str] = {}
    keep_field = [KEEP]
    wanted = {normalise_value(v) for v in (row_filter or {}).get("values", [])}
    excluded: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    if row_filter and row_filter.get("column"):
        mapping = {**(mapping or {}), KEEP: row_filter["column"]}

    def header_found(cells: list[str], found: dict[int, str]) -> None:
        headers.update({field: cells[index] for index, field in found.items()})
        columns.update(found.values())
        columns.discard(KEEP)
        if row_filter and row_filter.get("column"):
            key = normalise_header(row_filter["column"])
            keep_field[0] = next(
                (f for i, f in found.items() if normalise_header(cells[i]) == key), KEEP
            )

    def chosen(record: RawRecord) -> bool:
        if not wanted:
            return True
        value = record.values.get(keep_field[0], "")
        if normalise_value(value) in wanted:
            if len(kept) < FILTER_VALUES or value in kept:
                kept[value] += 1
            return True
        if len(excluded) < FILTER_VALUES or value in excluded:
            excluded[value] += 1
        else:
            excluded["…"] += 1
        return False

    def records() -> Iterator[tuple[Any, ...]]:
        source: Iterable[RawRecord] = read_roster(
            path,
            on_progress=(lambda done, total: on_progress("reading", 0.7 * done / total))
            if on_progress
            else None,
            mapping=mapping,
            sheet=sheet,
            on_header=header_found,
        )
        if wanted:
            source = filter(chosen, source)
        for record in source:
            row = clean_record(record, columns)
            if row[MANAGER_EMAIL] is not None:
                present.add("manager_email")
            if row[MANAGER_NAME_KEY] is not None:
                present.add("manager_name_key")
            yield row

    load_staging(conn, records(), id_base=id_base)
    if on_progress:
        on_progress("checking", 0.75)
    validate(conn, region_id=region_id, present=present)
    outcome = RosterOutcome(counts=_classify(conn, rollout_id=rollout_id, columns=columns))
    outcome.counts["excluded"] = sum(excluded.values())
    outcome.headers = {f: h for f, h in headers.items() if f != KEEP}
    outcome.kept, outcome.excluded = dict(kept), dict(excluded)
    if on_staged is not None:
        on_staged(conn, headers)
    if expect is not None and outcome.counts != expect:
        conn.execute(text(f"DROP TABLE IF EXISTS {STAGING}"))
        raise StaleRoster()
    if apply:
        if on_progress:
            on_progress("applying", 0.85)
        applied = _apply(
            conn,
            region_id=region_id,
            rollout_id=rollout_id,
            columns=columns,
            missing=outcome.counts["missing"],
        )
        outcome.manager_changes = applied.manager_changes
        outcome.new_enrollments = applied.new_enrollments
    conn.execute(text(f"DROP TABLE IF EXISTS {STAGING}"))
    db.session.expire_all()
    if on_progress:
        on_progress("done", 1.0)
    return outcome
