"""``summit connectors sync`` and ``status`` call the same service as the job."""

from __future__ import annotations

from app.connectors.models import RunStatus
from tests.connectors.conftest import configure, progress_rows, runs
from tests.connectors.fake_moodle import COURSE_ID, TOKEN
from tests.progress.helpers import TITLES


def test_sync_and_status_from_the_command_line(client, lead, course, moodle, runner):
    moodle.activities = {101: TITLES[0]}
    moodle.user(7, "ada.lovelace@example.com", "E1001", 1_790_000_000)
    moodle.completion[(7, 101)] = (1, 1_790_000_000)
    configure(
        client,
        course,
        kind="moodle",
        base_url=moodle.url,
        course_ref=str(COURSE_ID),
        learner_field="idnumber",
        secret=TOKEN,
        enabled="",
    )
    result = runner.invoke(args=["connectors", "sync", "--rollout", course.rollout.slug])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 1 read, 1 changed")
    assert [r.status for r in runs(course)] == [RunStatus.OK]
    assert progress_rows(course) == {("ada", "m1"): (100.0, True)}
    status = runner.invoke(args=["connectors", "status"])
    assert f"{course.rollout.slug}: moodle {moodle.url} (disabled)" in status.output

    moodle.token_expired = True
    failed = runner.invoke(args=["connectors", "sync", "--rollout", course.rollout.slug])
    assert failed.exit_code == 1 and "accessexception" in failed.output
    assert runner.invoke(args=["connectors", "sync", "--rollout", "nope"]).exit_code == 2
