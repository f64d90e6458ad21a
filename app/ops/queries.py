"""Read side of the job system: queues, workers, failed jobs (from RQ), recent runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import select

from app.extensions import db
from app.ops.models import ScheduledRun
from app.tasks import QUEUES, get_redis, jobs_run_inline


@dataclass(frozen=True)
class QueueState:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    func: str
    args: str
    ended_at: datetime | None
    error: str
    summary: str


def queue_states() -> tuple[list[QueueState], int]:
    """Counts per queue and the number of live workers (empty without Redis)."""

    if jobs_run_inline():
        return [], 0
    connection = get_redis()
    states = []
    for name in QUEUES:
        q = Queue(name, connection=connection)
        states.append(
            QueueState(
                name=name,
                queued=q.count,
                started=q.started_job_registry.count,
                scheduled=q.scheduled_job_registry.count,
                failed=q.failed_job_registry.count,
            )
        )
    return states, Worker.count(connection=connection)


def failed_jobs(limit: int = 100) -> list[FailedJob]:
    """The most recent failed jobs of every queue, with their error."""

    if jobs_run_inline():
        return []
    connection = get_redis()
    found: list[FailedJob] = []
    for name in QUEUES:
        registry = Queue(name, connection=connection).failed_job_registry
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=connection):
            if job is None:
                continue
            error = _error(job)
            found.append(
                FailedJob(
                    id=job.id,
                    queue=name,
                    func=job.func_name,
                    args=", ".join(repr(a) for a in job.args),
                    ended_at=job.ended_at,
                    error=error,
                    summary=(error.strip().splitlines() or ["(no error recorded)"])[-1],
                )
            )
    found.sort(key=lambda j: j.ended_at.isoformat() if j.ended_at else "", reverse=True)
    return found[:limit]


def _error(job: Any) -> str:
    result = job.latest_result()
    if result is not None and result.exc_string:
        return str(result.exc_string)
    return str(job.exc_info or "")


def recent_runs(limit: int = 20) -> list[ScheduledRun]:
    return list(
        db.session.scalars(select(ScheduledRun).order_by(ScheduledRun.id.desc()).limit(limit))
    )
