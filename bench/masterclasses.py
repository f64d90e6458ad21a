"""Benchmark: the regional leaderboard and the invitation sweep at scale.

Run: ``.venv/bin/python -m bench.masterclasses --scale small|medium|full|huge`` (2,000 or 20,000
learners; SQLite in a temp file,
or ``BENCH_DATABASE_URL=postgresql://...`` for a throw-away PostgreSQL database).
Each figure is printed next to the raw tool doing the same work in the same run
(the same SQL through the DB-API driver, no ORM, no email) and their ratio.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.common import Figure, make_parser, peak_rss_mb, sized

LEADERBOARD_SQL = """
SELECT e.id, p.name, COALESCE(t.n, 0) AS on_pace, COALESCE(c.n, 0) AS calls
FROM enrollment e JOIN person p ON p.id = e.person_id
LEFT JOIN (SELECT enrollment_id, COUNT(*) n FROM term_review
           WHERE region_id = :r AND verdict = 'on_track' GROUP BY enrollment_id) t
       ON t.enrollment_id = e.id
LEFT JOIN (SELECT enrollment_id, COUNT(*) n FROM call_attendance
           WHERE region_id = :r AND attended GROUP BY enrollment_id) c
       ON c.enrollment_id = e.id
WHERE e.region_id = :r AND e.leaderboard_opt_in
ORDER BY on_pace DESC, calls DESC, p.name, e.id LIMIT 50
"""
INVITE_SQL = """
INSERT INTO master_class_invitation
  (master_class_id, enrollment_id, region_id, status, invited_at, calendar_sequence)
SELECT :mc, e.id, e.region_id, 'invited', :now, 0 FROM enrollment e
JOIN rollout r ON r.id = e.rollout_id
WHERE r.program_id = :program AND e.state = 'completed' AND e.region_id = :r
  AND NOT EXISTS (SELECT 1 FROM master_class_invitation i
                  WHERE i.master_class_id = :mc AND i.enrollment_id = e.id)
"""


def _insert_chunked(model, rows, size: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    """Seed ``rows`` (a generator of dicts) in executemany chunks: a bounded list at a time."""
    from app.extensions import db

    rows = iter(rows)
    while chunk := list(itertools.islice(rows, size)):
        db.session.execute(insert(model), chunk)


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(learners: int = 20_000) -> None:
    from app import create_app
    from app.extensions import db

    tmp = tempfile.mkdtemp()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {
            "env": "test",
            "database_url": url,
            "jobs_inline": True,
            "mail_transport": "dev",
            "regions_dir": Path(__file__).resolve().parent.parent / "regions",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from app.calls.models import CallAttendance, CallSession
        from app.masterclasses.invitations import invite_completers
        from app.masterclasses.models import MasterClass
        from app.masterclasses.recognition import leaderboard
        from app.people.models import Person
        from app.programs.models import Program, Term
        from app.regions.models import Region
        from app.regions.services import sync_regions
        from app.rollouts.models import Enrollment, Rollout
        from app.tasks import drain_inline_jobs
        from app.terms.models import TermReview

        upgrade()
        sync_regions(directory=Path(__file__).resolve().parent.parent / "regions")
        region = db.session.scalars(select(Region).where(Region.code == "de")).one()
        program = Program(slug="bench", title="Bench", provider="x", course_url="https://x")
        start = date(2026, 9, 7)
        program.terms = [
            Term(
                number=n,
                starts_on=start + timedelta(weeks=4 * (n - 1)),
                ends_on=start + timedelta(weeks=4 * n, days=-1),
            )
            for n in (1, 2, 3)
        ]
        db.session.add(program)
        db.session.flush()
        rollout = Rollout(
            slug="bench-de",
            program_id=program.id,
            region_id=region.id,
            cohort_start=start,
            call_weekday=3,
            call_time=dt_time(16, 0),
        )
        db.session.add(rollout)
        db.session.flush()
        now = datetime.now(UTC)
        _insert_chunked(
            Person,
            (
                {
                    "employee_id": f"B{i}",
                    "email": f"b{i}@example.com",
                    "name": f"Learner {i:06d}",
                    "region_id": region.id,
                }
                for i in range(learners)
            ),
        )
        person_ids = db.session.scalars(select(Person.id).order_by(Person.id)).all()
        _insert_chunked(
            Enrollment,
            (
                {
                    "rollout_id": rollout.id,
                    "person_id": pid,
                    "region_id": region.id,
                    "state": "completed" if i % 10 == 0 else "active",
                    "leaderboard_opt_in": i % 3 == 0,
                }
                for i, pid in enumerate(person_ids)
            ),
        )
        enrollment_ids = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).all()
        term_ids = [t.id for t in program.terms]
        _insert_chunked(
            TermReview,
            (
                {
                    "enrollment_id": e,
                    "term_id": t,
                    "region_id": region.id,
                    "verdict": "on_track" if (e + t) % 4 else "at_risk",
                }
                for e in enrollment_ids
                for t in term_ids
            ),
        )
        sessions = [
            CallSession(
                rollout_id=rollout.id,
                region_id=region.id,
                series_date=start + timedelta(weeks=w),
                starts_at=now - timedelta(weeks=12 - w),
            )
            for w in range(10)
        ]
        db.session.add_all(sessions)
        db.session.flush()
        _insert_chunked(
            CallAttendance,
            (
                {"session_id": s.id, "enrollment_id": e, "region_id": region.id, "attended": True}
                for e in enrollment_ids
                for k, s in enumerate(sessions)
                if (e + k) % 3
            ),
        )
        mc = MasterClass(
            program_id=program.id,
            region_id=region.id,
            title="Bench class",
            starts_at=now + timedelta(days=20),
            capacity=100,
        )
        raw_mc = MasterClass(
            program_id=program.id,
            region_id=region.id,
            title="Raw class",
            starts_at=now + timedelta(days=20),
            capacity=100,
        )
        db.session.add_all([mc, raw_mc])
        db.session.commit()
        # statistics, as autovacuum keeps them on a live database: without them PostgreSQL
        # plans the leaderboard for empty tables (nested loops: 65 s at 20,000 learners)
        db.session.execute(text("ANALYZE"))
        db.session.commit()

        ours, rows = _timed(lambda: leaderboard(region_id=region.id, limit=50))
        raw_conn = db.engine.raw_connection()
        sql = text(LEADERBOARD_SQL).compile(db.engine, compile_kwargs={"literal_binds": False})
        params = {"r": region.id}
        stmt = str(sql)
        style = db.engine.dialect.paramstyle
        raw_params = [region.id] * stmt.count("?") if style == "qmark" else params
        cur = raw_conn.cursor()
        raw, raw_rows = _timed(
            lambda: (
                cur.execute(stmt, raw_params).fetchall()
                if style == "qmark"
                else (cur.execute(stmt, raw_params), cur.fetchall())[1]
            )
        )
        assert [r.enrollment_id for r in rows] == [r[0] for r in raw_rows]
        print(
            f"leaderboard of {learners:,} learners (top 50): summit {ours * 1000:.1f} ms, "
            f"raw SQL {raw * 1000:.1f} ms, ratio {ours / raw:.2f}"
        )
        Figure(
            "masterclasses",
            f"leaderboard, {learners:,} learners (top 50)",
            ours * 1000,
            "ms",
            raw * 1000,
            "the same SQL through the DB-API",
            ours / raw,
        ).emit()

        completers = len(range(0, learners, 10))  # every tenth learner, from the first
        rss_before = _rss_mb()
        ours, created = _timed(lambda: invite_completers(mc))
        db.session.commit()
        rss_after = _rss_mb()
        binds = {
            "mc": raw_mc.id,
            "now": now.replace(tzinfo=None),
            "program": program.id,
            "r": region.id,
        }
        raw, _ = _timed(lambda: (db.session.execute(text(INVITE_SQL), binds), db.session.commit()))
        print(
            f"invite {completers:,} completers: summit {ours:.2f} s (with one rendered email "
            f"each), raw INSERT…SELECT {raw * 1000:.1f} ms (no email), ratio {ours / raw:.0f}"
        )
        assert created == completers
        print(
            f"resident memory around the invite: {rss_before:.0f} MB before, "
            f"{rss_after:.0f} MB after (peak of the run so far {peak_rss_mb():.0f} MB)"
        )
        Figure(
            "masterclasses",
            f"invite {completers:,} completers (with one rendered email each)",
            ours,
            "s",
            raw,
            "INSERT…SELECT, no email",
            ours / raw,
        ).emit()
        raw_conn.close()
        # the invitations' emails are delivered by inline jobs: let them finish while the
        # interpreter is alive (at exit, each batch's follow-up job would run nested in the
        # last one's thread, holding a connection each until the pool runs out)
        drain_inline_jobs(app)


if __name__ == "__main__":
    _args = make_parser(__doc__ or "").parse_args()
    main(sized(_args.scale, 2_000, 20_000))
