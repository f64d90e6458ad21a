"""Exports shaped exactly as the platforms write them (see fixtures/README.md), per language."""

from datetime import UTC, datetime

import pytest

from app.rollouts.models import EnrollmentState
from tests.progress.helpers import make_course
from tests.progress.test_import import progress, run

OPENEDX_GRADES = "SummitX_SEF_2026_grade_report_2026-11-02-0815.csv"
OPENEDX_PROBLEMS = "SummitX_SEF_2026_problem_grade_report_2026-11-02-0900.csv"


def test_open_edx_single_subsection_type_and_zero_scores():
    course = make_course()
    course.module("m6").title = "Final exam: Data engineering basics"
    result = run(course, OPENEDX_GRADES)
    got = progress(course)
    stamp = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    # "Final Exam" heads the type's single subsection: the one module titled "Final exam: …"
    assert got[("ada", "m6")] == (100.0, True, stamp)
    assert "Final Exam" not in result.unmapped_units
    assert "Cohort Name" not in result.unmapped_units
    # a score of 0.0 is attempted, not completed
    assert got[("ben", "m1")] == (0.0, False, stamp)
    assert got[("chloe", "m6")] == (0.0, False, stamp)
    assert got[("chloe", "m2")] == (100.0, True, stamp)
    # Ada finished every module
    assert course.enrollments["ada"].state is EnrollmentState.COMPLETED
    assert course.enrollments["ben"].state is EnrollmentState.ACTIVE  # attempted: studying


def test_open_edx_problem_report_not_available_and_titles_with_dashes():
    course = make_course()
    result = run(course, OPENEDX_PROBLEMS)
    got = progress(course)
    # "Not Available" (never shown) is not in the denominator
    assert got[("ada", "m1")][:2] == (100.0, True)
    assert got[("ada", "m2")][:2] == (100.0, True)
    # "Containers - the basics" is a problem title, not another unit
    assert result.unmapped_units == {}
    assert got[("ben", "m1")][0] == pytest.approx(200 / 3)
    assert got[("ben", "m1")][1] is False
    assert ("ben", "m2") not in got
    # every shown problem answered, but no point earned: attempted, 0 %
    assert got[("chloe", "m1")][:2] == (0.0, False)


COURSE_COMPLETION = {
    "en": "moodle_course_completion_en.csv",
    "de": "moodle_course_completion_de.csv",
    "fr": "moodle_course_completion_fr.csv",
}


@pytest.mark.parametrize("lang", sorted(COURSE_COMPLETION))
def test_moodle_course_completion_report_reads_completion_dates(lang):
    course = make_course()  # Europe/Berlin
    result = run(course, COURSE_COMPLETION[lang])
    got = progress(course)
    assert result.format == "moodle"
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    assert got[("ada", "m2")] == (100.0, True, datetime(2026, 10, 6, 13, 5, tzinfo=UTC))
    assert got[("ada", "m3")] == (100.0, True, datetime(2026, 10, 7, 7, 30, tzinfo=UTC))
    # pass grade not reached: attempted, not completed
    assert got[("ben", "m2")][:2] == (0.0, False)
    assert ("ben", "m1") not in got
    assert result.unmapped_units == {}


ACTIVITY_COMPLETION = {
    "en": "moodle_activity_completion_en.csv",
    "de": "moodle_activity_completion_de.csv",
    "fr": "moodle_activity_completion_fr.csv",
}


@pytest.mark.parametrize("lang", sorted(ACTIVITY_COMPLETION))
def test_moodle_activity_completion_report_overrides_pass_and_expected_dates(lang):
    course = make_course()
    course.module("m6").title = "Final exam: Data engineering basics"
    result = run(course, ACTIVITY_COMPLETION[lang])
    got = progress(course)
    assert got[("ada", "m1")] == (100.0, True, datetime(2026, 10, 5, 8, 42, tzinfo=UTC))
    # a teacher's override, in the language pack's words
    assert got[("ada", "m2")] == (100.0, True, datetime(2026, 10, 6, 13, 5, tzinfo=UTC))
    # passed the graded final activity, whose header column carries its expected date
    assert got[("ada", "m6")] == (100.0, True, datetime(2026, 10, 8, 15, 20, tzinfo=UTC))
    assert ("ben", "m1") not in got  # "Not completed (set by …)"
    assert got[("ben", "m2")][:2] == (0.0, False)  # failed: attempted
    assert "Team" not in result.unmapped_units  # a custom profile field, not an activity
    assert result.unmapped_units == {}


@pytest.mark.parametrize(
    ("filename", "fmt", "options"),
    [
        (OPENEDX_GRADES, "auto", {}),
        (OPENEDX_PROBLEMS, "auto", {}),
        *[(name, "auto", {}) for name in COURSE_COMPLETION.values()],
        *[(name, "auto", {}) for name in ACTIVITY_COMPLETION.values()],
        ("moodle_completion_en.csv", "auto", {}),
        ("linkedin_learning_learner_detail.csv", "auto", {}),
        ("summit_progress.csv", "auto", {}),
        (
            "coursera_module_progress.csv",
            "generic",
            {
                "mapping": {
                    "learner_column": "Email",
                    "unit_column": "Module Name",
                    "percent_column": "Percent Complete",
                    "completed_column": "Module Completed",
                    "completed_values": ["Yes"],
                }
            },
        ),
    ],
)
def test_importing_the_same_file_again_changes_nothing(filename, fmt, options):
    course = make_course()
    course.module("m6").title = "Final exam: Data engineering basics"
    first = run(course, filename, fmt, **options)
    before = progress(course)
    second = run(course, filename, fmt, **options)
    assert first.applied > 0
    assert second.applied == 0
    assert progress(course) == before
