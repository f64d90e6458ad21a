"""The Open edX connector against a local Open edX (token endpoint + gradebook), end to end."""

from __future__ import annotations

from sqlalchemy import select

from app.connectors.models import Connector, RunStatus
from app.extensions import db
from app.rollouts.models import EnrollmentState
from tests.connectors.conftest import configure, failure_emails, progress_rows, runs, sync_now
from tests.connectors.fake_openedx import CLIENT_ID, CLIENT_SECRET, COURSE
from tests.progress.helpers import TITLES


def _setup(openedx) -> None:
    everything = dict.fromkeys(TITLES, 8.0)
    openedx.learner(1, "E1001", everything)  # ada finishes
    openedx.learner(2, "E1002", {TITLES[0]: 0.0, TITLES[1]: None})  # ben tried, scored 0
    openedx.learner(3, "E9999", {TITLES[0]: 10.0})  # not enrolled in Summit
    openedx.learner(4, "E1003", {TITLES[0]: 5.0, "Bonus: Capstone reflections": 10.0})
    openedx.learner(5, "", {TITLES[0]: 5.0})
    for n in range(100):  # enrolled, nothing attempted: a second page of 100
        openedx.learner(100 + n, f"E2{n:03d}", {TITLES[0]: None})


def _configure(client, course, openedx, secret=CLIENT_SECRET):
    return configure(
        client,
        course,
        kind="openedx",
        base_url=openedx.url,
        course_ref=COURSE,
        learner_field="username",
        client_id=CLIENT_ID,
        secret=secret,
    )


def test_a_sync_applies_the_gradebook_and_the_second_changes_nothing(
    client, lead, course, openedx, run_jobs
):
    _setup(openedx)
    openedx.throttle = 1  # a 429 with Retry-After, then a 500: both waited out
    openedx.failures = 1
    response = _configure(client, course, openedx)
    assert response.status_code == 303
    run_jobs()

    (first,) = runs(course)
    assert first.status is RunStatus.OK, first.error
    rows = progress_rows(course)
    assert all(rows[("ada", f"m{i}")] == (100.0, True) for i in range(1, 7))
    # a score of 0 is attempted, not completed; not attempted is nothing
    assert rows[("ben", "m1")] == (0.0, False)
    assert ("ben", "m2") not in rows
    assert rows[("chloe", "m1")] == (100.0, True)
    enrollments = course.enrollments
    assert enrollments["ada"].state is EnrollmentState.COMPLETED
    assert enrollments["ben"].state is EnrollmentState.ACTIVE
    assert first.applied == 8 and first.completed == 1
    assert first.unknown_learners == 1 and first.report["unknown_learners"] == ["E9999"]
    assert first.report["unmapped_units"] == {"Bonus: Capstone reflections": 1}
    assert first.report["without_key"] == 1
    assert first.report["retries"] >= 2
    # two pages of 100 (page_size is Summit's ask; next carries the cursor)
    gradebook = [r for r in openedx.requests if r.path.startswith("/api/grades")]
    assert [r.query.get("cursor") is not None for r in gradebook][-2:] == [False, True]

    sync_now(client, course)
    run_jobs()
    second = runs(course)[-1]
    assert second.status is RunStatus.OK
    assert second.applied == 0 and second.completed == 0
    assert progress_rows(course) == rows

    page = client.get(f"/r/de/rollouts/{course.rollout.slug}/progress/connector")
    text = page.get_data(as_text=True)
    assert "E9999" in text and "Bonus: Capstone reflections" in text
    assert CLIENT_SECRET not in text


def test_an_expired_token_is_replaced_once_mid_sync(client, lead, course, openedx, run_jobs):
    _setup(openedx)
    openedx.expire_after_pages = 1
    _configure(client, course, openedx)
    run_jobs()
    (run,) = runs(course)
    assert run.status is RunStatus.OK, run.error
    assert openedx.token_requests == 2
    assert progress_rows(course)[("ada", "m6")] == (100.0, True)


def test_refused_credentials_fail_the_sync_and_tell_the_lead_once(
    client, lead, course, openedx, run_jobs, smtp_sink
):
    _setup(openedx)
    _configure(client, course, openedx, secret="wrong-secret")
    run_jobs()
    sync_now(client, course)
    run_jobs()
    failed = runs(course)
    assert [r.status for r in failed] == [RunStatus.FAILED, RunStatus.FAILED]
    assert "refused the credentials" in failed[0].error
    assert progress_rows(course) == {}
    assert failure_emails() == 1
    assert len(smtp_sink.to("lead.de@example.com")) == 1

    # fixed: the streak ends; a later failure starts a new one and a new email
    _configure(client, course, openedx)
    run_jobs()
    assert runs(course)[-1].status is RunStatus.OK
    connector = db.session.scalars(select(Connector)).one()
    assert connector.failing_since is None and connector.last_error is None
    _configure(client, course, openedx, secret="wrong-again")
    run_jobs()
    assert failure_emails() == 2
