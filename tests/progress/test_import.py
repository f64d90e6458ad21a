from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.progress.formats import FormatError
from app.progress.importing import import_stream
from app.progress.mapping import set_unit_mapping
from app.progress.models import ImportStatus, ModuleProgress, ProgressImport
from app.rollouts.models import EnrollmentState
from app.rollouts.signals import enrollment_completed
from tests.factories import staff
from tests.progress.helpers import FIXTURES, LEARNERS, make_course


def run(course, filename, fmt="auto", **options):
    with (FIXTURES / filename).open("rb") as raw:
        result = import_stream(
            region=course.rollout.region,
            rollout=course.rollout,
            raw=raw,
            fmt=fmt,
            filename=filename,
            options=options,
        )
    db.session.flush()
    return result


def import_lines(course, lines, encoding, now):
    """Import a Summit CSV's lines, encoded; UTF-8 goes through the COPY fast path on
    PostgreSQL, anything else through the row-by-row reader (``read_by`` says which)."""
    import io

    result = import_stream(
        region=course.rollout.region,
        rollout=course.rollout,
        raw=io.BytesIO("\n".join(lines).encode(encoding)),
        now=now,
    )
    postgres = db.engine.dialect.name == "postgresql"
    assert result.read_by == ("copy" if postgres and encoding == "utf-8-sig" else "rows")
    return result


def progress(course):
    rows = db.session.scalars(select(ModuleProgress)).all()
    by_id = {e.id: k for k, e in course.enrollments.items()}
    keys = {m.id: m.key for m in course.program.modules}
    return {
        (by_id[r.enrollment_id], keys[r.module_id]): (r.percent, r.completed, r.observed_at)
        for r in rows
    }


def test_open_edx_grade_report():
    course = make_course()
    result = run(course, "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv")
    stamp = datetime(2026, 10, 5, 10, 47, tzinfo=UTC)
    assert result.format == "openedx"
    assert progress(course) == {
        ("ada", "m1"): (100.0, True, stamp),
        ("ada", "m2"): (100.0, True, stamp),
        ("ada", "m4"): (100.0, True, stamp),
        ("ben", "m1"): (100.0, True, stamp),  # email matched whatever its case
    }
    assert result.unknown_learners == 1
    assert result.unknown_sample == ["stranger@example.com"]
    assert result.unmapped_units == {}  # "Final Exam": nobody attempted it, nothing to place
    assert result.rows_read == 4


def test_open_edx_problem_grade_report_gives_partial_progress():
    course = make_course()
    run(course, "SummitX_SEF_2026_problem_grade_report_2026-10-06-0900.csv")
    got = progress(course)
    assert got[("ada", "m1")][:2] == (100.0, True)
    assert got[("ben", "m1")][:2] == (50.0, False)
    assert ("ada", "m2") not in got


def test_moodle_english_report_with_dates():
    course = make_course()
    result = run(course, "moodle_completion_en.csv")
    got = progress(course)
    assert result.format == "moodle"
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    assert got[("ada", "m2")] == (100.0, True, datetime(2026, 10, 6, 13, 5, tzinfo=UTC))
    assert ("ben", "m1") not in got
    assert "Quiz: Observability" not in result.unmapped_units  # "Quiz:" is not "Quiz 1:"


def test_moodle_german_report_with_a_program_override_for_a_translated_title():
    course = make_course()
    set_unit_mapping(
        program=course.program, unit_name="Ereignisgesteuertes Design", module=course.module("m2")
    )
    result = run(course, "moodle_completion_de.csv")
    got = progress(course)
    assert result.format == "moodle"
    assert got[("chloe", "m1")][2] == datetime(2026, 10, 5, 8, 42, tzinfo=UTC)
    assert got[("chloe", "m2")][:2] == (100.0, True)
    assert not result.unmapped_units


def test_a_unit_mapped_to_nothing_is_ignored_not_reported():
    course = make_course()
    set_unit_mapping(program=course.program, unit_name="Final Exam", module=None)
    result = run(course, "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv")
    assert "Final Exam" not in result.unmapped_units


def test_linkedin_learning_report():
    course = make_course()
    result = run(course, "linkedin_learning_learner_detail.csv")
    got = progress(course)
    assert result.format == "linkedin"
    assert got[("ada", "m1")][:2] == (100.0, True)
    assert got[("ben", "m2")][:2] == (45.0, False)
    assert result.unmapped_units == {"Kotlin Essential Training": 1}


def test_generic_csv_through_a_mapping():
    course = make_course()
    mapping = {
        "learner_column": "External Id",
        "learner_kind": "employee_id",
        "unit_column": "Module Name",
        "percent_column": "Percent Complete",
        "completed_column": "Module Completed",
        "completed_values": ["Yes"],
        "observed_at_column": "Last Activity Time",
    }
    result = run(course, "coursera_module_progress.csv", fmt="generic", mapping=mapping)
    got = progress(course)
    assert result.format == "generic"
    assert got[("ada", "m4")][:2] == (100.0, True)
    assert got[("ben", "m5")][:2] == (30.0, False)


def test_generic_without_mapping_fails_with_a_reason():
    course = make_course()
    with pytest.raises(FormatError):
        run(course, "coursera_module_progress.csv", fmt="generic")


def test_summit_csv_and_reporting():
    course = make_course()
    result = run(course, "summit_progress.csv")
    got = progress(course)
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 1, 7, 0, tzinfo=UTC))
    assert got[("ben", "m2")][:2] == (60.0, False)
    assert ("chloe", "m3") not in got  # 0 % is no progress
    assert result.unknown_sample == ["E9999"]


def test_importing_the_same_file_twice_changes_nothing():
    course = make_course()
    first = run(course, "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv")
    before = progress(course)
    second = run(course, "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv")
    assert first.applied == 4
    assert second.applied == 0
    assert progress(course) == before


def test_an_older_file_never_overwrites_newer_progress():
    course = make_course()
    run(course, "summit_progress_newer.csv")
    run(course, "summit_progress_older.csv")
    assert progress(course)[("ben", "m2")][0] == 80.0
    run(course, "summit_progress.csv")  # 2026-10-01: still older than 10-03
    assert progress(course)[("ben", "m2")][0] == 80.0


def test_first_progress_activates_and_the_last_module_completes():
    course = make_course()
    received = []

    def listener(sender, **kwargs):
        received.append(sender)

    enrollment_completed.connect(listener)
    try:
        run(course, "summit_progress.csv")
        assert course.enrollments["ben"].state is EnrollmentState.ACTIVE
        assert course.enrollments["dev"].state is EnrollmentState.TIME_APPROVED
        lines = ["employee_id,email,module,percent,completed,observed_at"] + [
            f"E1001,,m{i},100,yes,2026-10-10T10:00:00Z" for i in range(1, 7)
        ]
        import io

        import_stream(
            region=course.rollout.region,
            rollout=course.rollout,
            raw=io.BytesIO("\n".join(lines).encode()),
        )
    finally:
        enrollment_completed.disconnect(listener)
    assert course.enrollments["ada"].state is EnrollmentState.COMPLETED
    assert received == [course.enrollments["ada"]]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "enrollment.completed")
        )
        == 1
    )


def test_web_upload_runs_as_a_job_and_reports_progress(client, login_as, run_jobs, csrf_token):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    token = csrf_token(page)
    name = "SummitX_SEF_2026_grade_report_2026-10-05-1047.csv"
    with (FIXTURES / name).open("rb") as fh:
        response = client.post(
            page,
            data={"csrf_token": token, "format": "auto", "file": (fh, name)},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303
    record = db.session.scalars(select(ProgressImport)).one()
    status = client.get(f"/r/de/progress/imports/{record.id}.json").json
    assert status["status"] == "queued" and status["done"] is False
    run_jobs()
    status = client.get(f"/r/de/progress/imports/{record.id}.json").json
    assert status == {
        "status": "done",
        "fraction": 1.0,
        "rows_read": 4,
        "rows_applied": 4,
        "unknown_learners": 1,
        "unmapped_units": 0,
        "error": None,
        "done": True,
    }
    html = client.get(f"/r/de/progress/imports/{record.id}").get_data(as_text=True)
    assert "stranger@example.com" in html
    db.session.expire_all()
    assert db.session.get(ProgressImport, record.id).status is ImportStatus.DONE


def test_upload_without_a_file_says_what_to_do(client, login_as, csrf_token):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    response = client.post(page, data={"csrf_token": csrf_token(page), "format": "auto"})
    assert response.status_code == 400
    assert "Choose the CSV file" in response.get_data(as_text=True)


def test_a_file_in_no_known_format_waits_for_the_lead_to_say_which_column_is_which(
    client, login_as, run_jobs, csrf_token
):
    import io

    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(page),
            "format": "auto",
            "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    run_jobs()
    record = db.session.scalars(select(ProgressImport)).one()
    assert record.status is ImportStatus.NEEDS_MAPPING
    assert response.headers["Location"].endswith(f"/progress/imports/{record.id}/columns")


def test_the_cli_refuses_a_file_in_no_known_format_with_the_reason(runner, tmp_path):
    course = make_course()
    db.session.commit()
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    result = runner.invoke(args=["progress", "import", str(path), "--rollout", course.rollout.slug])
    assert result.exit_code != 0
    assert "generic" in result.output


def test_another_regions_import_is_404(client, login_as):
    course = make_course("fr", slug="sef-fr-test")
    record = ProgressImport(
        region_id=course.rollout.region_id, rollout_id=course.rollout.id, filename="x.csv"
    )
    db.session.add(record)
    db.session.flush()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/r/de/progress/imports/{record.id}.json").status_code == 404
    assert client.get(f"/r/fr/progress/imports/{record.id}.json").status_code == 404
    assert client.get(f"/r/de/rollouts/{course.rollout.slug}/progress").status_code == 404


def test_sponsors_cannot_upload(client, login_as):
    course = make_course()
    login_as(staff(Role.SPONSOR, "de"))
    response = client.post(f"/r/de/rollouts/{course.rollout.slug}/progress", data={})
    assert response.status_code in (400, 403)  # CSRF or role: never accepted


def test_cli_import(runner):
    course = make_course()
    db.session.commit()
    result = runner.invoke(
        args=[
            "progress",
            "import",
            str(FIXTURES / "linkedin_learning_learner_detail.csv"),
            "--rollout",
            course.rollout.slug,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "linkedin: 3 rows, 2 progress rows applied" in result.output
    assert "unmapped unit (1 rows): Kotlin Essential Training" in result.output


def test_cli_maps_a_unit_for_the_program(runner):
    course = make_course()
    db.session.commit()
    result = runner.invoke(
        args=["progress", "map", "--program", course.program.slug, "Final Exam", "--module", "m6"]
    )
    assert result.exit_code == 0, result.output
    lines = (
        "Student ID,Email,Username,Grade,Final Exam,Enrollment Status\n"
        "12,ada.lovelace@example.com,ada,1,0.9,enrolled\n"
    )
    import io

    import_stream(
        region=course.rollout.region, rollout=course.rollout, raw=io.BytesIO(lines.encode())
    )
    assert ("ada", "m6") in progress(course)


def test_a_region_can_describe_its_own_moodle_export():
    import io

    course = make_course()
    course.rollout.region.settings = {
        **(course.rollout.region.settings or {}),
        "progress": {
            "moodle": {
                "language": "de",
                "email": "E-Mail",
                "identity": ["Vollständiger Name"],
                "completed": ["Erledigt"],
                "not_completed": ["Offen"],
            }
        },
    }
    text = (
        "Vollständiger Name;E-Mail;Observability;\n"
        "Ada Lovelace;ada.lovelace@example.com;Erledigt;12.10.2026, 09:30\n"
    )
    result = import_stream(
        region=course.rollout.region, rollout=course.rollout, raw=io.BytesIO(text.encode())
    )
    assert result.format == "moodle"
    assert progress(course)[("ada", "m4")] == (
        100.0,
        True,
        datetime(2026, 10, 12, 7, 30, tzinfo=UTC),
    )


def test_a_format_asked_for_that_the_file_is_not_is_refused():
    course = make_course()
    with pytest.raises(FormatError, match="LinkedIn"):
        run(course, "moodle_completion_en.csv", fmt="linkedin")
    with pytest.raises(FormatError, match="Open edX"):
        run(course, "moodle_completion_en.csv", fmt="openedx")


def test_a_ragged_or_messy_summit_csv_still_imports():
    import io

    course = make_course()
    text = (
        "\ufeffemployee_id,email,module,percent,completed,observed_at\n"
        "E1001,,m1,100,true,2026-13-45T09:00:00Z\n"  # an impossible date: the import's time
        "E1002,,Event-driven design,45 %\n"  # a short row
        ",CHLOE.DUBOIS@EXAMPLE.COM,m3,12.5,no,2026-10-02 11:00\n"  # local time (Berlin)
    )
    result = import_stream(
        region=course.rollout.region,
        rollout=course.rollout,
        raw=io.BytesIO(text.encode()),
        now=datetime(2026, 10, 9, 12, tzinfo=UTC),
    )
    got = progress(course)
    assert result.rows_read == 3
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 9, 12, tzinfo=UTC))
    assert got[("ben", "m2")][:2] == (45.0, False)
    assert got[("chloe", "m3")] == (12.5, False, datetime(2026, 10, 2, 9, 0, tzinfo=UTC))


def test_an_impossible_date_falls_back_to_the_import_time():
    import io

    course = make_course()
    text = (
        "employee_id,email,module,percent,completed,observed_at\n"
        "E1001,,m1,100,true,2026-13-45T09:00:00Z\n"
        "E1002,,m2,30,false,2026-10-01T09:00:00Z\n"
    )
    import_stream(
        region=course.rollout.region,
        rollout=course.rollout,
        raw=io.BytesIO(text.encode()),
        now=datetime(2026, 10, 9, 12, tzinfo=UTC),
    )
    got = progress(course)
    assert got[("ada", "m1")][2] == datetime(2026, 10, 9, 12, tzinfo=UTC)
    assert got[("ben", "m2")] == (30.0, False, datetime(2026, 10, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_every_form_of_time_reads_the_same_on_both_paths(encoding):
    """A Summit CSV in UTF-8 goes through the COPY fast path on PostgreSQL (each distinct time
    cell read once, in SQL); the same file in Windows-1252 through the row-by-row reader. Both
    read every form of time alike: offsets, local times in the region's zone (Berlin, CEST in
    October), a date alone, fractions of a second, cells padded with spaces, the same time in
    many rows, and an empty or unreadable cell (the import's time)."""

    course = make_course()
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)
    nine = datetime(2026, 10, 2, 9, tzinfo=UTC)
    cells = {
        ("E1001", "m1"): ("2026-10-02T09:00:00Z", nine),
        ("E1001", "m2"): (" 2026-10-02T09:00:00Z ", nine),
        ("E1001", "m3"): ("2026-10-02T11:00:00+02:00", nine),
        ("E1001", "m4"): ("2026-10-02T11:00+0200", nine),
        ("E1001", "m5"): ("2026-10-02 11:00", nine),
        ("E1001", "m6"): ("2026-10-02", datetime(2026, 10, 1, 22, tzinfo=UTC)),
        ("E1002", "m1"): ("2026-10-02T09:00:00.250Z", nine.replace(microsecond=250_000)),
        ("E1002", "m2"): ("2026-10-02T04:00:00-05", nine),
        ("E1002", "m3"): ("", now),
        ("E1002", "m4"): ("yesterday", now),
        **{("E1003", f"m{m}"): ("2026-10-02T09:00:00Z", nine) for m in range(1, 7)},
        **{("E1004", f"m{m}"): ("2026-10-02T09:00:00Z", nine) for m in range(1, 7)},
    }
    lines = ["employee_id,email,module,percent,completed,observed_at"]
    lines += [f"{emp},,{unit},40,false,{cell}" for (emp, unit), (cell, _) in cells.items()]
    lines.append(",zoé@example.com,m1,40,false,2026-10-02T09:00:00Z")  # not enrolled here
    result = import_lines(course, lines, encoding, now)
    names = {emp: key for key, (emp, *_) in LEARNERS.items()}
    assert progress(course) == {
        (names[emp], unit): (40.0, False, expected) for (emp, unit), (_, expected) in cells.items()
    }
    assert (result.unknown_learners, result.unknown_sample) == (1, ["zoé@example.com"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
@pytest.mark.parametrize(
    "columns",
    [
        "employee_id,module,completed",
        "email;module;percent",
        "module,employee_id,observed_at,completed",
    ],
)
def test_a_summit_csv_of_fewer_columns_reads_the_same_on_both_paths(encoding, columns):
    """A Summit CSV needs only a learner key and a module (formats.read_summit): without a
    percentage a row is progress only when completed, without a time it happened at the
    import. The same file goes through the COPY fast path (UTF-8, on PostgreSQL) and the
    row-by-row reader (Windows-1252: its "é" is not UTF-8); both read it alike, whichever
    columns it has and in whichever order."""

    course = make_course()
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)
    delimiter = ";" if ";" in columns else ","
    names = columns.split(delimiter)
    cells = {  # three learners of the rollout, then one of nowhere
        "employee_id": ("E1001", "E1002", "E1003", "É9999"),
        "email": (
            "ada.lovelace@example.com",
            "BEN.OKAFOR@example.com ",
            "chloe.dubois@example.com",
            "zoé@example.com",
        ),
        "module": ("m1", " m2 ", "m3", "m1"),
        "completed": ("yes", "no", "no", "yes"),
        "percent": ("40 %", "12,5", "0", "100"),
        "observed_at": ("2026-10-02T09:00:00Z", "2026-10-02", "2026-10-02T09:00:00Z", ""),
    }
    lines = [delimiter.join(names)]
    lines += [delimiter.join(cells[name][row] for name in names) for row in range(4)]
    result = import_lines(course, lines, encoding, now)
    nine = datetime(2026, 10, 2, 9, tzinfo=UTC)
    expected = {
        "employee_id,module,completed": ({("ada", "m1"): (100.0, True, now)}, ["É9999"]),
        "email;module;percent": (
            {("ada", "m1"): (40.0, False, now), ("ben", "m2"): (12.5, False, now)},
            ["zoé@example.com"],
        ),
        "module,employee_id,observed_at,completed": (
            {("ada", "m1"): (100.0, True, nine)},
            ["É9999"],
        ),
    }[columns]
    assert progress(course) == expected[0]
    assert (result.unknown_learners, result.unknown_sample) == (1, expected[1])
    assert result.rows_read == 4


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_unit_of_no_module_and_an_empty_unit_leave_the_rest_of_the_file_applied(encoding):
    """A Summit CSV with a unit the program has no module for ("Bonus video") and a row
    without a unit: their rows are left out, the unit is reported as unmapped, and every
    other row applies, on both paths. (The COPY fast path staged such rows with no module,
    and the merge's NOT NULL refused the whole file.)"""

    course = make_course()
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)
    lines = [
        "employee_id,email,module,percent,completed,observed_at",
        "E1001,,m1,40,false,2026-10-02T09:00:00Z",
        "E1001,,Bonus video,40,false,2026-10-02T09:00:00Z",
        "E1002,,Bonus video,100,true,2026-10-02T09:00:00Z",
        "E1002,,,40,false,2026-10-02T09:00:00Z",
        "E1002,,m2,60,false,2026-10-02T09:00:00Z",
        "É9999,,m1,50,false,2026-10-02T09:00:00Z",
    ]
    result = import_lines(course, lines, encoding, now)
    nine = datetime(2026, 10, 2, 9, tzinfo=UTC)
    assert progress(course) == {
        ("ada", "m1"): (40.0, False, nine),
        ("ben", "m2"): (60.0, False, nine),
    }
    assert result.applied == 2
    assert result.unmapped_units == {"Bonus video": 2}
    assert (result.unknown_learners, result.unknown_sample) == (1, ["É9999"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_every_form_of_percentage_reads_the_same_on_both_paths(encoding):
    """A Summit CSV's percentage is a number from 0 to 100, with a point or a comma and an
    optional "%" (README, "What counts as completed"). Both paths read each cell alike:
    the fast path checked a pattern in SQL, while the row-by-row reader took whatever
    Python's float() took, so "nan" and "inf" became 100 %, "1e1" 10 % and "0,75" 75 %."""

    course = make_course()
    now = datetime(2026, 10, 9, 12, tzinfo=UTC)
    cells = {
        ("E1001", "m1"): ("75", 75.0),
        ("E1001", "m2"): (" 12,5 ", 12.5),
        ("E1001", "m3"): ("40 %", 40.0),
        ("E1001", "m4"): ("0.75", 0.75),
        ("E1001", "m5"): ("0,75", 0.75),
        ("E1001", "m6"): ("250", 100.0),
        ("E1003", "m3"): ("100", 100.0),
        ("E1003", "m4"): ("100,0 %", 100.0),
        ("E1002", "m1"): ("nan", None),
        ("E1002", "m2"): ("inf", None),
        ("E1002", "m3"): ("1e1", None),
        ("E1002", "m4"): ("-5", None),
        ("E1002", "m5"): ("0", None),
        ("E1002", "m6"): ("", None),
        ("E1003", "m1"): ("5_000", None),
        ("E1003", "m2"): ("n/a", None),
    }
    lines = ["employee_id,email,module,percent,completed,observed_at"]
    lines += [f'{emp},,{unit},"{cell}",false,' for (emp, unit), (cell, _) in cells.items()]
    lines.append(",zoé@example.com,m1,40,false,")  # not enrolled here (and not UTF-8 in cp1252)
    import_lines(course, lines, encoding, now)
    names = {emp: key for key, (emp, *_) in LEARNERS.items()}
    assert progress(course) == {  # 100 % is completed ("completed true, or 100 %")
        (names[emp], unit): (expected, expected == 100.0, now)
        for (emp, unit), (_, expected) in cells.items()
        if expected is not None
    }
