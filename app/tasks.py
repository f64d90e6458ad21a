"""Enqueueing jobs from application code, only after the transaction commits.

Services call :func:`enqueue_after_commit`; the job reaches RQ when (and only
if) the surrounding transaction commits, so a worker never looks for rows that
are not there yet and a rolled-back change sends nothing. When Redis cannot be
reached in development (``make run`` on a machine without it) jobs run in a
background thread of this process instead, and the log says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.utils import import_attribute
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

#: the named queues; workers listen on all of them, in this order of priority
QUEUES = ("mail", "default", "imports", "reports")
PENDING_KEY = "summit.pending_jobs"


@dataclass
class PendingJob:
    func: str | Callable[..., Any]
    args: tuple[Any, ...]
    queue: str
    job_id: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def settings() -> Any:
    return current_app.extensions["summit.settings"]


_clients: dict[str, Redis] = {}
_clients_lock = threading.Lock()


def get_redis(app: Flask | None = None) -> Redis:
    """The Redis client for the app's REDIS_URL (one pooled client per URL and process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.extensions["summit.settings"].redis_url
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30)
            _clients[url] = client
        return client


def close_redis_clients() -> None:
    """Close every pooled Redis connection of this process (at shutdown, in tests)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
            client.connection_pool.disconnect()
        _clients.clear()


def redis_available(app: Flask | None = None) -> bool:
    try:
        return bool(get_redis(app).ping())
    except (RedisError, OSError):
        return False


def live_workers(app: Flask | None = None) -> int:
    """RQ workers whose registration has not expired (0 when Redis cannot be reached)."""

    try:
        return len(Worker.all(connection=get_redis(app)))
    except (RedisError, OSError):
        return 0


#: how long a "Redis is down, run jobs here" decision holds before Redis is asked again
INLINE_PROBE_SECONDS = 30.0


def jobs_run_inline(app: Flask | None = None) -> bool:
    """True when jobs run in this process: configured so (``SUMMIT_JOBS_INLINE``), or, in
    development only, while Redis cannot be reached (asked again every 30 s, so a Redis
    started later is used). Never chosen silently in production or tests: there an
    unreachable Redis raises, and the database-backed recovery puts the work back."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.extensions["summit.settings"]
    if settings.jobs_inline:
        return True
    if settings.env != "development":
        return False
    now = time.monotonic()
    cached = app.extensions.get("summit.jobs_inline")
    if cached is not None and now - cached[1] < INLINE_PROBE_SECONDS:
        return bool(cached[0])
    inline = not redis_available(app)
    if inline and (cached is None or not cached[0]):
        log.warning(
            "Redis at %s cannot be reached: jobs run inside this process until it is back "
            "(fine for a demo; start Redis for real use)",
            settings.redis_url,
        )
    elif not inline and cached is not None and cached[0]:
        log.warning("Redis at %s is back: jobs go to the RQ workers again", settings.redis_url)
    app.extensions["summit.jobs_inline"] = (inline, now)
    return inline


def enqueue_after_commit(
    func: str | Callable[..., Any],
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    **options: Any,
) -> None:
    """Queue ``func(*args)`` to run once the current transaction commits.

    ``args`` must be ids and plain values. ``job_id`` makes the job deterministic
    (RQ keeps one job per id). ``options`` go to ``Queue.enqueue`` (job_timeout,
    retry, meta...).
    """

    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; use one of {QUEUES}")
    db.session.info.setdefault(PENDING_KEY, []).append(
        PendingJob(func=func, args=args, queue=queue, job_id=job_id, options=options)
    )


def enqueue_now(job: PendingJob, app: Flask | None = None) -> Any:
    """Send one job to RQ (or to the in-process pool) right away."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if jobs_run_inline(app):
        _submit_inline(app, job)
        return None

    q = Queue(job.queue, connection=get_redis(app))
    return q.enqueue(job.func, *job.args, job_id=job.job_id, **job.options)


_pool_lock = threading.Lock()


def _inline_pool(app: Flask) -> ThreadPoolExecutor:
    with _pool_lock:
        pool = app.extensions.get("summit.inline_pool")
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summit-inline-job")
            app.extensions["summit.inline_pool"] = pool
            app.extensions["summit.inline_futures"] = []
            app.extensions["summit.inline_failures"] = 0
        return pool


def _submit_inline(app: Flask, job: PendingJob) -> None:
    try:
        future = _inline_pool(app).submit(_run_inline, app, job)
    except RuntimeError:
        # the interpreter is shutting down (a command's last job queued another one):
        # run it here, in the thread that queued it, rather than lose it
        _run_inline(app, job)
        return
    with _pool_lock:
        app.extensions["summit.inline_futures"].append(future)


def drain_inline_jobs(app: Flask) -> int:
    """Wait until every inline job, and every job those queued, has run; returns how
    many failed since the process started (a command exits non-zero on any)."""
    while True:
        with _pool_lock:
            futures = [f for f in app.extensions.get("summit.inline_futures", []) if not f.done()]
            app.extensions["summit.inline_futures"] = futures
        if not futures:
            return int(app.extensions.get("summit.inline_failures", 0))
        for future in futures:
            future.result()


def _run_inline(app: Flask, job: PendingJob) -> None:

    func = import_attribute(job.func) if isinstance(job.func, str) else job.func
    with app.app_context():
        try:
            func(*job.args)
        except Exception:
            log.exception("inline job %s failed", job.func)
            with _pool_lock:
                failures = app.extensions.get("summit.inline_failures", 0)
                app.extensions["summit.inline_failures"] = failures + 1


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    for job in pending:
        try:
            enqueue_now(job)
        except (RedisError, OSError):
            # the outbox sweep and the scheduler's catch-up re-enqueue from the database
            log.exception("could not enqueue %s; the periodic sweep will pick it up", job.func)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
