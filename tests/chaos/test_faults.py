"""The chaos suite: the faults production brings, against a real SMTP server (aiosmtpd),
real `summit worker` processes, Redis and the database. Each prints its figures:

    CHAOS <fault>  emails N  lost L  repeated R  stuck S  terminal after T s

and asserts 0 lost, at most one repeat per fault, nothing stuck. Marked ``slow``; the
short set runs with the suite, ``make chaos`` runs every fault at ten times the volume.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from rq import Worker

from app import create_app
from app.extensions import db
from app.tasks import get_redis
from tests.chaos.harness import (
    EMAILS,
    FULL,
    figures,
    load_outbox,
    run_until_terminal,
    start_scheduler,
    start_worker,
    stop,
    worker_env,
)
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow
full_only = pytest.mark.skipif(not FULL, reason="full chaos run only (make chaos)")
postgres_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL"
)


def _deliver(
    app_settings: dict[str, Any],
    sink: Any,
    fault: str,
    workers: int = 2,
    n: int = EMAILS,
    **env: str,
):
    load_outbox(n)
    procs = [
        start_worker(worker_env(app_settings, sink.port, **env), f"chaos-{fault}-{i}")
        for i in range(workers)
    ]
    started = time.monotonic()
    try:
        seconds = run_until_terminal(180, lambda: None, lambda: started)
    finally:
        stop(procs)
    return seconds


def test_recipients_refused_with_4xx_and_5xx(app_settings, smtp_sink) -> None:
    """451 for 2 % (given up after MAIL_MAX_ATTEMPTS=1: failed, with the reason), 550 for
    1 %: every other recipient is sent, none held back."""
    refused = {f"learner{i}@example.com" for i in range(0, EMAILS, 50)}
    rejected = {f"learner{i}@example.com" for i in range(25, EMAILS, 100)}
    for address in refused:
        smtp_sink.reject_rcpt[address] = "451 4.2.0 Mailbox busy"
    for address in rejected:
        smtp_sink.reject_rcpt[address] = "550 5.1.1 No such user"
    seconds = _deliver(app_settings, smtp_sink, "rcpt-4xx-5xx", MAIL_MAX_ATTEMPTS="1")
    found = figures(
        "451 for 2 %, 550 for 1 % of recipients", smtp_sink, seconds, refused | rejected
    )
    assert (found.lost, found.stuck, found.repeated) == (0, 0, 0)


def test_a_worker_paused_past_its_lease(app_settings, smtp_sink) -> None:
    """SIGSTOP a busy worker for longer than its lease (11 s), then SIGCONT: the other
    worker takes its rows over; the paused one sends at most the message in flight."""
    smtp_sink.slow_data = 0.02
    load_outbox()
    env = worker_env(app_settings, smtp_sink.port)
    procs = [start_worker(env, f"chaos-pause-{i}") for i in range(2)]
    cleared: list[float] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(smtp_sink.messages) < 10:
            time.sleep(0.05)
        os.killpg(procs[0].pid, signal.SIGSTOP)
        time.sleep(15)
        os.killpg(procs[0].pid, signal.SIGCONT)
        cleared.append(time.monotonic())
        seconds = run_until_terminal(180, lambda: None, lambda: cleared[0])
    finally:
        stop(procs)
    found = figures("worker SIGSTOPped 15 s (lease 11 s)", smtp_sink, seconds, set())
    assert (found.lost, found.stuck) == (0, 0) and found.repeated <= 1


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
def test_redis_stopped_and_restarted_empty(app_settings, smtp_sink, tmp_path) -> None:
    """The workers' Redis goes away mid-delivery and comes back empty: the workers wait
    for it, the sweep re-enqueues delivery from the database, every email arrives."""
    server = RedisServer(tmp_path)
    server.start()
    other = create_app({**app_settings, "redis_url": server.url})
    smtp_sink.slow_data = 0.05
    load_outbox()
    env = worker_env(app_settings, smtp_sink.port, REDIS_URL=server.url)
    procs = [start_worker(env, f"chaos-redis-{i}") for i in range(2)]
    cleared: list[float] = []
    try:
        with other.app_context():
            from app.mail.dispatch import sweep

            sweep()
            db.session.commit()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(smtp_sink.messages) < 10:
                time.sleep(0.05)
            server.stop()
            time.sleep(5)
            server.start()
            cleared.append(time.monotonic())
            seconds = run_until_terminal(180, lambda: None, lambda: cleared[0])
            alive = [p.poll() is None for p in procs]
            deadline = time.monotonic() + 30  # registered again at their next heartbeat
            registered = 0
            while time.monotonic() < deadline and registered < 2:
                registered = len(Worker.all(connection=get_redis(other)))
                time.sleep(0.5)
            db.session.remove()
    finally:
        stop(procs)
        server.stop()
        with other.app_context():
            db.engine.dispose()
    found = figures("Redis stopped 5 s, restarted empty", smtp_sink, seconds, set())
    print(f"CHAOS   workers alive {sum(alive)} of 2, registered again {registered}", flush=True)
    assert (found.lost, found.stuck) == (0, 0) and found.repeated <= 2
    assert all(alive)  # they wait for Redis instead of exiting, and deliver again


@postgres_only
def test_database_connections_terminated_mid_delivery(app_settings, smtp_sink) -> None:
    """pg_terminate_backend on the connections of the workers and the scheduler (told
    apart by their application_name in pg_stat_activity), every 0.2 s for 4 s while
    delivery runs: nothing lost, every row terminal, and the processes still running."""
    from collections import Counter

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    smtp_sink.slow_data = 0.05
    load_outbox()
    env = worker_env(app_settings, smtp_sink.port)
    procs = [start_worker(env, f"chaos-pg-{i}") for i in range(2)]
    procs.append(start_scheduler(env))
    cleared: list[float] = []
    killed: Counter[str] = Counter()
    rounds = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(smtp_sink.messages) < 5:
            time.sleep(0.02)
        # a connection of its own, outside the pool: it is never one that was cut
        killer = create_engine(db.engine.url, poolclass=NullPool)
        for _ in range(20):  # every 0.2 s for 4 s, while delivery runs
            with killer.connect() as conn:
                cut = conn.execute(
                    text(
                        "SELECT application_name, pg_terminate_backend(pid) "
                        "FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name IN ('summit-worker', 'summit-scheduler')"
                    )
                ).all()
                found = Counter(name for name, ended in cut if ended)
                conn.commit()
            killed.update(found)
            rounds += bool(found)
            time.sleep(0.2)
        killer.dispose()
        cleared.append(time.monotonic())
        seconds = run_until_terminal(180, lambda: None, lambda: cleared[0])
        alive = [p.poll() is None for p in procs]
    finally:
        stop(procs)
    label = (
        f"pg_terminate_backend ({killed['summit-worker']} worker, "
        f"{killed['summit-scheduler']} scheduler)"
    )
    found = figures(label, smtp_sink, seconds, set())
    print(
        f"CHAOS   {rounds} rounds cut a connection; processes alive {sum(alive)} of {len(procs)}",
        flush=True,
    )
    assert killed["summit-worker"] > 0 and killed["summit-scheduler"] > 0
    assert (found.lost, found.stuck) == (0, 0) and found.repeated <= rounds
    assert all(alive)  # the workers and the scheduler outlived their connections


def test_concurrent_term_closes(app) -> None:
    """Six closes of the same term at once: all succeed, one close row."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from app.programs.models import Term
    from app.regions.models import Region
    from app.rollouts.models import Rollout, RolloutStatus
    from app.terms.closing import close_term
    from app.terms.models import TermClose
    from tests.factories import RolloutFactory, region
    from tests.threads import at_once

    rollout = RolloutFactory(region_id=region("de").id, status=RolloutStatus.LAUNCHED)
    db.session.commit()
    ids = (rollout.region_id, rollout.id, rollout.program.terms[0].id)
    started = time.monotonic()

    def close() -> None:
        close_term(
            region=db.session.get(Region, ids[0]),
            rollout=db.session.get(Rollout, ids[1]),
            term=db.session.get(Term, ids[2]),
            now=datetime(2026, 10, 12, 5, tzinfo=UTC),
        )

    errors, _ = at_once(app, *[close] * 6)
    closes = db.session.scalar(select(func.count()).select_from(TermClose))
    print(
        f"CHAOS {'six concurrent term closes':<38} closes 6  failed {len(errors)}  "
        f"rows {closes}  terminal after {time.monotonic() - started:5.1f} s",
        flush=True,
    )
    assert errors == [] and closes == 1


@full_only
def test_421_once(app_settings, smtp_sink) -> None:
    smtp_sink.fail_next = ["421 4.3.2 Service shutting down"]
    seconds = _deliver(app_settings, smtp_sink, "421")
    found = figures("421 once", smtp_sink, seconds, set())
    assert (found.lost, found.stuck, found.repeated) == (0, 0, 0)


@full_only
def test_connection_dropped_after_data(app_settings, smtp_sink) -> None:
    smtp_sink.drop_after_data = 1
    seconds = _deliver(app_settings, smtp_sink, "drop")
    found = figures("connection dropped after DATA, once", smtp_sink, seconds, set())
    assert (found.lost, found.stuck) == (0, 0) and found.repeated <= 1


@full_only
def test_slow_replies(app_settings, smtp_sink) -> None:
    smtp_sink.slow_data = 0.5  # half the send timeout on every message
    # 400 emails at 0.5 s each over 4 workers: about a minute of sending
    seconds = _deliver(app_settings, smtp_sink, "slow", workers=4, n=400)
    found = figures("every DATA answered after 0.5 s", smtp_sink, seconds, set())
    assert (found.lost, found.stuck, found.repeated) == (0, 0, 0)
