"""The database is the source of truth for work: a run whose enqueue failed, and runs
and imports whose jobs an emptied Redis lost, are enqueued again; an import whose file
is gone ends failed with the reason. The Redis here is the test's own, stopped and
restarted empty."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.ops.models import ScheduledRun
from app.progress.importing import create_import
from app.progress.models import ImportStatus, ProgressImport
from app.tasks import get_redis
from jobs import schedule
from jobs.schedule import enqueue_unfinished, plan, tick
from tests.progress.helpers import make_course
from tests.redis_server import RedisServer

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
#: entries of the registry as shipped: a round at 07:00 in each region's zone, and the
#: global clean-up at 03:00 UTC
DAILY = next(e for e in schedule.RECURRING if e.name == "masterclasses.daily")
PRUNE = next(e for e in schedule.RECURRING if e.name == "ops.prune_scheduled_runs")
MONDAY_9 = datetime(2026, 11, 23, 8, 10, tzinfo=UTC)  # 09:10 in Berlin
DAILY_DE = "masterclasses_daily-de-2026-11-23T07_00"


@pytest.fixture
def own_redis(app_settings: dict[str, Any], tmp_path) -> Iterator[tuple[Any, RedisServer]]:
    """An app wired to a redis-server of this test's own (the same database)."""
    server = RedisServer(tmp_path)
    server.start()
    other = create_app({**app_settings, "redis_url": server.url})
    try:
        yield other, server
    finally:
        server.stop()
        from app.tasks import close_redis_clients

        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        close_redis_clients()


def _queued(app: Any, queue: str) -> set[str]:
    with app.app_context():
        return set(Queue(queue, connection=get_redis(app)).get_job_ids())


def test_a_run_whose_enqueue_failed_or_whose_job_redis_lost_is_enqueued_again(
    own_redis,
) -> None:
    """Fails on the old scheduler: the run was recorded, its enqueue failed and was
    swallowed, and nothing ever enqueued it again."""
    other, server = own_redis
    server.stop()  # Redis down across the slot
    with other.app_context():
        runs = tick(MONDAY_9)  # the registry as shipped
        assert {r.scope for r in runs if r.entry is DAILY} == {"de", "fr", "in"}
        rows = db.session.scalars(select(ScheduledRun)).all()
        assert rows and all(r.enqueued_at is None for r in rows)
    server.start()  # back, and empty
    with other.app_context():
        assert tick(MONDAY_9 + timedelta(minutes=1)) == []
    assert DAILY_DE in _queued(other, DAILY.queue)
    # Redis restarted empty again: the jobs are gone, the runs are not done
    server.stop()
    server.start()
    with other.app_context():
        tick(MONDAY_9 + timedelta(minutes=2))  # first sighting of the loss
        tick(MONDAY_9 + timedelta(minutes=3))
    assert DAILY_DE in _queued(other, DAILY.queue)


def test_a_run_is_done_once_its_job_ran(run_jobs) -> None:
    assert plan(MONDAY_9, entries=[PRUNE])  # the registry's daily clean-up, global
    enqueue_unfinished(MONDAY_9)
    run_jobs()
    rows = db.session.scalars(select(ScheduledRun)).all()
    assert rows and all(r.done_at is not None for r in rows)
    get_redis().flushdb()  # done runs are not enqueued again, whatever Redis lost
    assert enqueue_unfinished(MONDAY_9 + timedelta(hours=1)) == 0
    assert Queue(PRUNE.queue, connection=get_redis()).count == 0


def test_imports_whose_job_redis_lost_are_enqueued_again_or_fail_with_a_reason(
    own_redis,
) -> None:
    """Fails on the old code: both imports stayed queued forever."""
    other, server = own_redis
    with other.app_context():
        course = make_course()
        kept = create_import(
            region=course.rollout.region,
            rollout=course.rollout,
            filename="summit_progress.csv",
            stream=io.BytesIO(b"employee_id,email,module,percent,completed,observed_at\n"),
        )
        gone = create_import(
            region=course.rollout.region,
            rollout=course.rollout,
            filename="summit_progress.csv",
            stream=io.BytesIO(b"employee_id,email,module,percent,completed,observed_at\n"),
        )
        db.session.commit()
        kept_id, gone_id = kept.id, gone.id
        from pathlib import Path

        Path(gone.stored_path).unlink()
    server.stop()
    server.start()  # restarted empty: the import jobs are lost
    assert _queued(other, "imports") == set()
    with other.app_context():
        tick(MONDAY_9)
        tick(MONDAY_9 + timedelta(minutes=1))
        import_jobs = {j for j in _queued(other, "imports") if "-import-" in j}
        assert import_jobs == {f"progress-import-{kept_id}"}  # the scheduler queues its slots too
        failed = db.session.get(ProgressImport, gone_id)
        assert failed.status is ImportStatus.FAILED
        assert "no longer available" in failed.error
        db.session.remove()


def test_a_failed_import_is_listed_on_the_ops_page_and_runs_again_on_retry(
    login_as, csrf_token, run_jobs
) -> None:
    from app.auth.models import Role
    from app.progress.importing import mark_failed
    from tests.factories import staff
    from tests.progress.helpers import FIXTURES

    course = make_course()
    record = create_import(
        region=course.rollout.region,
        rollout=course.rollout,
        filename="summit_progress.csv",
        stream=io.BytesIO((FIXTURES / "summit_progress.csv").read_bytes()),
    )
    db.session.flush()
    mark_failed(import_id=record.id, reason="The import's job was lost 3 times")
    db.session.commit()
    get_redis().flushdb()
    client = login_as(staff(Role.GLOBAL_ADMIN))
    page = client.get("/ops/").get_data(as_text=True)
    assert "The import&#39;s job was lost 3 times" in page
    token = csrf_token("/ops/")
    response = client.post(f"/ops/imports/progress/{record.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    done = db.session.get(ProgressImport, record.id)
    assert done.status is ImportStatus.DONE and done.rows_applied > 0
    again = client.post(f"/ops/imports/progress/{record.id}/retry", data={"csrf_token": token})
    assert again.status_code == 404  # only a failed import can be retried
