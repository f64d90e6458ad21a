# ruff: noqa: S608  (SQL is built from constants: the staging table name and fixed fragments; values are bound)
"""Who manages whom in a roster file: every row's manager, resolved in the staging table.

A row names its manager by employee id, email or name (or several of these). The
manager is, in this order: a valid row of the file or a person Summit knows with that
id; then with that email (any case: emails are stored lower-case); then the one valid
row of the file, or person of the region, with that name. A manager found nowhere is
created as a non-learner when the row gives an email (with the row's manager id and
name when it gives them); otherwise the row is refused ("unknown manager").

No refusal cascades: a row whose manager's own row is refused is imported all the same,
keeping the manager Summit knows for that person or without one for now, with a note.
Someone without a manager (the top of the file, ``NO_MANAGER``, themselves) is imported;
their sign-off goes to the rollout's local lead until a manager is known.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.roster.staging import STAGING

S = STAGING
#: the manager a row names, as an employee id: resolved from an email or name when needed
MGR = f"COALESCE({S}.manager_emp, {S}.manager_ref)"
#: a valid row whose manager is not (yet) a valid row of the file nor a known person, in
#: two branches (no employee id given; one given that names nobody): each a plain AND of
#: conditions, so that PostgreSQL runs the NOT EXISTS as anti-joins, not per-row subplans
NO_REF = f"{S}.error IS NULL AND {S}.manager_emp IS NULL AND {S}.manager_ref IS NULL"
BAD_REF = (
    f"{S}.error IS NULL AND {S}.manager_emp IS NULL AND {S}.manager_ref IS NOT NULL "
    f"AND NOT EXISTS (SELECT 1 FROM {S} m WHERE m.employee_id = {S}.manager_ref "
    f"AND m.error IS NULL) AND NOT EXISTS (SELECT 1 FROM person p "
    f"WHERE p.employee_id = {S}.manager_ref)"
)
UNRESOLVED = (NO_REF, BAD_REF)


def _run(conn: Connection, sql: str, **params: object) -> int:
    """Run ``sql``; a ``{UNRESOLVED}`` in it runs once per branch of :data:`UNRESOLVED`."""
    if "{UNRESOLVED}" not in sql:
        return conn.execute(text(sql), params).rowcount
    return sum(
        conn.execute(text(sql.replace("{UNRESOLVED}", branch)), params).rowcount
        for branch in UNRESOLVED
    )


def _union(sql: str) -> str:
    """A SELECT with ``{UNRESOLVED}`` as the UNION ALL of its branches."""
    return " UNION ALL ".join(sql.replace("{UNRESOLVED}", b) for b in UNRESOLVED)


def resolve_managers(conn: Connection, *, region_id: int, present: set[str]) -> None:
    """Resolve, create or report each row's manager (see the module's docstring).

    ``present``: the manager columns some row filled (``manager_email``,
    ``manager_name_key``); the statements for the others are skipped.
    """
    has = {column: column in present for column in ("manager_email", "manager_name_key")}
    if has["manager_email"]:
        _run(
            conn,
            f"UPDATE {S} SET manager_emp = m.employee_id FROM {S} m "
            f"WHERE m.email = {S}.manager_email AND m.error IS NULL "
            f"AND {S}.manager_email IS NOT NULL AND {S}.manager_emp IS NULL "
            f"AND {S}.error IS NULL",
        )
        _run(
            conn,
            f"UPDATE {S} SET manager_emp = p.employee_id FROM person p "
            f"WHERE p.email = {S}.manager_email AND {S}.manager_email IS NOT NULL "
            f"AND {S}.manager_emp IS NULL AND {S}.error IS NULL",
        )
    if has["manager_name_key"]:
        _by_name(conn, region_id=region_id)
    if has["manager_email"]:
        _create_missing_managers(conn)
    _run(
        conn,
        f"UPDATE {S} SET error = 'unknown_manager', error_column = 'manager' "
        f"WHERE (manager_ref IS NOT NULL OR manager_name_key IS NOT NULL) AND {{UNRESOLVED}} "
        f"AND NOT EXISTS (SELECT 1 FROM {S} m WHERE m.error IS NOT NULL "
        f"AND (m.employee_id = {S}.manager_ref OR m.email = {S}.manager_email))",
    )
    _mark_cycles(conn)
    _without_refused_managers(conn)


def _by_name(conn: Connection, *, region_id: int) -> None:
    """Managers named by name: the one valid row of the file, else the one person of the
    region, with that name ("Last, First" and "First Last" alike)."""
    _run(
        conn,
        f"UPDATE {S} SET manager_emp = u.emp FROM (SELECT k, MIN(emp) AS emp FROM ("
        f"SELECT name_key AS k, employee_id AS emp FROM {S} WHERE error IS NULL AND line > 0 "
        f"UNION SELECT name_alt, employee_id FROM {S} WHERE error IS NULL AND line > 0 "
        f"AND name_alt IS NOT NULL) n GROUP BY k HAVING COUNT(DISTINCT emp) = 1) u "
        f"WHERE u.k = {S}.manager_name_key "
        f"AND {S}.manager_name_key IS NOT NULL AND {{UNRESOLVED}}",
    )
    wanted = {
        name: key
        for name, key in conn.execute(
            text(
                _union(
                    f"SELECT DISTINCT manager_name, manager_name_key FROM {S} "
                    f"WHERE manager_name_key IS NOT NULL AND {{UNRESOLVED}}"
                )
            )
        )
    }
    if not wanted:
        return
    found: dict[str, list[str]] = {}
    names = list(wanted)
    for i in range(0, len(names), 500):
        chunk = names[i : i + 500]
        marks = ", ".join(f":n{j}" for j in range(len(chunk)))
        for employee_id, name in conn.execute(
            text(
                f"SELECT employee_id, name FROM person WHERE region_id = :region "
                f"AND erased_at IS NULL AND name IN ({marks})"
            ),
            {"region": region_id, **{f"n{j}": n for j, n in enumerate(chunk)}},
        ):
            found.setdefault(wanted[name], []).append(employee_id)
    for key, ids in found.items():
        if len(ids) == 1:
            _run(
                conn,
                f"UPDATE {S} SET manager_emp = :emp "
                f"WHERE manager_name_key = :key AND {{UNRESOLVED}}",
                emp=ids[0],
                key=key,
            )
    _run(
        conn,
        f"UPDATE {S} SET error = 'manager_ambiguous', error_column = 'manager' "
        f"WHERE manager_name_key IS NOT NULL AND {{UNRESOLVED}} AND (SELECT COUNT(*) "
        f"FROM {S} m WHERE (m.name_key = {S}.manager_name_key OR m.name_alt = "
        f"{S}.manager_name_key) AND m.error IS NULL) > 1",
    )


def _create_missing_managers(conn: Connection) -> None:
    """A manager found nowhere, whom the rows give an email for: a new non-learner row."""
    refused_ref = (
        f"EXISTS (SELECT 1 FROM {S} m WHERE m.error IS NOT NULL "
        f"AND (m.employee_id = {S}.manager_ref OR m.email = {S}.manager_email))"
    )
    rows = conn.execute(
        text(
            "SELECT e, MIN(r), MIN(n), MIN(l) FROM ("
            + _union(
                f"SELECT manager_email AS e, manager_ref AS r, manager_name AS n, line AS l "
                f"FROM {S} WHERE manager_email IS NOT NULL AND {{UNRESOLVED}} "
                f"AND NOT {refused_ref}"
            )
            + ") u GROUP BY e ORDER BY MIN(l)"
        )
    ).all()
    if not rows:
        return
    base = conn.execute(text(f"SELECT MAX(line), MAX(new_id) - MAX(line) FROM {S}")).one()
    last_line, id_base = base[0] or 0, base[1] or 0
    # the ids the new managers would take that a row of the file has already (looked up
    # for these ids only: the file's own ids would be a million strings in Python)
    refs = sorted({ref for _e, ref, _n, _l in rows if ref and " " not in ref})
    taken: set[str] = set()
    for i in range(0, len(refs), 1000):
        chunk = refs[i : i + 1000]
        marks = ", ".join(f":r{j}" for j in range(len(chunk)))
        taken.update(
            r[0]
            for r in conn.execute(
                text(f"SELECT employee_id FROM {S} WHERE employee_id IN ({marks})"),
                {f"r{j}": ref for j, ref in enumerate(chunk)},
            )
        )
    made = []
    for k, (email, ref, name, _line) in enumerate(rows, start=1):
        employee_id = ref if ref and " " not in ref and ref not in taken else email
        taken.add(employee_id)
        made.append(
            {
                "line": -k,
                "emp": employee_id[:64],
                "email": email,
                "name": (name or _name_from_email(email))[:200],
                "new_id": id_base + last_line + k,
            }
        )
    conn.execute(
        text(
            f"INSERT INTO {S} (line, employee_id, email, name, name_key, learner, new_id) "
            f"VALUES (:line, :emp, :email, :name, NULL, :false, :new_id)"
        ),
        [{**m, "false": False} for m in made],
    )
    _run(
        conn,
        f"UPDATE {S} SET manager_emp = m.employee_id FROM {S} m "
        f"WHERE m.line < 0 AND m.email = {S}.manager_email AND {S}.line > 0 "
        f"AND {S}.manager_email IS NOT NULL AND {{UNRESOLVED}}",
    )


def _name_from_email(email: str) -> str:
    """``jean-luc.picard@example.fr`` → ``Jean-Luc Picard`` (until HR says better)."""
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def _without_refused_managers(conn: Connection) -> None:
    """Rows whose manager's own row is refused: keep the manager Summit knows for them,
    or none for now, and say so in a note (their own row is fine: it is imported)."""
    # refused rows are few: look for them first, then for the rows that name them
    alone = (
        f"NOT EXISTS (SELECT 1 FROM {S} v WHERE v.employee_id = m.employee_id "
        f"AND v.error IS NULL) AND NOT EXISTS (SELECT 1 FROM person p "
        f"WHERE p.employee_id = m.employee_id)"
    )
    found: dict[int, int] = {}
    for sql in (
        f"SELECT {S}.line, MIN(m.line) FROM {S} m JOIN {S} ON {MGR} = m.employee_id "
        f"WHERE m.error IS NOT NULL AND m.line > 0 AND {S}.error IS NULL AND {alone} "
        f"GROUP BY {S}.line",
        f"SELECT {S}.line, MIN(m.line) FROM {S} m JOIN {S} ON {S}.manager_email = m.email "
        f"WHERE m.error IS NOT NULL AND m.line > 0 AND {S}.error IS NULL AND {MGR} IS NULL "
        f"GROUP BY {S}.line",
    ):
        for line, mline in conn.execute(text(sql)):
            found[line] = min(mline, found.get(line, mline))
    rows = sorted(found.items())
    for i in range(0, len(rows), 1000):
        chunk = rows[i : i + 1000]
        conn.execute(
            text(
                f"UPDATE {S} SET note = 'manager_refused|' || CAST(:mline AS VARCHAR(12)), "
                f"note_column = 'manager', manager_ref = NULL, manager_email = NULL, "
                f"manager_emp = (SELECT pm.employee_id FROM person p JOIN person pm "
                f"ON pm.id = p.manager_id WHERE p.id = {S}.person_id) WHERE line = :line"
            ),
            [{"line": line, "mline": mline} for line, mline in chunk],
        )


def _mark_cycles(conn: Connection) -> None:
    """Rows whose chain of managers within the file loops back (A → B → A).

    Only a row that is someone's manager in the file and has a manager in the file can
    be on a loop: the learners (most rows) are left out in SQL, and the rest is streamed
    (a million rows read into Python took 300 MB).
    """
    # IN, not a correlated EXISTS: SQLite then builds the set once (an EXISTS on this
    # expression is a scan per row there)
    has_report = (
        f"{S}.employee_id IN (SELECT COALESCE(r.manager_emp, r.manager_ref) FROM {S} r "
        f"WHERE r.error IS NULL AND COALESCE(r.manager_emp, r.manager_ref) <> r.employee_id)"
    )
    edges: dict[int, int] = {}
    for line, mline in conn.execute(
        text(
            f"SELECT {S}.line, m.line FROM {S} JOIN {S} m ON m.employee_id = {MGR} "
            f"AND m.error IS NULL WHERE {S}.error IS NULL AND {MGR} <> {S}.employee_id "
            f"AND {has_report}"
        ),
        execution_options={"yield_per": 10_000},
    ):
        edges[line] = mline
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    in_cycle: list[int] = []
    for start in edges:
        if start in state:
            continue
        path: list[int] = []
        node: int | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = edges.get(node)
        if node is not None and state.get(node) == 1:
            in_cycle.extend(path[path.index(node) :])
        for p in path:
            state[p] = 2
    del edges, state
    for i in range(0, len(in_cycle), 1000):
        chunk = in_cycle[i : i + 1000]
        conn.execute(
            text(
                f"UPDATE {S} SET error = 'manager_cycle', error_column = 'manager' WHERE line IN ("
                + ", ".join(str(int(x)) for x in chunk)
                + ")"
            )
        )
