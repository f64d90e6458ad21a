"""Exports not in the implementer's set: more shapes of the platforms' own files, and the same
files after a lead opened and saved them again in Excel (see fixtures/README.md)."""

from datetime import UTC, datetime

import pytest

from app.rollouts.models import EnrollmentState
from tests.progress.helpers import make_course
from tests.progress.test_import import progress, run

GRADES = "SummitX_SEF_2026_grade_report_2026-11-16-0700.csv"
GRADES_EXCEL_DE = "SummitX_SEF_2026_grade_report_2026-11-16-0700_excel_de.csv"
PROBLEMS = "SummitX_SEF_2026_problem_grade_report_2026-11-16-0900.csv"
STAMP = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)


def _final_exam_course():
    course = make_course()
    course.module("m6").title = "Final exam: Data engineering basics"
    return course


@pytest.mark.parametrize("filename", [GRADES, GRADES_EXCEL_DE])
def test_open_edx_grade_report_with_averages_cohorts_teams_and_certificates(filename):
    course = _final_exam_course()
    result = run(course, filename)
    got = progress(course)
    assert result.format == "openedx"
    assert result.unmapped_units == {}
    for key in ("m1", "m2", "m3", "m4", "m5", "m6"):
        assert got[("ada", key)] == (100.0, True, STAMP)
    assert course.enrollments["ada"].state is EnrollmentState.COMPLETED
    assert got[("ben", "m1")] == (100.0, True, STAMP)
    assert got[("ben", "m4")] == (0.0, False, STAMP)  # 0.0: attempted
    assert ("ben", "m2") not in got
    assert got[("chloe", "m5")] == (100.0, True, STAMP)
    assert got[("chloe", "m6")] == (0.0, False, STAMP)
    assert not any(who == "dev" for who, _ in got)
    again = run(course, filename)
    assert again.applied == 0
    assert progress(course) == got


def test_open_edx_problem_grade_report_with_many_problems():
    course = make_course()
    result = run(course, PROBLEMS)
    got = progress(course)
    assert result.format == "openedx-problems"
    assert result.unmapped_units == {}
    assert got[("ada", "m1")][:2] == (100.0, True)
    assert got[("ada", "m2")][:2] == (100.0, True)  # two problems never shown
    assert ("ada", "m4") not in got
    assert got[("ben", "m1")][:2] == (12.5, False)
    assert ("ben", "m2") not in got
    assert got[("ben", "m4")][:2] == (0.0, False)
    assert run(course, PROBLEMS).applied == 0


def test_moodle_course_completion_report_with_other_criteria():
    course = make_course()
    result = run(course, "moodle_course_completion_criteria_en.csv")
    got = progress(course)
    assert result.format == "moodle"
    assert result.unmapped_units == {}
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    assert got[("ada", "m3")] == (100.0, True, datetime(2026, 10, 7, 7, 30, tzinfo=UTC))
    assert got[("ben", "m2")][:2] == (0.0, False)
    assert len(got) == 4
    assert run(course, "moodle_course_completion_criteria_en.csv").applied == 0


@pytest.mark.parametrize(
    "filename",
    [
        "moodle_course_completion_fr_excel.csv",
        "moodle_course_completion_de_utf8_bom.csv",
    ],
)
def test_moodle_course_completion_report_saved_again_by_excel(filename):
    course = make_course()
    result = run(course, filename)
    got = progress(course)
    assert result.format == "moodle"
    assert result.unmapped_units == {}
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    assert got[("ada", "m3")] == (100.0, True, datetime(2026, 10, 7, 7, 30, tzinfo=UTC))
    assert got[("ben", "m2")][:2] == (0.0, False)
    assert run(course, filename).applied == 0


@pytest.mark.parametrize(
    "filename",
    ["moodle_activity_completion_excel_en.csv", "moodle_activity_completion_de_excel.csv"],
)
def test_moodle_activity_completion_report_excel_download_and_excel_resave(filename):
    course = _final_exam_course()
    result = run(course, filename)
    got = progress(course)
    assert result.format == "moodle"
    assert result.unmapped_units == {}
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    assert got[("ada", "m2")] == (100.0, True, datetime(2026, 10, 6, 13, 5, tzinfo=UTC))
    assert got[("ada", "m6")] == (100.0, True, datetime(2026, 10, 8, 15, 20, tzinfo=UTC))
    assert ("ben", "m1") not in got
    assert got[("ben", "m2")][:2] == (0.0, False)
    assert run(course, filename).applied == 0


def test_udemy_business_user_course_activity_report():
    course = make_course()  # Europe/Berlin
    filename = "udemy_user_course_activity.csv"
    result = run(course, filename)
    got = progress(course)
    assert result.format == "udemy"
    # the first completion date is the completion's time (a date: midnight in the region)
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 3, 22, 0, tzinfo=UTC))
    assert got[("ada", "m2")] == (45.5, False, datetime(2026, 10, 6, 22, 0, tzinfo=UTC))
    assert ("ben", "m1") not in got  # 0 %: nothing
    assert result.unmapped_units == {"Kotlin Essential Training": 1}  # Dev, by employee id
    assert run(course, filename).applied == 0


@pytest.mark.parametrize(
    "filename",
    [
        GRADES_EXCEL_DE,
        "moodle_activity_completion_excel_en.csv",
        "moodle_course_completion_fr_excel.csv",
        "udemy_user_course_activity.csv",
    ],
)
def test_the_same_files_through_the_web_page(client, login_as, run_jobs, csrf_token, filename):
    from sqlalchemy import select

    from app.auth.models import Role
    from app.extensions import db
    from app.progress.models import ImportStatus, ProgressImport
    from tests.factories import staff
    from tests.progress.helpers import FIXTURES

    course = _final_exam_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    applied = []
    for _ in range(2):
        with (FIXTURES / filename).open("rb") as fh:
            response = client.post(
                page,
                data={"csrf_token": csrf_token(page), "format": "auto", "file": (fh, filename)},
                content_type="multipart/form-data",
            )
        assert response.status_code == 303
        assert "/columns" not in response.headers["Location"]
        run_jobs()
        record = db.session.scalars(
            select(ProgressImport).order_by(ProgressImport.id.desc())
        ).first()
        db.session.refresh(record)
        assert record.status is ImportStatus.DONE, record.error
        assert record.unmapped_units == (1 if filename.startswith("udemy") else 0)
        applied.append(record.rows_applied)
        if not progress(course):
            pytest.fail("nothing imported")
    assert applied[0] > 0 and applied[1] == 0
    assert progress(course)[("ada", "m1")][:2] == (100.0, True)
