"""A throw-away PostgreSQL database with Summit's schema, for the progress and term benches."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database(prefix: str, base_url: str = BASE_URL) -> Iterator[Any]:
    """An empty database on the server of ``base_url``; yields its URL; dropped afterwards."""
    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name)
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


@contextmanager
def bench_app(prefix: str) -> Iterator[tuple[Any, str]]:
    """Create a database, migrate it, sync regions; yield (app, plain URL for psql); drop it."""
    from app import create_app

    with scratch_database(prefix) as url:
        db_url = url.render_as_string(hide_password=False)
        app = create_app(
            {
                "env": "test",
                "database_url": db_url,
                "redis_url": "redis://127.0.0.1:6379/6",
                "base_url": "http://127.0.0.1:5006",
                "regions_dir": ROOT / "regions",
                "jobs_inline": True,
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            from app.extensions import db
            from app.regions.services import sync_regions

            upgrade()
            sync_regions(directory=ROOT / "regions")
            db.session.commit()
            plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
            yield app, plain
            db.session.remove()
            db.engine.dispose()


def seed_learners(n: int, *, region_code: str = "de", slug: str = "bench") -> dict[str, Any]:
    """A launched rollout of a 6-module, 3-term program with ``n`` time-approved learners,
    made server-side (generate_series)."""
    from datetime import date, time

    from app.extensions import db
    from app.programs.models import Module, Program, Term
    from app.regions.models import Region
    from app.rollouts.models import Rollout, RolloutStatus

    region = db.session.scalars(db.select(Region).where(Region.code == region_code)).one()
    program = db.session.scalars(db.select(Program).where(Program.slug == "bench")).one_or_none()
    if program is None:
        program = Program(
            slug="bench", title="Bench", provider="Open edX", course_url="https://x.example.com"
        )
        modules = [
            Module(key=f"m{i}", title=f"Module {i}", position=i, estimated_hours=2)
            for i in range(1, 7)
        ]
        program.modules = modules
        for t in range(1, 4):
            term = Term(
                number=t,
                starts_on=date(2026, 9, 7 + 0),
                ends_on=date(2026, 10, 4),
            )
            term.required_modules = modules[: 2 * t]
            program.terms.append(term)
        db.session.add(program)
        db.session.flush()
    rollout = Rollout(
        slug=slug,
        program_id=program.id,
        region_id=region.id,
        status=RolloutStatus.LAUNCHED,
        cohort_start=date(2026, 9, 7),
        call_weekday=3,
        call_time=time(16, 0),
    )
    db.session.add(rollout)
    db.session.flush()
    params = {"n": n, "region": region.id, "rollout": rollout.id, "slug": slug}
    db.session.execute(
        text(
            "INSERT INTO person (employee_id, email, name, region_id, created_at, updated_at) "
            "SELECT :slug || '-' || g, :slug || '.' || g || '@bench.example.com', "
            "'Learner ' || g, :region, now(), now() FROM generate_series(1, :n) g"
        ),
        params,
    )
    db.session.execute(
        text(
            "INSERT INTO enrollment (rollout_id, person_id, region_id, state, "
            "missing_from_roster, leaderboard_opt_in, buddy_group) "
            "SELECT :rollout, p.id, :region, 'time_approved', false, false, NULL "
            "FROM person p WHERE p.employee_id LIKE :slug || '-%'"
        ),
        params,
    )
    db.session.commit()
    return {"region": region, "program": program, "rollout": rollout}


def clone_table(conn: Any, table: str, clone: str) -> None:
    """An empty table of ``table``'s shape: the same columns, defaults, checks, indexes and
    foreign keys (a key to ``table`` itself points at the clone), for a raw COPY that pays
    what the database pays for Summit's rows."""
    conn.execute(text(f'DROP TABLE IF EXISTS "{clone}"'))
    conn.execute(text(f'CREATE TABLE "{clone}" (LIKE "{table}" INCLUDING ALL)'))
    keys = conn.execute(
        text(
            "SELECT pg_get_constraintdef(oid), confrelid = conrelid FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        ),
        {"t": table},
    ).all()
    for definition, self_reference in keys:
        if self_reference:
            definition = definition.replace(f"REFERENCES {table}(", f'REFERENCES "{clone}"(')
        conn.execute(text(f'ALTER TABLE "{clone}" ADD {definition}'))
