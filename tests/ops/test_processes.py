"""Processes outlive blips: the `make run` runner starts a dead process again, a
`summit worker` waits for Redis instead of exiting, /healthz says when no worker is
alive. The Redis here is the test's own (stopped and restarted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Worker

from tests.redis_server import RedisServer

SUMMIT = str(Path(sys.executable).with_name("summit"))


def test_the_runner_restarts_a_process_that_exits(tmp_path) -> None:
    """Fails on the old runner (honcho stopped the whole stack when one process died)."""
    (tmp_path / "Procfile").write_text(
        f"dies: {sys.executable} -c \"open('runs', 'a').write('x')\"\n"
        f'stays: {sys.executable} -c "import time; time.sleep(60)"\n'
    )
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from app.ops.runner import procfile, supervise
        here = Path({str(tmp_path)!r})
        env = dict(__import__("os").environ)
        raise SystemExit(supervise(procfile(here / "Procfile"), env, here))
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        runs = tmp_path / "runs"
        while time.monotonic() < deadline and len(runs.read_text() if runs.exists() else "") < 3:
            time.sleep(0.2)
        assert runner.poll() is None, "the runner stopped with the process"
        assert len(runs.read_text()) >= 3  # started, died, started again (1 s, 2 s)
    finally:
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(20) == 0


@contextmanager
def _registered_worker(
    app_settings: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[RedisServer, subprocess.Popen]]:
    """A ``summit worker`` on a Redis of the test's own, once it has registered; on the way
    out SIGTERM stops it, exit status 0, within 20 s (never left running). Yields the Redis
    server, to stop and start, and the worker."""
    server = RedisServer(tmp_path)
    server.start()
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": server.url,
        "MAIL_TRANSPORT": "dev",
    }
    worker = subprocess.Popen(
        [SUMMIT, "worker", "--name", "blip"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _until(lambda: _workers(server) == 1)
        yield server, worker
        worker.terminate()
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        server.stop()


def _workers(server: RedisServer) -> int:
    connection = Redis.from_url(server.url)
    try:
        return len(Worker.all(connection=connection))
    finally:
        connection.close()


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
def test_a_worker_outlives_redis_going_away(app_settings: dict[str, Any], tmp_path) -> None:
    """Fails on the old worker: "found an unhandled exception, quitting" and it exited.
    SIGTERM still stops it afterwards."""
    with _registered_worker(app_settings, tmp_path) as (server, worker):
        server.stop()
        time.sleep(4)
        assert worker.poll() is None, "the worker exited while Redis was away"
        server.start()  # back, and empty
        _until(lambda: _workers(server) == 1, timeout=45)


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
def test_sigterm_stops_a_worker_while_redis_is_away(app_settings: dict[str, Any], tmp_path) -> None:
    """Fails on the old worker: its teardown could not reach Redis, so it took the stop
    for an outage and went on waiting for Redis (killed after 20 s)."""
    with _registered_worker(app_settings, tmp_path) as (server, worker):
        server.stop()
        time.sleep(3)  # the worker is waiting for Redis, retrying
        assert worker.poll() is None


def _until(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_healthz_says_when_no_worker_is_alive(client) -> None:
    """Fails on the old /healthz: "ok" with nobody to run the jobs."""
    body = client.get("/healthz").json
    assert body["workers"] == 0 and body["status"] == "degraded"
    assert "no worker is alive" in body["warning"]
