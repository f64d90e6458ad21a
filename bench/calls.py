"""Benchmark: the calls read side and the attendance import at one big rollout's size.

A rollout of 6,000 active learners (300,000 learners over 50 regions) with 12 held
calls. Prints each Summit figure next to the raw tool doing the same work in the
same run, and their ratio:

- ``missed_calls_in_a_row`` (ORM, region-scoped) vs the same SQL through sqlite3;
- parsing a 6,000-row UTF-16 Teams report vs a bare ``csv.reader`` over it.

Run: ``.venv/bin/python bench/calls.py`` (SQLite in a temporary file).
"""

from __future__ import annotations

import codecs
import csv
import io
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LEARNERS = 6000
HELD = 12


def main() -> None:
    from bench.common import Figure, make_parser, sized

    args = make_parser(__doc__ or "").parse_args()
    global LEARNERS
    LEARNERS = sized(args.scale, 1_000, 6_000)
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from app import create_app
    from app.calls.attendance import parse_report
    from app.calls.models import CallAttendance, CallSession
    from app.calls.queries import missed_calls_in_a_row
    from app.extensions import db
    from app.people.models import Person
    from app.programs.models import Program
    from app.regions.models import Region
    from app.regions.services import sync_regions
    from app.rollouts.models import Enrollment, Rollout

    path = Path(tempfile.mkdtemp()) / "bench.db"
    app = create_app({"database_url": f"sqlite:///{path}", "env": "test"})
    rng = random.Random(7)
    with app.app_context():
        upgrade()
        sync_regions(directory=Path(__file__).resolve().parent.parent / "regions")
        region = db.session.scalars(select(Region).where(Region.code == "de")).one()
        program = Program(slug="p", title="P", provider="x", course_url="https://x")
        db.session.add(program)
        db.session.flush()
        start = datetime(2026, 9, 10, 14, 0, tzinfo=UTC)
        rollout = Rollout(
            slug="big",
            program_id=program.id,
            region_id=region.id,
            cohort_start=start.date(),
            call_weekday=3,
            call_time=region.call_time,
        )
        db.session.add(rollout)
        db.session.flush()
        db.session.execute(
            insert(Person),
            [
                {
                    "employee_id": f"E{i}",
                    "email": f"p{i}@example.com",
                    "name": f"Person {i}",
                    "region_id": region.id,
                }
                for i in range(LEARNERS)
            ],
        )
        people = db.session.scalars(select(Person.id)).all()
        db.session.execute(
            insert(Enrollment),
            [
                {
                    "rollout_id": rollout.id,
                    "person_id": pid,
                    "region_id": region.id,
                    "state": "active",
                    "time_approved_at": start - timedelta(days=3),
                }
                for pid in people
            ],
        )
        sessions = []
        for week in range(HELD):
            s = CallSession(
                region_id=region.id,
                rollout_id=rollout.id,
                series_date=(start + timedelta(weeks=week)).date(),
                starts_at=start + timedelta(weeks=week),
            )
            db.session.add(s)
            sessions.append(s)
        db.session.flush()
        enrollments = db.session.scalars(select(Enrollment.id)).all()
        db.session.execute(
            insert(CallAttendance),
            [
                {
                    "session_id": s.id,
                    "enrollment_id": eid,
                    "region_id": region.id,
                    "attended": rng.random() < 0.75,
                    "source": "upload",
                    "recorded_at": start,
                }
                for s in sessions
                for eid in enrollments
            ],
        )
        db.session.commit()
        now = start + timedelta(weeks=HELD)

        t0 = time.perf_counter()
        ours = missed_calls_in_a_row(rollout_id=rollout.id, now=now)
        t_ours = time.perf_counter() - t0
        raw_sql = """
        WITH held AS (
          SELECT s.id, s.starts_at FROM call_session s
          WHERE s.rollout_id = :r AND s.status = 'scheduled' AND s.starts_at <= :now
            AND EXISTS (SELECT 1 FROM call_attendance a WHERE a.session_id = s.id)),
        last AS (
          SELECT a.enrollment_id, MAX(s.starts_at) AS last_at FROM call_attendance a
          JOIN call_session s ON s.id = a.session_id
          WHERE s.rollout_id = :r AND a.attended = 1 GROUP BY a.enrollment_id)
        SELECT e.id, COUNT(h.id) FROM enrollment e
        LEFT JOIN last l ON l.enrollment_id = e.id
        LEFT JOIN held h ON h.starts_at >= e.time_approved_at
          AND (l.last_at IS NULL OR h.starts_at > l.last_at)
        WHERE e.rollout_id = :r AND e.state IN ('time_approved', 'active')
        GROUP BY e.id"""
        conn = sqlite3.connect(path)
        t0 = time.perf_counter()
        raw = dict(
            conn.execute(
                raw_sql, {"r": rollout.id, "now": now.replace(tzinfo=None).isoformat(sep=" ")}
            ).fetchall()
        )
        t_raw = time.perf_counter() - t0
        assert raw == ours, "raw SQL and missed_calls_in_a_row disagree"
        Figure(
            "calls",
            f"missed calls in a row, {LEARNERS:,} learners × {HELD} calls (SQLite)",
            t_ours * 1000,
            "ms",
            t_raw * 1000,
            "the same SQL through sqlite3",
            t_ours / t_raw,
        ).emit()
        print(
            f"missed_calls_in_a_row, {LEARNERS} learners x {HELD} calls: "
            f"summit {t_ours * 1000:.0f} ms, raw sqlite3 {t_raw * 1000:.0f} ms, "
            f"ratio {t_ours / t_raw:.2f}"
        )

    lines = [
        "1. Summary",
        "Meeting title\tBench",
        "",
        "2. Participants",
        "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole",
    ]
    lines += [
        f"Person {i}\t9/10/26, 4:00:12 PM\t9/10/26, 4:45:00 PM\t44m 48s\t"
        f"p{i}@example.com\tp{i}@example.com\tAttendee"
        for i in range(LEARNERS)
    ]
    data = codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le")
    t0 = time.perf_counter()
    _, rows = parse_report(data)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    bare = list(csv.reader(io.StringIO(data.decode("utf-16")), delimiter="\t"))
    t_raw = time.perf_counter() - t0
    assert len(rows) == LEARNERS and len(bare) == LEARNERS + 5
    print(
        f"Teams report parse, {LEARNERS} rows UTF-16: summit {t_ours * 1000:.0f} ms, "
        f"bare csv.reader {t_raw * 1000:.0f} ms, ratio {t_ours / t_raw:.2f}"
    )
    Figure(
        "calls",
        f"Teams attendance report parse, {LEARNERS:,} rows UTF-16",
        t_ours * 1000,
        "ms",
        t_raw * 1000,
        "bare csv.reader",
        t_ours / t_raw,
    ).emit()


if __name__ == "__main__":
    main()
