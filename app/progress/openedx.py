"""Open edX grade reports, read as ``instructor_task/tasks_helper/grades.py`` writes them.

Course grade report: ``Student ID, Email, Username, Grade``, then per assignment type either
one column per graded subsection (``Homework 1: <subsection>``) and ``Homework (Avg)``, or,
when the type has a single subsection, one column named after the type alone (``Final
Exam``); then the optional ``Cohort Name``, ``Experiment Group (…)``, ``Team Name`` and the
enrollment and certificate columns. A cell is the subsection's graded fraction
(``percent_graded``) or ``Not Attempted``.

Problem grade report: ``Student ID, Email, Username, Enrollment Status, Grade``, then per
problem ``<type> <n>: <subsection> - <problem> (Earned)`` and ``… (Possible)``. ``Not
Available`` means the learner was never shown the problem (randomised content),
``Not Attempted`` that they were shown it and did not answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.progress.reading import ProgressRecord, ReadContext, learner

IDENTITY = ("Student ID", "Email", "Username", "Grade", "Enrollment Status")
TRAILER = (
    "Cohort Name",
    "Team Name",
    "Enrollment Track",
    "Verification Status",
    "Certificate Eligible",
    "Certificate Delivered",
    "Certificate Type",
    "Enrollment Status",
)
NOT_ATTEMPTED = "not attempted"
NOT_AVAILABLE = "not available"
_SUBSECTION = re.compile(r"^(?P<head>.+? \d+): (?P<rest>.+)$")


def _score(cell: str) -> float | None:
    """A score as Open edX writes it (``0.85``) or as Excel saves it again with a decimal comma
    (``0,85``: a lead in Germany or France opened the report and saved it)."""
    if "," in cell and "." not in cell:
        cell = cell.replace(",", ".", 1)
    try:
        return float(cell)
    except ValueError:
        return None


def is_grade_column(name: str) -> bool:
    """A column of the course grade report that holds a subsection's grade."""
    return bool(name.strip()) and not (
        name in IDENTITY
        or name in TRAILER
        or name.endswith(" (Avg)")
        or name.startswith("Experiment Group (")
    )


def read_grade_report(
    header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    """A subsection with a score above 0 is completed; a score of 0 is attempted (0 %, not
    completed); ``Not Attempted`` is nothing."""
    email_i = header.index("Email")
    units = [(i, name) for i, name in enumerate(header) if is_grade_column(name)]
    for row in rows:
        who = learner(row[email_i] if email_i < len(row) else "")
        if who is None:
            continue
        for i, name in units:
            score = _score(row[i].strip()) if i < len(row) else None
            if score is None:  # "Not Attempted" (or an empty cell)
                continue
            done = score > 0
            yield ProgressRecord(
                who[0], who[1], name, 100.0 if done else 0.0, done, ctx.observed_at
            )


def _splits(rest: str) -> list[str]:
    """Every way ``<subsection> - <problem>`` can be cut at a `` - ``, shortest first."""
    out, start = [], 0
    while (at := rest.find(" - ", start)) != -1:
        out.append(rest[:at])
        start = at + 1
    return out


def problem_units(header: list[str], ctx: ReadContext) -> dict[str, list[tuple[int, int]]]:
    """Unit name → [(earned column, possible column)], one unit per graded subsection.

    A subsection's problems share their ``<type> <n>:`` head; its name is the cut of
    ``<subsection> - <problem>`` that all its problems share (a `` - `` inside a problem's
    title stays in the title), the shortest such cut that names a known unit when the
    importer can tell, else the shortest.
    """
    position = {name: i for i, name in enumerate(header)}
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for i, name in enumerate(header):
        if not name.endswith(" (Earned)"):
            continue
        problem = name[: -len(" (Earned)")]
        possible = position.get(problem + " (Possible)", -1)
        match = _SUBSECTION.match(problem)
        head, rest = (match["head"], match["rest"]) if match else ("", problem)
        groups.setdefault(head, []).append((rest, i, possible))
    units: dict[str, list[tuple[int, int]]] = {}
    for head, problems in groups.items():
        shared = [
            cut
            for cut in _splits(problems[0][0])
            if all(rest.startswith(cut + " - ") for rest, _, _ in problems)
        ]
        names = [f"{head}: {cut}" if head else cut for cut in shared]
        if not names:
            names = [f"{head}: {problems[0][0]}" if head else problems[0][0]]
        known = [n for n in names if ctx.known_unit is not None and ctx.known_unit(n)]
        unit = (known or names)[0]
        units.setdefault(unit, []).extend((e, p) for _, e, p in problems)
    return units


def read_problem_grade_report(
    header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    """Per subsection: percent = problems answered / problems the learner was shown (``Not
    Available`` ones are not counted); completed when every shown problem is answered and
    the points earned are above 0; answered with 0 points is attempted, 0 %."""
    email_i = header.index("Email")
    units = problem_units(header, ctx)
    for row in rows:
        who = learner(row[email_i] if email_i < len(row) else "")
        if who is None:
            continue
        width = len(row)
        for unit, columns in units.items():
            shown = answered = 0
            earned = 0.0
            for e, _ in columns:
                cell = row[e].strip().casefold() if e < width else NOT_AVAILABLE
                if cell == NOT_AVAILABLE or not cell:
                    continue
                shown += 1
                score = _score(cell) if cell != NOT_ATTEMPTED else None
                if score is not None:
                    answered += 1
                    earned += score
            if not answered:
                continue
            done = answered == shown and earned > 0
            percent = 100.0 * answered / shown if earned > 0 else 0.0
            yield ProgressRecord(who[0], who[1], unit, percent, done, ctx.observed_at)
