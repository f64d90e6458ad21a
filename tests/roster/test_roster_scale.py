"""Roster import at a million learners (issue 26): what changed to keep its memory flat and
its first import close to a COPY must not change what it finds.

The loop check reads only the rows that are someone's manager; a manager created from an
email still takes the id the rows give unless it is taken; the missing flags are skipped
only when nobody is missing; and the memory of an import does not grow with the file.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.people.models import Person
from app.rollouts.models import Enrollment
from app.roster.importing import dry_run_roster_file, import_roster_file
from tests.factories import RolloutFactory

HEADER = "Employee ID,Name,Email,Manager,Learner\n"


def _write(tmp_path: Path, rows: list[str], name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def _row(emp: str, manager: str, learner: str = "yes") -> str:
    return f"{emp},Person {emp},{emp.lower()}@example.com,{manager},{learner}"


def test_loops_among_managers_with_teams_are_refused_and_nothing_else(tmp_path: Path) -> None:
    rows = [
        _row("D-1", "", "no"),  # line 2: the top
        _row("A", "B", "no"),  # 3: A → B → C → A, each with a team
        _row("B", "C", "no"),  # 4
        _row("C", "A", "no"),  # 5
        _row("X", "A", "no"),  # 6: a chain into the loop (X → A), not on it
        _row("Y", "X"),  # 7
        _row("P", "Q"),  # 8: P ⇄ Q, learners managed by each other only
        _row("Q", "P"),  # 9
        _row("T", "D-1", "no"),  # 10: a healthy tree three levels deep
        _row("U", "T", "no"),  # 11
    ]
    rows += [_row(f"L-{m}{i}", m) for m in ("A", "B", "C", "U") for i in range(3)]
    path = _write(tmp_path, rows)
    rollout = RolloutFactory()
    outcome = dry_run_roster_file(path, region=rollout.region, rollout=rollout)
    refused = {line: reason for line, _column, reason in outcome.issues}
    assert set(refused) == {3, 4, 5, 8, 9}
    assert all(reason.startswith("manager cycle") for reason in refused.values())
    applied = import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.commit()
    assert applied.counts["errors"] == 5
    people = {p.employee_id: p for p in db.session.scalars(select(Person))}
    assert not {"A", "B", "C", "P", "Q"} & set(people)
    assert people["U"].manager_id == people["T"].id
    assert people["T"].manager_id == people["D-1"].id
    assert people["L-U0"].manager_id == people["U"].id
    assert people["Y"].manager_id == people["X"].id
    assert people["X"].manager_id is None  # their manager's row was refused: none for now


def test_a_created_manager_takes_the_id_the_rows_give_unless_taken(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Employee ID,Name,Email,Line Manager ID,Line Manager Email\n"
        "E-1,Eli One,eli@example.com,M-77,max.boss@example.com\n"
        "E-2,Eva Two,eva@example.com,M-77,maxi.other@example.com\n",
        encoding="utf-8",
    )
    rollout = RolloutFactory()
    outcome = import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.commit()
    assert outcome.counts["managers_created"] == 2
    people = {p.employee_id: p for p in db.session.scalars(select(Person))}
    # the first one (file order) takes M-77; the other keeps its email as its id
    assert people["M-77"].email == "max.boss@example.com"
    assert people["maxi.other@example.com"].email == "maxi.other@example.com"
    # the id wins over the email: both name M-77 as their manager
    assert people["E-1"].manager_id == people["E-2"].manager_id == people["M-77"].id


def test_missing_flags_are_written_only_for_people_missing(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    team = [_row("M-1", "", "no")] + [_row(f"E-{i}", "M-1") for i in range(4)]
    first = import_roster_file(_write(tmp_path, team), region=rollout.region, rollout=rollout)
    db.session.commit()
    assert first.counts["missing"] == 0
    fewer = import_roster_file(
        _write(tmp_path, team[:3], "fewer.csv"), region=rollout.region, rollout=rollout
    )
    db.session.commit()
    assert fewer.counts["missing"] == 2
    flagged = {
        e.person.employee_id
        for e in db.session.scalars(select(Enrollment).where(Enrollment.missing_from_roster))
    }
    assert flagged == {"E-2", "E-3"}
    again = import_roster_file(_write(tmp_path, team), region=rollout.region, rollout=rollout)
    db.session.commit()
    assert again.counts["missing"] == 0 and again.counts["changed"] == 2
    assert not db.session.scalars(select(Enrollment).where(Enrollment.missing_from_roster)).all()


def _traced_peak(path: Path) -> int:
    """Peak bytes Python allocated while one roster file was checked (a dry run)."""
    rollout = RolloutFactory()
    db.session.commit()
    gc.collect()
    tracemalloc.start()
    try:
        dry_run_roster_file(path, region=rollout.region, rollout=rollout)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        db.session.rollback()


def _organisation(tmp_path: Path, learners: int) -> Path:
    managers = learners // 12
    rows = [_row("D-1", "", "no")]
    rows += [_row(f"M-{m}", "D-1", "no") for m in range(managers)]
    rows += [_row(f"E-{i}", f"M-{i % managers}") for i in range(learners)]
    return _write(tmp_path, rows, f"org-{learners}.csv")


def test_checking_a_roster_takes_no_memory_per_learner(tmp_path: Path) -> None:
    _traced_peak(_organisation(tmp_path, 120))  # warm the caches (statements, regexes)
    # both files fill the staging load's buffers (5,000 rows a batch on SQLite, 1 MB of
    # COPY data on PostgreSQL): what is left to grow is state kept per row
    small = _traced_peak(_organisation(tmp_path, 9_000))
    grown = _traced_peak(_organisation(tmp_path, 27_000)) - small
    # 18,000 more learners: the loop check read them all into Python (3 MB) before
    assert grown < 1_000_000, f"{grown:,} bytes more for 18,000 more learners"
