"""``summit worker`` and ``summit scheduler``."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)

#: job modules imported by the worker before it forks, so no child re-imports them
JOB_MODULES = ("jobs.runtime", "jobs.mail", "jobs.schedule")


def preload_jobs() -> None:
    """Import every ``jobs/*.py`` module (and so the app's models) in the parent."""
    import importlib
    import pkgutil

    import jobs

    for name in JOB_MODULES:
        importlib.import_module(name)
    for info in pkgutil.iter_modules(jobs.__path__):
        importlib.import_module(f"jobs.{info.name}")


def worker_class(simple: bool) -> type:
    from rq import SimpleWorker, Worker

    if simple:
        return SimpleWorker

    class SummitWorker(Worker):
        """RQ's forking worker; the work horse drops the database connections it inherited."""

        def main_work_horse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            from app.extensions import db

            db.engine.dispose(close=False)  # never share a socket with the parent
            return super().main_work_horse(*args, **kwargs)

    return SummitWorker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process what is queued, then exit.")
@click.option(
    "--simple",
    is_flag=True,
    help="Run jobs in this process instead of a forked child (faster; less isolated).",
)
@click.option("--name", default=None, help="Worker name (default: RQ's random one).")
@with_appcontext
def worker_command(burst: bool, simple: bool, name: str | None) -> None:
    """Run an RQ worker on every Summit queue (mail first), with the app preloaded.

    The worker also runs RQ's scheduler (enqueue_at/enqueue_in and Retry intervals).
    """
    from rq import Queue

    from app.extensions import db
    from app.tasks import QUEUES, get_redis

    preload_jobs()
    db.engine.dispose()  # connections are opened per process, after the fork
    connection = get_redis()
    queues = [Queue(q, connection=connection) for q in QUEUES]
    worker = worker_class(simple)(queues, connection=connection, name=name)
    worker.work(burst=burst, with_scheduler=True)


@click.command("scheduler")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@with_appcontext
def scheduler_command(interval: float, once: bool) -> None:
    """Run the recurring-jobs tick (and the outbox sweep) every ``--interval`` seconds.

    Safe to run twice: the database guard makes a second scheduler enqueue nothing.
    """
    from jobs.schedule import tick

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        started = time.monotonic()
        try:
            with app.app_context():
                tick()
        except Exception:  # a bad tick must not stop the next one
            log.exception("scheduler tick failed")
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


COMMANDS = [worker_command, scheduler_command]
