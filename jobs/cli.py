"""``summit worker`` and ``summit scheduler``."""

from __future__ import annotations

import contextlib
import importlib
import logging
import pkgutil
import signal
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.worker_registration import register

import jobs
from app.dbsetup import name_process
from app.extensions import db
from app.tasks import QUEUES, get_redis
from jobs.schedule import tick

log = logging.getLogger(__name__)

#: job modules imported by the worker before it forks, so no child re-imports them
JOB_MODULES = ("jobs.runtime", "jobs.mail", "jobs.schedule")


def preload_jobs() -> None:
    """Import every ``jobs/*.py`` module (and so the app's models) in the parent."""

    for name in JOB_MODULES:
        importlib.import_module(name)
    for info in pkgutil.iter_modules(jobs.__path__):
        importlib.import_module(f"jobs.{info.name}")


class _StopRequest:
    """SIGTERM or Ctrl-C, remembered for the whole ``summit worker`` process.

    RQ handles the signals only while a worker is inside ``work()``, and its handler
    belongs to that one worker object. Between two of them (Redis away, the next one
    starting) a stale handler would act on a worker that is gone: the signal was lost,
    or it broke off the new worker's start with its scheduler child already forked,
    which the process then waited for at exit. So this handler is the one in place
    whenever no worker is working, and every worker reads it when it installs its own.
    """

    def __init__(self) -> None:
        self.requested = False

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def listen(self) -> None:
        signal.signal(signal.SIGINT, self.note)
        signal.signal(signal.SIGTERM, self.note)

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when asked to stop meanwhile."""

        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


STOP = _StopRequest()


class _Reregistering:
    """A worker that registers itself again when its heartbeat finds it missing (Redis
    restarted empty): RQ reconnects by itself, but only registers at start, so the
    worker would go on working unseen by ``/healthz``, the ops page and delivery kicks.

    It also keeps a stop request that came while it was starting (before RQ's own
    handlers were in place), notes RQ's stop requests in :data:`STOP`, so that
    ``summit worker`` stops even when Redis is away as the worker winds down, and
    does not wait a minute for its command thread when it stops.
    """

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        if STOP.requested:  # asked while it was starting: stop before the first job
            self._shutdown_requested_date = datetime.now(UTC)
            self._stop_requested = True

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        STOP.requested = True
        super().request_stop(signum, frame)  # type: ignore[misc]

    def unsubscribe(self) -> None:
        """RQ's, without its race. RQ unsubscribes, then stops the command thread and, since
        redis-py 8.2, waits for it: when the thread read the server's reply before the stop
        flag was down, it waited RQ's 60 s for a subscription, and so did the worker (a
        minute at every stop, more often under load). Here the flag goes down first; the
        reply then wakes the thread, which sees it and ends. The thread is a daemon: if
        Redis is away it ends with the process, or within 60 s."""
        thread = self.pubsub_thread  # type: ignore[attr-defined]
        if not thread:
            return
        try:
            thread.stop(timeout=0)  # redis-py 8.2 and later: the flag, no wait
        except TypeError:  # before 8.2 stop() only puts the flag down
            thread.stop()
        with contextlib.suppress(RedisError, OSError):
            self.pubsub.unsubscribe()  # type: ignore[attr-defined]
        thread.join(timeout=1)
        if not thread.is_alive():  # it closed its connection; and any unsubscribe reopened
            with contextlib.suppress(RedisError, OSError):
                self.pubsub.close()  # type: ignore[attr-defined]

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> Any:
        result = super().heartbeat(timeout, pipeline)  # type: ignore[misc]
        if pipeline is None:
            try:
                if not self.connection.sismember(self.redis_workers_keys, self.key):  # type: ignore[attr-defined]
                    register(self)  # type: ignore[arg-type]
                    log.warning("worker %s registered again (Redis lost it)", self.name)  # type: ignore[attr-defined]
            except (RedisError, OSError):
                pass
        return result


def worker_class(simple: bool) -> type:

    if simple:

        class SummitSimpleWorker(_Reregistering, SimpleWorker):
            """RQ's in-process worker, registering again after Redis lost it."""

        return SummitSimpleWorker

    class SummitWorker(_Reregistering, Worker):
        """RQ's forking worker; the work horse drops the database connections it inherited."""

        def main_work_horse(self, *args, **kwargs):  # type: ignore[no-untyped-def]

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
@click.option(
    "--queue",
    "only",
    multiple=True,
    type=click.Choice(QUEUES),
    help="Work only this queue (repeatable; default: every queue, mail first).",
)
@with_appcontext
def worker_command(burst: bool, simple: bool, name: str | None, only: tuple[str, ...]) -> None:
    """Run an RQ worker on every Summit queue (mail first), with the app preloaded.

    The worker also runs RQ's scheduler (enqueue_at/enqueue_in and Retry intervals).
    When Redis goes away it does not exit: it waits (1, 2, 4 … 30 s) and starts
    working again once Redis answers; jobs lost with it are put back by the
    scheduler's recovery from the database.
    """
    name_process("summit-worker")
    preload_jobs()
    db.engine.dispose()  # connections are opened per process, after the fork
    wait = 1.0
    while True:
        STOP.listen()  # RQ's handlers belong to the worker that stopped
        if STOP.requested:
            return
        connection = get_redis()
        worker = None
        try:
            queues = [Queue(q, connection=connection) for q in QUEUES if not only or q in only]
            worker = worker_class(simple)(queues, connection=connection, name=name)
            started = time.monotonic()
            worked = worker.work(burst=burst, with_scheduler=True)
            if time.monotonic() - started > 60:
                wait = 1.0  # it had been working: the next pause starts short again
            if burst or STOP.requested:  # done, or asked to stop (SIGTERM, Ctrl-C)
                return
            # RQ logs "found an unhandled exception, quitting" (Redis gone) and returns
            log.warning("the worker stopped (worked: %s): working again in %.0f s", worked, wait)
        except (RedisError, OSError) as exc:
            if STOP.requested:  # its teardown could not reach Redis: stop all the same
                log.warning("stopping; Redis cannot be reached (%s)", exc)
                return
            log.warning("Redis cannot be reached (%s): working again in %.0f s", exc, wait)
        _forget_worker(worker)
        STOP.sleep(wait)
        wait = min(wait * 2, 30.0)


def _forget_worker(worker: object) -> None:
    """Best effort: drop the stale registration so the same name can register again."""

    try:
        if worker is not None:
            worker.register_death()  # type: ignore[attr-defined]
    except (RedisError, OSError):
        pass


@click.command("scheduler")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@with_appcontext
def scheduler_command(interval: float, once: bool) -> None:
    """Run the recurring-jobs tick (and the outbox sweep) every ``--interval`` seconds.

    Safe to run twice: the database guard makes a second scheduler enqueue nothing.
    """
    name_process("summit-scheduler")
    db.engine.dispose()  # any connection opened so far carries the CLI's name
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
