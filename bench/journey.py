"""Benchmark: the weekly journey email of one region, rendered and queued in batches.

    .venv/bin/python -m bench.journey [--scale small|medium|full|huge]

A scratch PostgreSQL database (migrations, regions), one launched rollout with ``N``
learners (small 5,000; full 50,000), two completed modules each, buddies in pairs and a
call this week. Times the week's run as the job does it (keyset batches of
``BATCH``: claim the ``JourneySend`` rows, read progress and buddies, render each email,
one multi-row outbox INSERT; commit per batch) next to the raw tool doing the storage
part of the same work: one ``INSERT … SELECT`` of ``N`` outbox rows of the same size,
already rendered. Then the same run again (a second tick: nothing to send), and the
recipients query alone. Delivery is not timed (the outbox is drained by mail workers).

Then the week as production runs it: the tables emptied, the scheduler's job
(``jobs.journey.send_weekly``) queued on the default queue and :data:`WORKERS` real ``summit
worker --queue default`` processes (the venv's entry point: ``PYTHONPATH`` names the tree
whose code they run) sharing its range jobs, timed until every email is queued; the figure
the target is judged on, with the one-process time beside it (``--workers-only`` skips
the one-process run; ``--profile`` profiles it with pyinstrument). ``BENCH_REDIS_URL``
(default ``redis://127.0.0.1:6379/6``) is the Redis the workers share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import Figure, make_parser, peak_rss_mb, sized

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: the worker processes of the parallel run (the machine's cores)
WORKERS = 2
WEEK = "2026-W39"  # the week of 21 September 2026: term 1 runs
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
RAW_OUTBOX = """
INSERT INTO outbound_email (idempotency_key, kind, region_id, person_id, to_address, to_name,
  subject, text_body, html_body, message_id, status, attempts, created_at, next_attempt_at,
  locale)
SELECT 'raw/' || e.id, 'journey/weekly', e.region_id, e.person_id, p.email, p.name,
  'Bench: your week', :text, :html, '<raw' || e.id || '@summit>', 'pending', 0, now(), now(),
  'de_DE'
FROM enrollment e JOIN person p ON p.id = e.person_id WHERE e.rollout_id = :rollout
"""


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the one-process fan-out with pyinstrument (bench/results/profiles/)",
    )
    parser.add_argument(
        "--workers-only",
        action="store_true",
        help="only the run with the workers (not the week again in one process)",
    )
    args = parser.parse_args()
    learners = sized(args.scale, 5_000, 50_000, medium=30_000, huge=1_000_000)
    from bench._pg import scratch_database

    with scratch_database("summit_bench_journey", args.database_url) as url:
        run(
            url.render_as_string(hide_password=False),
            learners,
            profile=f"{args.scale}-journey" if args.profile else None,
            one_process=not args.workers_only,
        )


def run(
    database_url: str, learners: int, *, profile: str | None = None, one_process: bool = True
) -> None:
    from flask_migrate import upgrade
    from rq import Queue

    from app import create_app
    from app.calls.models import CallSession
    from app.extensions import db
    from app.journey import services
    from app.mail.models import OutboundEmail
    from app.regions.services import sync_regions
    from app.tasks import get_redis

    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "redis_url": REDIS_URL,
            "base_url": "http://summit.bench",
            "regions_dir": ROOT / "regions",
        }
    )
    with app.app_context():
        upgrade()
        sync_regions(directory=ROOT / "regions")
        db.session.commit()
        from bench._pg import seed_learners

        seeded = seed_learners(learners, region_code="fr")
        region, rollout, program = seeded["region"], seeded["rollout"], seeded["program"]
        params = {"rollout": rollout.id}
        db.session.execute(
            text(
                "UPDATE enrollment SET buddy_group = 1000000 + (id + 1) / 2, state = 'active' "
                "WHERE rollout_id = :rollout"
            ),
            params,
        )
        first_two = [m.id for m in sorted(program.modules, key=lambda m: m.position)[:2]]
        db.session.execute(
            text(
                "INSERT INTO module_progress (region_id, rollout_id, enrollment_id, module_id, "
                "percent, completed, observed_at, source) SELECT e.region_id, e.rollout_id, e.id, "
                "m, 100, true, now(), 'bench' FROM enrollment e, unnest(CAST(:modules AS int[])) m "
                "WHERE e.rollout_id = :rollout"
            ),
            {**params, "modules": first_two},
        )
        db.session.add(
            CallSession(
                region_id=region.id,
                rollout_id=rollout.id,
                series_date=datetime(2026, 9, 24, tzinfo=UTC).date(),
                starts_at=datetime(2026, 9, 24, 14, 0, tzinfo=UTC),
            )
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        rss_seeded = peak_rss_mb()  # the peak so far: the seeding's

        summit, batches, rss_fanned_out = None, 0, None
        if one_process:
            summit, batches = one_process_run(region, learners, profile=profile)
            # the peak once every email is queued, before the raw tool and the recipients
            # query (which holds all the rows at once): the fan-out's own, if above seeding's
            rss_fanned_out = peak_rss_mb()
            db.session.execute(text("TRUNCATE journey_send, outbound_email CASCADE"))
            db.session.commit()
            db.session.execute(text("ANALYZE journey_send, outbound_email"))
            db.session.commit()
            Queue("mail", connection=get_redis()).empty()  # the delivery jobs this run queued

        # as production runs it: the scheduler's job on the default queue, cut into range
        # jobs that WORKERS `summit worker`s share
        parallel = parallel_run(
            database_url, region.id, services.send_time(region, WEEK), expected=learners
        )
        from jobs.journey import RANGE

        ranges = len(services.range_bounds(region.id, RANGE)) + 1
        db.session.rollback()
        assert db.session.scalar(text("SELECT count(*) FROM journey_send")) == learners
        assert (
            db.session.scalar(
                text("SELECT count(*) FROM outbound_email WHERE kind = 'journey/weekly'")
            )
            == learners
        )
        rss_parallel = peak_rss_mb()

        sample = db.session.scalars(
            db.select(OutboundEmail).where(OutboundEmail.kind == "journey/weekly").limit(1)
        ).one()
        started = time.perf_counter()
        db.session.execute(
            text(RAW_OUTBOX),
            {**params, "text": sample.text_body, "html": sample.html_body},
        )
        db.session.commit()
        raw = time.perf_counter() - started

        started = time.perf_counter()
        again = services.send_batch(region=region, week=WEEK)
        db.session.commit()
        second = time.perf_counter() - started
        assert again.queued == 0 and again.selected == 0

        started = time.perf_counter()
        db.session.execute(services.recipients(region.id, "2026-W40", limit=learners + 1)).all()
        db.session.rollback()
        select_all = time.perf_counter() - started
        Queue("mail", connection=get_redis()).empty()  # the delivery jobs this run queued

    label = f"{learners:,} learners"
    alone = f"{summit:.1f} s" if summit is not None else "not run"
    print(
        f"{label}: render + queue {parallel:.1f} s with {WORKERS} workers ({ranges} ranges), "
        f"one process: {alone}" + (f" ({parallel / summit:.2f} of it)" if summit else "")
    )
    Figure(
        "journey",
        f"{label}: weekly email, render + queue, {WORKERS} workers ({ranges} range jobs of "
        f"{RANGE:,} enrollments; one process: {alone})",
        round(parallel, 2),
        "s",
        round(raw, 2),
        "raw INSERT … SELECT of the same number of pre-rendered outbox rows",
        round(parallel / raw, 1) if raw else None,
    ).emit()
    if summit is not None:
        Figure(
            "journey",
            f"{label}: weekly email, render + queue in one process "
            f"({batches} batches of {services.BATCH})",
            round(summit, 2),
            "s",
            round(raw, 2),
            "raw INSERT … SELECT of the same number of pre-rendered outbox rows",
            round(summit / raw, 1) if raw else None,
        ).emit()
        Figure(
            "journey",
            f"{label}: per email, one process",
            round(1000 * summit / learners, 2),
            "ms",
            round(1000 * raw / learners, 3),
            "raw INSERT … SELECT, per row",
            round(summit / raw, 1) if raw else None,
        ).emit()
    Figure(
        "journey", f"{label}: second tick of the week (sends nothing)", round(second, 3), "s"
    ).emit()
    Figure(
        "journey", f"{label}: the week's recipients, one query", round(select_all, 3), "s"
    ).emit()
    Figure("journey", f"{label}: peak RSS after seeding", round(rss_seeded), "MB").emit()
    if rss_fanned_out is not None:
        Figure(
            "journey",
            f"{label}: peak RSS after the fan-out (bounded: batches)",
            round(rss_fanned_out),
            "MB",
        ).emit()
    Figure(
        "journey",
        f"{label}: peak RSS after the parallel run (bench process)",
        round(rss_parallel),
        "MB",
    ).emit()
    Figure("journey", f"{label}: peak RSS at the end", round(peak_rss_mb()), "MB").emit()


def one_process_run(region: Any, learners: int, *, profile: str | None) -> tuple[float, int]:
    """The week's batches one after the other in this process, as one job runs a range:
    seconds and batches."""
    from app.extensions import db
    from app.journey import services
    from app.journey.content import WeekContent

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    after, queued, batches = 0, 0, 0
    # as the job runs it: one WeekContent for the week, each shape rendered once
    week_content = WeekContent(region=region, week=WEEK, now=services.send_time(region, WEEK))
    while True:
        result = services.send_batch(
            region=region, week=WEEK, after=after, week_content=week_content
        )
        db.session.commit()
        queued += result.queued
        batches += 1
        if result.selected < services.BATCH:
            break
        after = result.last_id
    seconds = time.perf_counter() - started
    assert queued == learners, (queued, learners)
    if profiler is not None:
        profiler.stop()
        out = ROOT / "bench" / "results" / "profiles"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{profile}.txt").write_text(profiler.output_text(unicode=True))
        profiler.write_html(str(out / f"{profile}.html"))
    return seconds, batches


def parallel_run(database_url: str, region_id: int, slot: datetime, *, expected: int) -> float:
    """Seconds from queueing the region's weekly job (as the scheduler does) until every
    one of ``expected`` emails is queued, with WORKERS real `summit worker` processes on
    the default queue (PYTHONPATH decides whose code they run)."""
    from rq import Queue, Worker
    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from app.extensions import db
    from app.tasks import get_redis

    connection = get_redis()
    default = Queue("default", connection=connection)
    default.empty()
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SUMMIT_BASE_URL": "http://summit.bench",
    }
    names = [f"bench-journey-{n}-{uuid.uuid4().hex[:6]}" for n in range(WORKERS)]
    workers = [
        subprocess.Popen(
            [str(BIN / "summit"), "worker", "--name", name, "--queue", "default"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for name in names
    ]
    try:
        while sum(w.name in names for w in Worker.all(connection=connection)) < WORKERS:
            time.sleep(0.1)
        failed, started_jobs = FailedJobRegistry(queue=default), StartedJobRegistry(queue=default)
        failed_before = failed.count
        started = time.perf_counter()
        # kept an hour: RQ drops a finished job's hash after 500 s, the ranges run longer
        parent = default.enqueue(
            "jobs.journey.send_weekly",
            region_id,
            slot.isoformat(),
            job_timeout=1800,
            result_ttl=3600,
        )
        parent_done = False
        while True:
            time.sleep(0.5)
            if failed.count > failed_before:
                raise RuntimeError("a journey job failed (see `rq info`, the failed registry)")
            parent_done = parent_done or parent.get_status(refresh=True) == JobStatus.FINISHED
            if not parent_done:
                continue
            if default.count or started_jobs.count:
                continue  # counting a million rows only once the queue looks done
            sent = db.session.scalar(text("SELECT count(*) FROM journey_send"))
            db.session.rollback()
            if sent >= expected:
                break
        seconds = time.perf_counter() - started
    finally:
        for proc in workers:
            stop_worker(proc)
        for worker in Worker.all(connection=connection):
            if worker.name in names:
                worker.register_death()
        Queue("mail", connection=connection).empty()
    return seconds


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker and its work horse (RQ runs the horse in a session of its own)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == proc.pid:
                os.kill(int(stat.parent.name), 9)
        except (OSError, ValueError):
            continue
    proc.kill()
    proc.wait()


if __name__ == "__main__":
    main()
