# ruff: noqa: S608  (SQL built from constant fragments; values are bound)
"""Benchmark: build and render every weekly report for 50 regions and N learners.

    .venv/bin/python -m bench.reports --scale small|medium|full|huge [--learners N]
    (small: 20,000 learners; full: 300,000; BENCH_DATABASE_URL names the server)

Creates a throw-away PostgreSQL database, fills it with set-based SQL (about 3.5
progress rows, a time allocation, two term reviews and a call attendance per
learner), then times ``build_week`` (all regional reports and the global one,
charts and CSV included, sending excluded) and counts its SQL statements, first
at a tenth of the learners and then at all of them: the count must not change.
Next to it, in the same run, the raw tool: one hand-written aggregate SQL over the
enrollments of all 50 regions.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from datetime import time as dtime

from sqlalchemy import event, text

REGIONS = 50
WEEK = "2026-W47"
ZONES = [
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/Paris",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "Asia/Singapore",
]


def _fill(
    raw_conn,
    first: int,
    last: int,
    total: int | None = None,
    regions: int = REGIONS,
    progress_per_learner: int | None = None,
) -> None:
    """Learners ``first``..``last`` (ids), spread over the ``regions`` rollouts, set-based:
    round robin (the worst case for the pages: a rollout's rows on every page of the
    table), or with ``total``, in blocks of ``total / regions`` (as roster imports write
    them). Progress: a row per completed module of each active learner (about 1.9 a
    learner), or with ``progress_per_learner`` 5, 4–6 modules of every learner (issue 26's
    5,000,000 rows for 1,000,000 learners)."""
    p = {"a": first, "b": last, "n": regions, "total": total or 0}
    # the rollout (and region) number of learner i
    k = "((i - 1) * :n / :total)" if total else "(i % :n)"

    class Timed:
        def execute(self, statement, params=None):
            start = time.perf_counter()
            out = raw_conn.execute(statement, params)
            took = time.perf_counter() - start
            if took > 2:
                print(f"  fill: {took:.1f} s for {' '.join(str(statement).split()[:3])}")
            return out

    conn = Timed()
    # a learner lives in their rollout's region (the example regions come first in ``region``)
    conn.execute(
        text(f"""
        INSERT INTO person (id, employee_id, email, name, created_at, updated_at, region_id)
        SELECT i, 'B' || i, 'learner' || i || '@bench.example', 'Learner ' || i,
               now(), now(), (SELECT region_id FROM rollout ORDER BY id OFFSET {k} LIMIT 1)
        FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) i"""),
        p,
    )
    conn.execute(
        text(f"""
        INSERT INTO enrollment (id, rollout_id, person_id, region_id, state, missing_from_roster,
            leaderboard_opt_in, invited_at, committed_at, time_approved_at, activated_at,
            completed_at, left_at, goal_reached)
        SELECT i, r.id, i, r.region_id,
          CASE WHEN i % 20 < 4 THEN 'completed' WHEN i % 20 < 12 OR i % 20 = 19 THEN 'active'
               WHEN i % 20 < 14 THEN 'time_approved' WHEN i % 20 < 16 THEN 'committed'
               WHEN i % 20 = 16 THEN 'invited' WHEN i % 20 = 17 THEN 'withdrawn'
               ELSE 'removed' END,
          false, false,
          timestamp '2026-08-25 09:00',
          CASE WHEN i % 20 <> 16 THEN timestamp '2026-08-26 09:00' + (i % 7) * interval '1 day' END,
          CASE WHEN i % 20 < 14 OR i % 20 > 16
               THEN timestamp '2026-09-03 09:00' + (i % 5) * interval '1 hour' END,
          CASE WHEN i % 20 < 12 OR i % 20 > 16 THEN timestamp '2026-09-07 09:00' END,
          CASE WHEN i % 20 < 4 THEN timestamp '2026-09-20 09:00' + (i % 70) * interval '1 day' END,
          CASE WHEN i % 20 IN (17, 18) THEN timestamp '2026-10-06 09:00' END,
          CASE WHEN i % 20 < 4 THEN (ARRAY['reached','partly','not', NULL])[1 + i % 4] END
        FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) i
        JOIN (SELECT id, region_id, row_number() OVER (ORDER BY id) - 1 AS k FROM rollout) r
          ON r.k = {k}"""),
        p,
    )
    if progress_per_learner is None:
        conn.execute(
            text("""
            INSERT INTO module_progress (enrollment_id, module_id, region_id, rollout_id, percent,
                completed, observed_at, source)
            SELECT e.id, m.id, e.region_id, e.rollout_id, 100, true,
                   timestamp '2026-09-10 09:00' + ((e.id * 7 + m.position) % 75) * interval '1 day',
                   'generic'
            FROM enrollment e JOIN module m ON m.position <= e.id % 6
            WHERE e.id BETWEEN :a AND :b AND e.activated_at IS NOT NULL"""),
            p,
        )
    else:
        conn.execute(
            text("""
            INSERT INTO module_progress (enrollment_id, module_id, region_id, rollout_id, percent,
                completed, observed_at, source)
            SELECT e.id, m.id, e.region_id, e.rollout_id,
                   CASE WHEN m.position <= 3 + e.id % 3 THEN 100 ELSE 40 END,
                   m.position <= 3 + e.id % 3,
                   timestamp '2026-09-10 09:00' + ((e.id * 7 + m.position) % 75) * interval '1 day',
                   'generic'
            FROM enrollment e JOIN module m ON m.position <= :per - 1 + e.id % 3
            WHERE e.id BETWEEN :a AND :b"""),
            {**p, "per": progress_per_learner},
        )
    conn.execute(
        text("""
        INSERT INTO time_allocation (enrollment_id, manager_id, region_id, status, hours_requested,
            requested_at, decided_at, reminders_sent)
        SELECT e.id, e.person_id, e.region_id,
               CASE WHEN e.time_approved_at IS NOT NULL THEN 'approved' ELSE 'pending' END, 2,
               e.committed_at,
               CASE WHEN e.time_approved_at IS NOT NULL
                    THEN e.committed_at + (e.id % 96) * interval '1 hour' END, 0
        FROM enrollment e WHERE e.id BETWEEN :a AND :b AND e.committed_at IS NOT NULL"""),
        p,
    )
    conn.execute(
        text("""
        INSERT INTO call_attendance (session_id, enrollment_id, region_id, attended, source)
        SELECT s.id, e.id, e.region_id, e.id % 3 <> 0, 'upload'
        FROM enrollment e JOIN call_session s
          ON s.rollout_id = e.rollout_id AND s.series_date = date '2026-09-10' + (e.id % 11) * 7
        WHERE e.id BETWEEN :a AND :b AND e.activated_at IS NOT NULL"""),
        p,
    )
    conn.execute(
        text("""
        INSERT INTO term_review (enrollment_id, term_id, region_id, modules_expected, modules_done,
            verdict, buddy_confirmed_at, reviewed_at)
        SELECT e.id, t.id, e.region_id, 2 * t.number, e.id % 6,
               CASE WHEN e.state = 'removed' THEN 'confirmed_free_rider'
                    WHEN e.id % 25 = 5 THEN 'free_rider_candidate' ELSE 'on_track' END,
               CASE WHEN e.id % 3 <> 0 THEN t.ends_on + interval '2 days' END,
               CASE WHEN e.state = 'removed' THEN t.ends_on + interval '1 day' END
        FROM enrollment e JOIN rollout r ON r.id = e.rollout_id
        JOIN term t ON t.program_id = r.program_id AND t.number <= 2
        WHERE e.id BETWEEN :a AND :b AND e.committed_at IS NOT NULL"""),
        p,
    )
    conn.execute(
        text("""
        INSERT INTO master_class_invitation (master_class_id, enrollment_id, region_id, status,
            invited_at, responded_at)
        SELECT mc.id, e.id, e.region_id,
               CASE WHEN e.id % 4 = 0 THEN 'declined' ELSE 'accepted' END,
               e.completed_at, e.completed_at + interval '1 day'
        FROM enrollment e JOIN master_class mc ON mc.region_id = e.region_id
        WHERE e.id BETWEEN :a AND :b AND e.completed_at IS NOT NULL"""),
        p,
    )
    conn.execute(text("ANALYZE"))


def _organisation(db, regions: int = REGIONS) -> None:
    from app.calls.models import CallSession
    from app.masterclasses.models import MasterClass
    from app.programs.models import Module, Program, Term
    from app.regions.models import HolidayRule, Region, ReportingPolicy
    from app.rollouts.models import Rollout, RolloutSponsor, RolloutStatus

    program = Program(
        slug="bench",
        title="Bench program",
        provider="Open edX",
        course_url="https://example.com",
        hours_per_week=2.0,
    )
    modules = [Module(key=f"m{i}", title=f"Module {i}", position=i) for i in range(1, 7)]
    program.modules = modules
    for n in range(1, 4):
        start = date(2026, 9, 7) + (n - 1) * (date(2026, 10, 5) - date(2026, 9, 7))
        term = Term(
            number=n,
            title=f"Term {n}",
            starts_on=start,
            ends_on=start + (date(2026, 10, 4) - date(2026, 9, 7)),
        )
        term.required_modules = modules[: 2 * n]
        program.terms.append(term)
    db.session.add(program)
    for k in range(regions):
        region = Region(
            code=f"b{k:02d}",
            name=f"Region {k:02d}",
            time_zone=ZONES[k % len(ZONES)],
            locale=["en_GB", "de_DE", "fr_FR"][k % 3],
            holiday_country="DE",
            call_time=dtime(16, 0),
            call_on_holiday=HolidayRule.NEXT_BUSINESS_DAY,
            reporting_policy=ReportingPolicy.NAMED if k % 2 else ReportingPolicy.AGGREGATE,
            settings={},
        )
        db.session.add(region)
        db.session.flush()
        rollout = Rollout(
            slug=f"bench-{k:02d}",
            program=program,
            region_id=region.id,
            status=RolloutStatus.LAUNCHED,
            cohort_start=date(2026, 9, 7),
            call_weekday=3,
            call_time=dtime(16, 0),
        )
        rollout.sponsors.append(
            RolloutSponsor(
                region_id=region.id, name=f"Sponsor {k}", email=f"sponsor{k}@bench.example"
            )
        )
        db.session.add(rollout)
        db.session.flush()
        for week in range(16):
            day = date(2026, 9, 10) + (date(2026, 9, 17) - date(2026, 9, 10)) * week
            db.session.add(
                CallSession(
                    region_id=region.id,
                    rollout_id=rollout.id,
                    series_date=day,
                    starts_at=datetime.combine(day, dtime(15, 0), tzinfo=UTC),
                )
            )
        db.session.add(
            MasterClass(
                program_id=program.id,
                region_id=region.id,
                title=f"Master class {k}",
                capacity=500,
                starts_at=datetime(2026, 12, 8, 15, 0, tzinfo=UTC),
            )
        )
    db.session.commit()


RAW_SQL = """
SELECT region_id, count(*),
       sum(CASE WHEN state = 'withdrawn' AND left_at <= :t THEN 1 ELSE 0 END),
       sum(CASE WHEN completed_at <= :t THEN 1 ELSE 0 END),
       sum(CASE WHEN committed_at <= :t THEN 1 ELSE 0 END),
       sum(CASE WHEN activated_at <= :t THEN 1 ELSE 0 END)
FROM enrollment WHERE invited_at <= :t GROUP BY region_id
"""


def _measure(app, db, label: str) -> dict:
    from app.reports.services import build_week

    statements = []

    def count(*_args) -> None:
        statements.append(1)

    raw_start = time.perf_counter()
    with db.engine.connect() as conn:
        conn.execute(text(RAW_SQL), {"t": datetime(2026, 11, 23, tzinfo=UTC)}).all()
    raw = time.perf_counter() - raw_start
    event.listen(db.engine, "before_cursor_execute", count)
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    start = time.perf_counter()
    result = build_week(week=WEEK)
    db.session.flush()
    elapsed = time.perf_counter() - start
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(show_all=False, color=False)[:6000])
    event.remove(db.engine, "before_cursor_execute", count)
    db.session.rollback()
    from app.metrics.queries import compute
    from app.reports.services import reporting_regions
    from app.weeks import week_end

    sql_start = time.perf_counter()
    compute({r.id: week_end(WEEK, r.time_zone) for r in reporting_regions()})
    sql = time.perf_counter() - sql_start
    learners = db.session.execute(text("SELECT count(*) FROM enrollment")).scalar()
    print(
        f"{label}: {learners:,} learners, {len(result.reports)} reports built and rendered "
        f"in {elapsed:.2f} s with {len(statements)} SQL statements; raw aggregate SQL "
        f"{raw:.3f} s (ratio {elapsed / raw:.0f}x); of which one metrics pass (every family, "
        f"all regions) {sql:.2f} s, {sql / raw:.0f}x the raw query"
    )
    return {"seconds": elapsed, "statements": len(statements), "raw": raw}


def main() -> None:
    from bench.common import Figure, make_parser, regions, sized

    parser = make_parser(__doc__ or "")
    parser.add_argument("--learners", type=int, default=0)
    args = parser.parse_args()
    args.learners = args.learners or sized(args.scale, 20_000, 300_000)
    args.database = args.database_url
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from bench._pg import scratch_database

    with scratch_database("summit_bench_reports", args.database) as scratch:
        url = scratch.render_as_string(hide_password=False)
        app = create_app(
            {
                "env": "test",
                "database_url": url,
                "base_url": "http://summit.bench",
                "mail_transport": "dev",
            }
        )
        with app.app_context():
            upgrade()
            n_regions = regions(args.scale)
            _organisation(db, n_regions)
            tenth = args.learners // 10
            fill_start = time.perf_counter()
            with db.engine.begin() as conn:
                _fill(conn, 1, tenth, regions=n_regions)
            small = _measure(app, db, "1/10")
            with db.engine.begin() as conn:
                _fill(conn, tenth + 1, args.learners, regions=n_regions)
            print(f"(data generated in {time.perf_counter() - fill_start:.0f} s)")
            full = _measure(app, db, "full")
            limit = 30 if args.scale == "huge" else 60
            grows = "does not grow" if full["statements"] == small["statements"] else "GROWS"
            print(
                f"statements {small['statements']} → {full['statements']}: {grows} with "
                f"learners; target ≤ {limit} s: {'met' if full['seconds'] <= limit else 'MISSED'}"
            )
            label = f"{n_regions} regions, {args.learners:,} learners"
            Figure(
                "reports",
                f"{label}: build + render every report",
                full["seconds"],
                "s",
                full["raw"],
                "one aggregate SQL over all regions",
                full["seconds"] / full["raw"],
                "≤ 30 s" if args.scale == "huge" else "≤ 60 s",
            ).emit()
            Figure(
                "reports",
                f"{label}: SQL statements (a tenth of the learners: {small['statements']})",
                full["statements"],
                "statements",
                target="does not grow",
            ).emit()
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
