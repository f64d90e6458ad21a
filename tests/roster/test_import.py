"""Roster import: messy real files, row errors, idempotence, missing people, regions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Person
from app.people.signals import manager_changed
from app.rollouts.models import Enrollment
from app.roster.errors import UnreadableRoster
from app.roster.importing import dry_run_roster_file, import_roster_file
from app.roster.issues import issues_csv
from app.tabular import neutralise
from tests.factories import PersonFactory, RolloutFactory, region

FIXTURES = Path(__file__).parent / "fixtures"


def _import(name: str, rollout):  # type: ignore[no-untyped-def]
    outcome = import_roster_file(FIXTURES / name, region=rollout.region, rollout=rollout)
    db.session.commit()
    return outcome


def _people() -> dict[str, Person]:
    return {p.employee_id: p for p in db.session.scalars(select(Person))}


@pytest.mark.parametrize(
    "name",
    [
        "utf8_bom_comma_crlf.csv",
        "excel_unicode_text_utf16.txt",
        "excel_cp1252_semicolon.csv",
    ],
)
def test_messy_exports_give_the_same_organisation(name: str) -> None:
    rollout = RolloutFactory()
    outcome = _import(name, rollout)
    assert outcome.counts["new"] == 4
    assert outcome.counts["errors"] == 0
    people = _people()
    assert people["E-1"].name == "Anna Müller"
    assert people["E-1"].email == "anna.mueller@example.com"
    assert people["E-3"].name == "Zoë Fischer"
    assert people["E-1"].manager_id == people["M-1"].id
    assert people["E-2"].manager_id == people["M-1"].id  # manager given by email
    assert people["E-1"].locale == "de_DE"
    assert people["E-2"].locale == "de"
    enrolled = {e.person.employee_id for e in db.session.scalars(select(Enrollment))}
    assert enrolled == {"E-1", "E-2", "E-3"}  # the manager row says learner = no


def test_only_used_columns_are_kept() -> None:
    rollout = RolloutFactory()
    _import("utf8_bom_comma_crlf.csv", rollout)
    assert not hasattr(Person, "salary")
    enrollment = db.session.scalars(
        select(Enrollment).join(Person).where(Person.employee_id == "E-1")
    ).one()
    assert enrollment.roster_buddy == "E-2"


def test_xlsx_streamed_with_numeric_ids_and_blank_rows() -> None:
    rollout = RolloutFactory()
    outcome = _import("workday_export.xlsx", rollout)
    assert outcome.counts == {**outcome.counts, "new": 4, "errors": 0}
    people = _people()
    assert people["1002"].manager_id == people["1001"].id
    assert people["1003"].manager_id == people["1001"].id


def test_quoted_newline_keeps_line_numbers_right() -> None:
    rollout = RolloutFactory()
    outcome = dry_run_roster_file(
        FIXTURES / "quoted_newline_lf.csv", region=rollout.region, rollout=rollout
    )
    # Anna's record spans lines 3–4, so Jonas is on line 5
    assert outcome.issues == [(5, "email", "invalid email")]  # the file's own header
    assert outcome.counts["new"] == 2


def test_bad_rows_are_reported_and_good_rows_applied() -> None:
    rollout = RolloutFactory()
    outcome = dry_run_roster_file(FIXTURES / "bad_rows.csv", region=rollout.region, rollout=rollout)
    issues = {line: (column, reason) for line, column, reason in outcome.issues}
    assert issues[3] == ("Email", "invalid email")
    assert issues[5][1].startswith("duplicate employee id (first on line 4)")
    assert issues[9][1].startswith("manager cycle") and issues[10][1].startswith("manager cycle")
    # no manager (line 6), an unknown manager given by email (7), oneself (8): imported
    assert set(issues) == {3, 5, 9, 10}
    assert outcome.counts["managers_created"] == 1 and outcome.counts["no_manager"] == 2
    assert db.session.scalars(select(Person)).first() is None  # a dry run writes nothing
    applied = _import("bad_rows.csv", rollout)
    assert applied.counts["new"] == 6 and applied.counts["errors"] == 4
    people = _people()
    assert set(people) == {"M-1", "E-2", "E-3", "E-4", "E-5", "E-8", "nobody@example.com"}
    assert people["E-4"].manager_id == people["nobody@example.com"].id
    assert people["nobody@example.com"].name == "Nobody"
    assert people["E-3"].manager_id is None and people["E-5"].manager_id is None
    enrolled = {e.person.employee_id for e in db.session.scalars(select(Enrollment))}
    assert enrolled == {"E-2", "E-3", "E-4", "E-5", "E-8"}  # a created manager is no learner


@pytest.mark.parametrize("repeated", ["none", "email", "id", "both"])
def test_a_repeated_email_or_id_is_reported_on_its_later_lines(
    tmp_path: Path, repeated: str
) -> None:
    """Whether the file repeats an email, an id, both or neither: each later line of a
    repeated value is reported against the first, once, and the rest is imported (a file
    with no repeat skips the search for one). Line 4 repeats line 2; line 5 has no id of its
    own (its error comes first), so its email, repeated, is nobody's duplicate."""
    ids = {"id": ("E-1", "E-1"), "both": ("E-1", "E-1")}.get(repeated, ("E-1", "E-3"))
    emails = {"email": ("a@example.com",) * 2, "both": ("a@example.com",) * 2}.get(
        repeated, ("a@example.com", "c@example.com")
    )
    path = tmp_path / "roster.csv"
    path.write_text(
        "Employee ID,Name,Email\n"
        f"{ids[0]},Ada One,{emails[0]}\n"
        "E-2,Bo Two,b@example.com\n"
        f"{ids[1]},Cy Three,{emails[1]}\n"
        ",Di Four,b@example.com\n"
        "E-5,Ed Five,e@example.com\n",
        encoding="utf-8",
    )
    rollout = RolloutFactory()
    outcome = dry_run_roster_file(path, region=rollout.region, rollout=rollout)
    import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.commit()
    expected = {5: ("Employee ID", "missing employee id")}
    if repeated in ("id", "both"):
        expected[4] = ("Employee ID", "duplicate employee id (first on line 2)")
    elif repeated == "email":
        expected[4] = ("Email", "duplicate email (first on line 2)")
    assert {line: (column, reason) for line, column, reason in outcome.issues} == expected
    assert set(_people()) == {"E-1", "E-2", "E-5"} | ({"E-3"} if repeated == "none" else set())


def test_unreadable_files_are_refused_whole() -> None:
    rollout = RolloutFactory()
    with pytest.raises(UnreadableRoster, match="employee id column"):
        import_roster_file(FIXTURES / "no_header.csv", region=rollout.region, rollout=rollout)
    db.session.rollback()
    with pytest.raises(UnreadableRoster, match="not text"):
        import_roster_file(FIXTURES / "not_a_roster.csv", region=rollout.region, rollout=rollout)
    db.session.rollback()
    assert db.session.scalars(select(Person)).first() is None


def test_a_decoding_failure_midway_applies_nothing(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    head = "Employee ID,Name,Email,Manager,Learner\nM-1,Greta,greta@example.com,,no\n"
    body = "".join(f"E-{i},P {i},p{i}@example.com,M-1,yes\n" for i in range(9000))
    # 0x81 is invalid UTF-8 (so the file is cp1252) and undefined in cp1252: unreadable
    # part way
    path = tmp_path / "broken.csv"
    path.write_bytes((head + body).encode() + b"E-x,\x81\x81,x@example.com,M-1,yes\n")
    with pytest.raises(UnreadableRoster, match="not valid cp1252"):
        import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.rollback()
    assert db.session.scalars(select(Person)).first() is None


def test_reimport_changes_nothing_and_missing_people_are_flagged(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    _import("utf8_bom_comma_crlf.csv", rollout)
    before = {p.employee_id: p.updated_at for p in _people().values()}
    again = _import("utf8_bom_comma_crlf.csv", rollout)
    assert again.counts["unchanged"] == 4 and again.counts["new"] == again.counts["changed"] == 0
    assert {p.employee_id: p.updated_at for p in _people().values()} == before
    smaller = tmp_path / "smaller.csv"
    lines = (FIXTURES / "utf8_bom_comma_crlf.csv").read_bytes().split(b"\r\n")
    smaller.write_bytes(b"\r\n".join(lines[:4]) + b"\r\n")  # E-3 left the file
    outcome = import_roster_file(smaller, region=rollout.region, rollout=rollout)
    db.session.commit()
    assert outcome.counts["missing"] == 1
    flagged = db.session.scalars(select(Enrollment).where(Enrollment.missing_from_roster)).all()
    assert [e.person.employee_id for e in flagged] == ["E-3"]
    assert "E-3" in _people()  # flagged, never deleted
    back = _import("utf8_bom_comma_crlf.csv", rollout)
    assert back.counts["changed"] == 1
    assert db.session.scalars(select(Enrollment).where(Enrollment.missing_from_roster)).all() == []


def test_a_new_rollout_enrolls_everyone_and_rewrites_no_person() -> None:
    """The same file into a second rollout: every learner enrolled there, no person row
    written again (the apply rewrote every person, the stable-plans benchmark's 3x)."""
    first = RolloutFactory()
    _import("utf8_bom_comma_crlf.csv", first)
    before = {p.employee_id: (p.updated_at, p.manager_id) for p in _people().values()}
    second = RolloutFactory(program=first.program, region_id=first.region_id)
    outcome = _import("utf8_bom_comma_crlf.csv", second)
    enrolled = db.session.scalars(
        select(Enrollment).where(Enrollment.rollout_id == second.id)
    ).all()
    assert outcome.new_enrollments == len(enrolled) == outcome.counts["changed"] > 0
    assert not any(e.missing_from_roster for e in enrolled)
    assert {p.employee_id: (p.updated_at, p.manager_id) for p in _people().values()} == before


def test_manager_change_sends_the_signal(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    _import("utf8_bom_comma_crlf.csv", rollout)
    received: list[tuple[str, int | None, int | None]] = []

    def receiver(person, old_manager_id, new_manager_id):  # type: ignore[no-untyped-def]
        received.append((person.employee_id, old_manager_id, new_manager_id))

    text = (FIXTURES / "utf8_bom_comma_crlf.csv").read_bytes().decode("utf-8-sig")
    text = text.replace("zoe.fischer@example.com,M-1", "zoe.fischer@example.com,E-1")
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    manager_changed.connect(receiver)
    try:
        outcome = _import_path(changed, rollout)
    finally:
        manager_changed.disconnect(receiver)
    people = _people()
    assert outcome.counts["changed"] == 1
    assert received == [("E-3", people["M-1"].id, people["E-1"].id)]
    assert people["E-3"].manager_id == people["E-1"].id


def _import_path(path: Path, rollout):  # type: ignore[no-untyped-def]
    outcome = import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.commit()
    return outcome


def test_person_of_another_region_is_flagged_not_moved() -> None:
    rollout = RolloutFactory()
    PersonFactory(employee_id="E-1", email="anna.mueller@example.com", region_id=region("fr").id)
    outcome = dry_run_roster_file(
        FIXTURES / "utf8_bom_comma_crlf.csv", region=rollout.region, rollout=rollout
    )
    [(line, column, reason)] = outcome.issues
    assert (line, column) == (3, "Employee ID") and reason.startswith("region mismatch")
    _import("utf8_bom_comma_crlf.csv", rollout)
    assert _people()["E-1"].region_id == region("fr").id


def test_issue_csv_neutralises_formulas() -> None:
    class Issue:
        line, column, reason = 3, '=HYPERLINK("x")', "@SUM(A1)"

    text = issues_csv([Issue()])
    assert "'=HYPERLINK" in text and "'@SUM" in text
    assert neutralise("-1") == "'-1" and neutralise("Anna") == "Anna"


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-16-le", "\t"), ("utf-8", "\t"), ("utf-8", ";"), ("cp1252", ",")],
)
def test_encodings_and_delimiters_without_bom(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    rollout = RolloutFactory()
    rows = [
        ["Personnel No.", "E-Mail", "Full Name", "Line Manager", "Learner", "", ""],
        ["M-1", "greta@example.com", "Greta Boß", "", "nein", "", ""],
        ["E-1", "zoe@example.com", "Zoë Lefèvre", "greta@example.com", "", "", ""],
    ]
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    outcome = _import_path(path, rollout)
    assert outcome.counts["new"] == 2 and outcome.counts["errors"] == 0
    people = _people()
    assert people["E-1"].name == "Zoë Lefèvre" and people["M-1"].name == "Greta Boß"
    assert people["E-1"].manager_id == people["M-1"].id
