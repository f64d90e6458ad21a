"""``summit worker`` and ``summit scheduler``."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process what is queued, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker on every Summit queue, with the app preloaded."""
    from rq import Queue, Worker

    from app.tasks import QUEUES, get_redis

    connection = get_redis()
    queues = [Queue(name, connection=connection) for name in QUEUES]
    Worker(queues, connection=connection).work(burst=burst, with_scheduler=True)


@click.command("scheduler")
@click.option("--interval", default=60, show_default=True, help="Seconds between ticks.")
@with_appcontext
def scheduler_command(interval: int) -> None:
    """Run the recurring-jobs tick forever."""
    from app.tasks import PendingJob, enqueue_now

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        enqueue_now(PendingJob(func="jobs.schedule.tick", args=(), queue="default"), app)
        time.sleep(interval)


COMMANDS = [worker_command, scheduler_command]
