"""Manager sign-off at scale: the dashboard's figures and the daily request run.

    .venv/bin/python -m bench.approvals [--scale small|medium|full|huge] [--database-url postgresql://...]

Builds a scratch PostgreSQL database (migrations, regions), puts every allocation in
one region (the worst case: small = 20,000, full = 300,000 learners), then times

* ``queries.funnels`` (requested/approved/declined/proposed, pending by age, median
  time to decision) next to the same SQL sent raw through psycopg;
* ``send_due_requests`` for 10% newly committed learners (one email per manager)
  next to the raw work: the same templates rendered and the outbox rows inserted
  with one ``executemany``.

Prints one ``BENCH {json}`` line per figure (the format of ``bench/common.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

from bench.common import SCALES, sized

RESULT_PREFIX = "BENCH "
_LEARNERS = 0
ROOT = Path(__file__).resolve().parent.parent


def emit(figure: str, value: float, unit: str, raw: float, raw_label: str) -> None:
    print(
        RESULT_PREFIX
        + json.dumps(
            {
                "benchmark": "approvals",
                "figure": f"{_LEARNERS:,} learners: {figure}",
                "value": round(value, 4),
                "unit": unit,
                "raw_value": round(raw, 4),
                "raw_label": raw_label,
                "ratio": round(value / raw, 2) if raw else None,
                "target": "",
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("SCALE", "small"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    learners = int(os.environ.get("BENCH_LEARNERS", 0)) or (sized(args.scale, 20_000, 300_000))
    global _LEARNERS
    _LEARNERS = learners

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(args.database_url))
    name = f"summit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(url.set(database=name).render_as_string(hide_password=False), learners)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def run(database_url: str, learners: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.programs.models import Program, Term
    from app.regions.models import Region
    from app.regions.services import sync_regions
    from app.rollouts.models import Rollout
    from app.tasks import drain_inline_jobs

    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "redis_url": "redis://127.0.0.1:6379/4",
            "base_url": "http://summit.bench",
            "jobs_inline": True,
            "regions_dir": ROOT / "regions",
        }
    )
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    with app.app_context():
        upgrade()
        sync_regions(directory=ROOT / "regions")
        region = db.session.scalars(select(Region).where(Region.code == "de")).one()
        program = Program(
            slug="bench", title="Bench program", provider="Open edX", course_url="https://x"
        )
        program.terms = [
            Term(number=1, title="Term 1", starts_on=date(2026, 9, 7), ends_on=date(2026, 10, 4))
        ]
        db.session.add(program)
        db.session.flush()
        rollout = Rollout(
            slug="bench-de",
            program_id=program.id,
            region_id=region.id,
            cohort_start=date(2026, 9, 7),
            call_weekday=3,
            call_time=time_of_day(16, 0),
            sponsor_message="Give your people the hours.",
        )
        db.session.add(rollout)
        db.session.flush()
        started = time.perf_counter()
        seed(region.id, rollout.id, learners, now)
        db.session.commit()
        # planner statistics, as autovacuum keeps them in production
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"dataset: {learners:,} allocations in {time.perf_counter() - started:.1f}s")
        bench_funnels(region.id, rollout.id, now)
        bench_requests(app, region, now)
        # the request emails are delivered by inline jobs: let them finish before the
        # database is dropped (it was dropped under a running job: tracebacks, exit 0)
        failures = drain_inline_jobs(app)
        if failures:
            raise SystemExit(f"{failures} inline jobs failed")


#: the allocation of the i-th learner (in enrollment order): cycles through these statuses
STATUSES = ("approved", "approved", "declined", "proposed", "pending")


def seed(region_id: int, rollout_id: int, learners: int, now: datetime) -> None:
    """One manager per ten learners, every learner committed ten days ago with a time
    allocation: statuses in turn, requested 0-19 days ago, 10% committed since the last
    run (pending, not yet asked). Set-based (INSERT … SELECT), as a roster import writes."""
    from sqlalchemy import text

    from app.extensions import db

    at = now.astimezone(UTC).replace(tzinfo=None)
    params = {
        "region": region_id,
        "rollout": rollout_id,
        "n": learners,
        "managers": learners // 10,
        "now": at,
        "committed": at - timedelta(days=10),
        "statuses": list(STATUSES),
    }
    statements = [
        "INSERT INTO person (employee_id, email, name, region_id, created_at, updated_at) "
        "SELECT 'M' || g, 'm' || g || '@example.com', 'Manager ' || g, :region, :now, :now "
        "FROM generate_series(0, :managers - 1) g",
        "INSERT INTO person (employee_id, email, name, region_id, manager_id, created_at, "
        "updated_at) "
        "SELECT 'L' || g, 'l' || g || '@example.com', 'Learner ' || g, :region, m.id, :now, :now "
        "FROM generate_series(0, :n - 1) g JOIN person m ON m.employee_id = 'M' || (g % :managers)",
        "INSERT INTO enrollment (rollout_id, person_id, region_id, state, committed_at, "
        "missing_from_roster, leaderboard_opt_in) "
        "SELECT :rollout, p.id, :region, 'committed', :committed, false, false "
        "FROM person p WHERE p.employee_id LIKE 'L%' ORDER BY p.id",
        # i: the enrollment's place; fresh (i % 10 = 9): pending, not asked yet
        "INSERT INTO time_allocation (region_id, enrollment_id, manager_id, status, "
        "hours_requested, hours_decided, requested_at, request_sent_at, decided_at, "
        "reminders_sent, decision_count) "
        "SELECT :region, x.id, x.manager_id, "
        "  CASE WHEN x.i % 10 = 9 THEN 'pending' ELSE x.status END, 2.0, "
        "  CASE WHEN x.i % 10 = 9 OR x.status = 'pending' THEN NULL ELSE 2.0 END, "
        "  :now - make_interval(days => (x.i % 20)::int), "
        "  CASE WHEN x.i % 10 = 9 THEN NULL "
        "       ELSE :now - make_interval(days => (x.i % 20)::int) END, "
        "  CASE WHEN x.i % 10 = 9 OR x.status = 'pending' THEN NULL "
        "       ELSE :now - make_interval(hours => (x.i % 90)::int) END, 0, 0 "
        "FROM (SELECT e.id, p.manager_id, e.i, "
        "             (CAST(:statuses AS text[]))[e.i % 5 + 1] AS status "
        "      FROM (SELECT id, person_id, row_number() OVER (ORDER BY id) - 1 AS i "
        "            FROM enrollment WHERE rollout_id = :rollout) e "
        "      JOIN person p ON p.id = e.person_id) x",
    ]
    for sql in statements:
        db.session.execute(text(sql), params)


def bench_funnels(region_id: int, rollout_id: int, now: datetime) -> None:
    from sqlalchemy import text

    from app.approvals import queries
    from app.extensions import db

    queries.funnels(region_id=region_id, rollout_ids=[rollout_id], now=now)  # warm
    started = time.perf_counter()
    figures = queries.funnels(region_id=region_id, rollout_ids=[rollout_id], now=now)
    ours = time.perf_counter() - started
    params = {
        "r": region_id,
        "o": rollout_id,
        "d3": (now - timedelta(days=3)).replace(tzinfo=None),
        "d7": (now - timedelta(days=7)).replace(tzinfo=None),
        "d14": (now - timedelta(days=14)).replace(tzinfo=None),
    }
    join = (
        "FROM time_allocation t JOIN enrollment e ON e.id = t.enrollment_id "
        "WHERE t.region_id = :r AND e.rollout_id IN (:o)"
    )
    conn = db.session.connection()
    started = time.perf_counter()
    conn.execute(
        text(f"SELECT e.rollout_id, t.status, count(*) {join} GROUP BY 1, 2"),
        params,
    ).all()
    conn.execute(
        text(
            "SELECT e.rollout_id, CASE WHEN t.requested_at > :d3 THEN 0 "
            "WHEN t.requested_at > :d7 THEN 1 WHEN t.requested_at > :d14 THEN 2 ELSE 3 END b, "
            f"count(*) {join} AND t.status = 'pending' GROUP BY 1, 2"
        ),
        params,
    ).all()
    conn.execute(
        text(
            "SELECT e.rollout_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "  # noqa: S608
            f"t.decided_at - coalesce(t.request_sent_at, t.requested_at))) {join} "
            "AND t.decided_at IS NOT NULL GROUP BY 1"
        ),
        params,
    ).all()
    raw = time.perf_counter() - started
    print(f"funnel: requested {figures[rollout_id].requested:,}, ours {ours:.3f}s, raw {raw:.3f}s")
    emit("dashboard funnel, one region", ours, "s", raw, "the same SQL through psycopg")


def bench_requests(app: object, region: object, now: datetime) -> None:
    from sqlalchemy import func, select, text

    from app.approvals.emails import request_context
    from app.approvals.models import TimeAllocation
    from app.approvals.request_emails import send_due_requests
    from app.extensions import db
    from app.mail.models import OutboundEmail
    from app.mail.rendering import render_email
    from app.tasks import drain_inline_jobs

    started = time.perf_counter()
    sent = send_due_requests(region=region, now=now)  # type: ignore[arg-type]
    db.session.commit()
    ours = time.perf_counter() - started
    # the commit started the inline delivery job: not part of the run, and not to share
    # the machine with the raw figure's timing
    drain_inline_jobs(app)  # type: ignore[arg-type]
    # the raw work: render the same emails and insert the outbox rows in one executemany
    emails = db.session.scalars(select(OutboundEmail).limit(sent)).all()
    sample = db.session.scalars(select(TimeAllocation).limit(10)).all()
    rollout = sample[0].enrollment.rollout
    recipient = sample[0].manager
    context = request_context(
        recipient=recipient, rollout=rollout, allocations=sample, occasion="request"
    )
    started = time.perf_counter()
    rows = []
    for i, email in enumerate(emails):
        rendered = render_email("approvals/request", locale="de_DE", context=context)
        rows.append(
            {
                "k": f"raw:{i}",
                "kind": "approvals/request",
                "to": email.to_address,
                "s": rendered.subject,
                "t": rendered.text,
                "h": rendered.html,
                "m": f"<raw{i}@summit>",
            }
        )
    db.session.connection().execute(
        text(
            "INSERT INTO outbound_email (idempotency_key, kind, to_address, to_name, subject, "
            "text_body, html_body, message_id, status, attempts, created_at, next_attempt_at) "
            "VALUES (:k, :kind, :to, '', :s, :t, :h, :m, 'pending', 0, now(), now())"
        ),
        rows,
    )
    db.session.commit()
    raw = time.perf_counter() - started
    total = db.session.scalar(select(func.count()).select_from(OutboundEmail))
    print(f"requests: {sent:,} emails ({total:,} outbox rows), ours {ours:.2f}s, raw {raw:.2f}s")
    emit(
        "daily request run, per email",
        ours / max(sent, 1) * 1000,
        "ms",
        raw / max(sent, 1) * 1000,
        "same templates rendered + one executemany INSERT",
    )


if __name__ == "__main__":
    main()
