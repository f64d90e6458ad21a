"""The LRS connector against a local LRS (xAPI 1.0.3 GET /statements), end to end."""

from __future__ import annotations

from urllib.parse import unquote

from app.connectors.models import RunStatus
from app.rollouts.models import EnrollmentState
from tests.connectors.conftest import configure, progress_rows, runs, sync_now
from tests.connectors.fake_lrs import KEY, SECRET
from tests.progress.helpers import TITLES

ACTIVITY = "https://courses.example.com/sef/"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def _configure(client, course, lrs):
    return configure(
        client,
        course,
        kind="lrs",
        base_url=f"{lrs.url}/xapi",
        client_id=KEY,
        secret=SECRET,
        learner_field="actor",
    )


def test_statements_are_pulled_page_by_page_and_the_next_sync_asks_only_since(
    client, lead, course, lrs, run_jobs
):
    for i, title in enumerate(TITLES, start=1):
        lrs.add("Ada.Lovelace@example.com", "completed", f"{ACTIVITY}m{i}", name=title)
    lrs.add(
        "ben.okafor@example.com",
        "progressed",
        f"{ACTIVITY}m1",
        name=TITLES[0],
        result={"extensions": {PROGRESS: 50}},
    )
    lrs.add("ben.okafor@example.com", "experienced", f"{ACTIVITY}m2", name=TITLES[1])
    lrs.add("stranger@example.com", "completed", f"{ACTIVITY}m1", name=TITLES[0])
    lrs.add("chloe.dubois@example.com", "completed", f"{ACTIVITY}x", name="Optional extras")
    lrs.add("chloe.dubois@example.com", "answered", f"{ACTIVITY}m3", name=TITLES[2])
    lrs.throttle, lrs.unavailable = 1, 1

    _configure(client, course, lrs)
    run_jobs()
    (first,) = runs(course)
    assert first.status is RunStatus.OK, first.error
    rows = progress_rows(course)
    assert all(rows[("ada", f"m{i}")] == (100.0, True) for i in range(1, 7))
    assert rows[("ben", "m1")] == (50.0, False)
    assert rows[("ben", "m2")] == (0.0, False)
    assert ("chloe", "m3") not in rows  # "answered" is not a progress verb
    assert course.enrollments["ada"].state is EnrollmentState.COMPLETED
    assert course.enrollments["ben"].state is EnrollmentState.ACTIVE
    assert first.fetched == 11 and first.applied == 8
    assert first.report["unknown_learners"] == ["stranger@example.com"]
    assert first.report["unmapped_units"] == {"Optional extras": 1}
    assert first.report["retries"] >= 2
    statement_reads = [r for r in lrs.requests if r.path == "/xapi/statements"]
    assert all(r.headers["X-Experience-API-Version"] == "1.0.3" for r in statement_reads)
    assert len([r for r in statement_reads if "more" in r.query]) == 5  # 11 statements, 2 a page

    newest = lrs.statements[-1]["stored"]
    lrs.requests.clear()
    sync_now(client, course)
    run_jobs()
    second = runs(course)[-1]
    assert second.status is RunStatus.OK and second.fetched == 0 and second.applied == 0
    (ask,) = lrs.requests
    assert unquote(ask.query["since"]) == newest and ask.query["ascending"] == "true"

    lrs.add("ben.okafor@example.com", "completed", f"{ACTIVITY}m1", name=TITLES[0])
    sync_now(client, course)
    run_jobs()
    third = runs(course)[-1]
    assert third.fetched == 1 and third.applied == 1
    assert progress_rows(course)[("ben", "m1")] == (100.0, True)


def test_wrong_lrs_credentials_are_a_failed_sync_not_an_error(client, lead, course, lrs, run_jobs):
    configure(
        client,
        course,
        kind="lrs",
        base_url=f"{lrs.url}/xapi",
        client_id=KEY,
        secret="not-the-secret",
        learner_field="actor",
    )
    run_jobs()
    (run,) = runs(course)
    assert run.status is RunStatus.FAILED and "401" in run.error
