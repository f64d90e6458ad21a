"""Benchmark: a 300,000-row roster into PostgreSQL, next to a raw COPY of the same file.

    .venv/bin/python -m bench.roster_import --scale small|full [--rows N]
    (small: 20,000 learners; full: 300,000; BENCH_DATABASE_URL names the server)

Creates a throw-away database, migrates it, writes the file (``roster_generator``),
then in the same run: (1) raw ``COPY`` of the file into a table of the same shape,
(2) Summit's import (streaming parse, COPY into staging, set-based checks and
upserts), (3) the same file again (everything unchanged). Prints seconds, peak RSS
of this process and the ratio to the raw COPY.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import Figure, make_parser, sized  # noqa: E402
from bench.roster_generator import write_roster  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=0, help="learners in the file")
    args = parser.parse_args()
    args.rows = args.rows or sized(args.scale, 20_000, 300_000)
    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(args.database_url))
    name = f"summit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(url.set(database=name).render_as_string(hide_password=False), args.rows)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_floor(db, region_id: int, rollout_id: int) -> float:  # type: ignore[no-untyped-def]
    """What any import pays at least: the rows written into tables shaped like Summit's."""
    statements = [
        "CREATE TABLE person_floor (LIKE person INCLUDING ALL)",
        "ALTER TABLE person_floor ADD FOREIGN KEY (manager_id) REFERENCES person_floor (id)",
        "ALTER TABLE person_floor ADD FOREIGN KEY (region_id) REFERENCES region (id)",
        "CREATE TABLE enrollment_floor (LIKE enrollment INCLUDING ALL)",
        "ALTER TABLE enrollment_floor ADD FOREIGN KEY (person_id) REFERENCES person_floor (id)",
        "ALTER TABLE enrollment_floor ADD FOREIGN KEY (rollout_id) REFERENCES rollout (id)",
        "ALTER TABLE enrollment_floor ADD FOREIGN KEY (region_id) REFERENCES region (id)",
        "CREATE TABLE numbered AS SELECT row_number() OVER () AS id, r.* FROM raw_roster r",
    ]
    with db.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person_floor (id, employee_id, email, name, locale, region_id, "
                "manager_id, created_at, updated_at) SELECT n.id, n.employee_id, n.email, "
                "n.first_name || ' ' || n.last_name, n.language, :region, m.id, now(), now() "
                "FROM numbered n LEFT JOIN numbered m ON m.employee_id = n.manager "
                "ORDER BY n.id"
            ),
            {"region": region_id},
        )
        conn.execute(
            text(
                "INSERT INTO enrollment_floor (rollout_id, region_id, person_id, state, "
                "missing_from_roster, leaderboard_opt_in, commit_reminders_sent) "
                "SELECT :rollout, :region, id, 'invited', false, false, 0 FROM numbered "
                "WHERE learner = 'yes'"
            ),
            {"region": region_id, "rollout": rollout_id},
        )
    return time.perf_counter() - t0


def run(database_url: str, learners: int) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.programs.models import Program
    from app.regions.models import Region
    from app.rollouts.imports import import_roster_file
    from app.rollouts.models import Rollout

    app = create_app({"env": "test", "database_url": database_url, "base_url": "http://bench.test"})
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        upgrade()
        region = Region(
            code="bench",
            name="Bench",
            time_zone="Europe/Berlin",
            locale="de_DE",
            holiday_country="DE",
            call_time=dtime(16, 0),
        )
        program = Program(
            slug="bench", title="Bench", provider="Open edX", course_url="https://example.com"
        )
        db.session.add_all([region, program])
        db.session.flush()
        rollout = Rollout(
            slug="bench",
            program_id=program.id,
            region_id=region.id,
            cohort_start=date(2026, 9, 7),
            call_weekday=3,
            call_time=dtime(16, 0),
        )
        db.session.add(rollout)
        db.session.commit()

        path = Path(tmp) / "roster.csv"
        rows = write_roster(path, learners=learners)
        size = path.stat().st_size / 1e6
        print(f"roster: {rows:,} rows, {size:.1f} MB ({path.name})")

        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(
                "CREATE TABLE raw_roster (employee_id text, first_name text, last_name text, "
                "email text, manager text, language text, learner text, cost_centre text, "
                "hire_date text, job_title text)"
            )
            raw.commit()
            t0 = time.perf_counter()
            with (
                path.open("rb") as fh,
                cur.copy("COPY raw_roster FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            raw.commit()
            raw_seconds = time.perf_counter() - t0
        finally:
            raw.close()
        print(f"raw COPY of the file:        {raw_seconds:6.2f} s")
        floor_seconds = write_floor(db, region.id, rollout.id)
        print(
            f"floor: same rows into person + enrollment clones (same indexes and foreign "
            f"keys, no checks): {floor_seconds:6.2f} s"
        )

        rss_before = peak_rss_mb()
        t0 = time.perf_counter()
        outcome = import_roster_file(path, region=region, rollout=rollout, channel="bench")
        db.session.commit()
        first = time.perf_counter() - t0
        print(
            f"Summit import (first):       {first:6.2f} s  ratio {first / raw_seconds:4.1f}x "
            f"(to the floor: {first / floor_seconds:3.1f}x)  "
            f"peak RSS {peak_rss_mb():.0f} MB (before: {rss_before:.0f} MB)  {outcome.counts}"
        )
        t0 = time.perf_counter()
        again = import_roster_file(path, region=region, rollout=rollout, channel="bench")
        db.session.commit()
        second = time.perf_counter() - t0
        print(
            f"Summit import (unchanged):   {second:6.2f} s  ratio {second / raw_seconds:4.1f}x  "
            f"peak RSS {peak_rss_mb():.0f} MB  {again.counts}"
        )
        label = f"{rows:,} roster rows"
        Figure(
            "roster_import",
            f"{label}: first import",
            first,
            "s",
            raw_seconds,
            "COPY of the file into a bare table",
            first / raw_seconds,
            "≤ 3×",
        ).emit()
        Figure(
            "roster_import",
            f"{label}: re-import, unchanged",
            second,
            "s",
            raw_seconds,
            "COPY of the file into a bare table",
            second / raw_seconds,
            "≤ 3×",
        ).emit()
        Figure(
            "roster_import",
            f"{label}: floor (INSERT…SELECT into person+enrollment clones, no checks)",
            floor_seconds,
            "s",
            raw_seconds,
            "COPY of the file into a bare table",
            floor_seconds / raw_seconds,
        ).emit()
        Figure("roster_import", f"{label}: peak RSS", peak_rss_mb(), "MB", target="≤ 300 MB").emit()
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
