"""Running what is queued in a test: the in-process worker ``summit worker --simple`` runs,
on the real Redis, until the queues are empty."""

from __future__ import annotations

from typing import Any

from rq import Queue

from app.extensions import db
from app.tasks import QUEUES, get_redis
from jobs.cli import worker_class


def run_queued_jobs(app: Any) -> int:
    """Commit, run every queued job of ``app`` and return how many succeeded; the session
    forgets what it loaded (the jobs changed it in their own transactions)."""
    db.session.commit()
    connection = get_redis(app)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    worker = worker_class(simple=True)(queues, connection=connection)
    worker.work(burst=True, with_scheduler=False)
    db.session.expire_all()
    return int(worker.successful_job_count)
