"""The Moodle connector against a local Moodle web service server, end to end."""

from __future__ import annotations

from datetime import UTC, datetime

from app.connectors.models import RunStatus
from app.rollouts.models import EnrollmentState
from tests.connectors.conftest import configure, failure_emails, progress_rows, runs, sync_now
from tests.connectors.fake_moodle import COURSE_ID, TOKEN
from tests.progress.helpers import TITLES

MONDAY = int(datetime(2026, 10, 5, 9, 0, tzinfo=UTC).timestamp())


def _setup(moodle) -> None:
    moodle.activities = {100 + i: title for i, title in enumerate(TITLES, start=1)}
    moodle.activities[200] = "Welcome forum"
    moodle.user(7, "ada.lovelace@example.com", "E1001", MONDAY)
    moodle.user(8, "ben.okafor@example.com", "E1002", MONDAY)
    moodle.user(9, "stranger@example.com", "E9999", MONDAY)
    for i in range(1, 7):
        moodle.completion[(7, 100 + i)] = (2 if i == 6 else 1, MONDAY - 3600 * i)
    moodle.completion[(7, 200)] = (1, MONDAY)
    moodle.completion[(8, 101)] = (3, MONDAY)  # completed, did not pass: not completed
    moodle.completion[(9, 101)] = (1, MONDAY)
    for n in range(200):  # enrolled, never opened the course: the list has a second page
        moodle.user(1000 + n, f"filler{n}@example.com", f"F{n}", 0)


def _configure(client, course, moodle, token=TOKEN):
    return configure(
        client,
        course,
        kind="moodle",
        base_url=moodle.url,
        course_ref=str(COURSE_ID),
        learner_field="email",
        secret=token,
    )


def _completion_calls(moodle) -> list[str]:
    return [
        params["userid"]
        for function, params in moodle.calls
        if function == "core_completion_get_activities_completion_status"
    ]


def test_completion_is_pulled_and_the_next_sync_reads_only_who_opened_the_course(
    client, lead, course, moodle, run_jobs
):
    _setup(moodle)
    moodle.unavailable = 1
    _configure(client, course, moodle)
    run_jobs()
    (first,) = runs(course)
    assert first.status is RunStatus.OK, first.error
    rows = progress_rows(course)
    assert all(rows[("ada", f"m{i}")] == (100.0, True) for i in range(1, 7))
    assert rows[("ben", "m1")] == (0.0, False)
    assert course.enrollments["ada"].state is EnrollmentState.COMPLETED
    assert course.enrollments["ada"].completed_at is not None
    assert course.enrollments["ben"].state is EnrollmentState.ACTIVE
    assert first.report["unknown_learners"] == ["stranger@example.com"]
    assert first.report["unmapped_units"] == {"Welcome forum": 1}
    # the first sync reads everyone (203 users over two pages of 200)
    listing = [p for f, p in moodle.calls if f == "core_enrol_get_enrolled_users"]
    assert [p["options[0][value]"] for p in listing[-2:]] == ["0", "200"]
    assert len(_completion_calls(moodle)) == 203

    moodle.calls.clear()
    sync_now(client, course)
    run_jobs()
    second = runs(course)[-1]
    assert second.status is RunStatus.OK and second.applied == 0
    assert _completion_calls(moodle) == []

    moodle.users[8]["lastcourseaccess"] = MONDAY + 600
    moodle.completion[(8, 102)] = (1, MONDAY + 500)
    moodle.calls.clear()
    sync_now(client, course)
    run_jobs()
    third = runs(course)[-1]
    assert _completion_calls(moodle) == ["8"]
    assert third.applied == 1
    assert progress_rows(course)[("ben", "m2")] == (100.0, True)


def test_an_expired_moodle_token_stops_the_sync_and_tells_the_lead_once(
    client, lead, course, moodle, run_jobs
):
    _setup(moodle)
    moodle.token_expired = True
    _configure(client, course, moodle)
    run_jobs()
    sync_now(client, course)
    run_jobs()
    failed = runs(course)
    assert [r.status for r in failed] == [RunStatus.FAILED, RunStatus.FAILED]
    assert "accessexception" in failed[0].error and "new token" in failed[0].error
    assert failure_emails() == 1
    assert progress_rows(course) == {}


def test_an_answer_of_the_wrong_shape_is_a_failed_sync_with_nothing_applied(
    client, lead, course, moodle, run_jobs
):
    _setup(moodle)
    moodle.garbled = True
    _configure(client, course, moodle)
    run_jobs()
    (run,) = runs(course)
    assert run.status is RunStatus.FAILED and "could not be read" in run.error
    assert progress_rows(course) == {}
    assert failure_emails() == 1
