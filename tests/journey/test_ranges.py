"""A large region's weekly email is cut into range jobs any worker takes: each learner
gets one email, whatever runs twice (a tick's jobs queued again, two workers at once)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from app.extensions import db
from app.journey import services
from app.journey.models import JourneySend
from app.tasks import get_redis
from jobs.journey import send_weekly
from tests.factories import region
from tests.journey.helpers import launched, learner, sends, weekly_emails

# Monday 23 November 2026 09:00 in Paris, an hour after the 08:00 send time
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = "2026-W48"
ROOT = Path(__file__).resolve().parents[2]
SUMMIT = str(Path(sys.executable).with_name("summit"))


def _default_jobs() -> list[str]:
    return sorted(Queue("default", connection=get_redis()).job_ids)


def _one_email_each(learners: int) -> None:
    db.session.expire_all()
    emails = weekly_emails()
    assert len(emails) == learners and sends() == learners
    assert len({e.idempotency_key for e in emails}) == learners
    assert db.session.scalar(select(func.count(func.distinct(JourneySend.enrollment_id)))) == (
        learners
    )


def test_a_large_region_is_cut_into_range_jobs_that_queue_each_learner_once(run_jobs):
    rollout = launched("fr")
    enrollments = [learner(rollout) for _ in range(7)]
    db.session.commit()
    ids = sorted(e.id for e in enrollments)
    fr = region("fr").id

    assert services.range_bounds(fr, 2) == [ids[1], ids[3], ids[5]]
    assert send_weekly(fr, MONDAY.isoformat(), range_size=2) == 0
    assert weekly_emails() == []  # handed to the range jobs
    ranges = [f"journey-range-{fr}-{WEEK}-{after}" for after in (0, ids[1], ids[3], ids[5])]
    assert _default_jobs() == sorted(ranges)
    run_jobs()
    _one_email_each(7)
    # the next hourly tick: nobody is left, so no range is queued again
    assert send_weekly(fr, MONDAY.replace(hour=9).isoformat(), range_size=2) == 0
    assert _default_jobs() == []


def test_a_range_job_queues_only_its_range(run_jobs):
    from jobs.journey import send_range

    rollout = launched("fr")
    enrollments = [learner(rollout) for _ in range(5)]
    db.session.commit()
    ids = sorted(e.id for e in enrollments)
    assert send_range(region("fr").id, WEEK, ids[0], ids[2]) == 2
    db.session.expire_all()
    assert sorted(e.person_id for e in weekly_emails()) == sorted(
        e.person_id for e in enrollments if ids[0] < e.id <= ids[2]
    )
    assert send_range(region("fr").id, WEEK, ids[2], None) == 2
    assert send_range(region("fr").id, WEEK, 0, None) == 1
    _one_email_each(5)


def _worker(app_settings: dict[str, Any], name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this tree's code, whatever the venv's entry point names
        "SUMMIT_ENV": "test",
        "SECRET_KEY": app_settings["secret_key"],
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": app_settings["redis_url"],
        "SUMMIT_BASE_URL": app_settings["base_url"],
    }
    return subprocess.Popen(
        [SUMMIT, "worker", "--burst", "--queue", "default", "--name", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_workers_running_the_same_region_twice_queue_each_email_once(app_settings):
    rollout = launched("fr")
    for _ in range(9):
        learner(rollout)
    db.session.commit()
    fr = region("fr").id
    # two ticks queue the same ranges (a tick retried), and one job covers the whole region:
    # every learner is in at least two jobs, run by two workers at once
    assert send_weekly(fr, MONDAY.isoformat(), range_size=2) == 0
    assert send_weekly(fr, MONDAY.isoformat(), range_size=2) == 0
    queue = Queue("default", connection=get_redis())
    queue.enqueue("jobs.journey.send_range", fr, WEEK, 0, None)
    assert queue.count >= 6
    workers = [_worker(app_settings, f"test-journey-{n}-{time.time_ns()}") for n in (1, 2)]
    try:
        for proc in workers:
            _, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in workers:
            proc.kill()
    assert queue.count == 0 and FailedJobRegistry(queue=queue).count == 0
    _one_email_each(9)
