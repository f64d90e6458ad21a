"""A worker stops at once: its command thread ends with it, never a minute later.

RQ's own teardown (rq 2.12 with redis-py 8.2) unsubscribes, then stops the command thread
and waits for it; when the thread reads the server's reply before the stop flag is down it
waits RQ's 60 s for a subscription, and the worker with it. Under load that happened about
once in 40 stops (``rq.SimpleWorker`` on an empty queue, 200 runs beside the test suite: one
took 60.006 s), and three times in one run of this suite (a minute each). Summit's worker
puts the flag down first, so the reply finds it down; Summit's worker before that waited a
second for the thread, then closed the connection under it (the thread outlived the worker).
"""

from __future__ import annotations

import time

import pytest
from rq import Queue

from app.tasks import get_redis
from jobs.cli import worker_class


@pytest.mark.parametrize("simple", [True, False], ids=["in-process", "forking"])
def test_a_worker_stops_at_once_and_its_command_thread_with_it(app, simple: bool) -> None:
    connection = get_redis(app)
    queues = [Queue("default", connection=connection)]
    slowest = 0.0
    for _ in range(30):
        worker = worker_class(simple)(queues, connection=connection)
        started = time.monotonic()
        worker.work(burst=True, with_scheduler=False)
        slowest = max(slowest, time.monotonic() - started)
        assert not worker.pubsub_thread.is_alive()
    assert slowest < 5, f"a worker took {slowest:.1f} s to stop"
