"""The benchmark data set: the demo (small) or 300,000 learners in 50 regions (full),
in a scratch PostgreSQL database, plus a signed-in session cookie for the load tool.

The full set is generated set-based (``bench/reports.py``'s generator: every enrollment
state, time allocations, progress, two term reviews, call attendance, master-class
RSVPs) and then the weekly reports of three weeks are built so the archive has
snapshots: ``python -m bench.dataset --scale full`` builds it alone (a few minutes;
kept between runs, keyed by the schema's head revision).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-secret-key-0123456789-0123456789"  # noqa: S105 (a scratch database)


@dataclass
class Dataset:
    env: dict[str, str]
    cookie: str
    pages: list[tuple[str, str]] = field(default_factory=list)


def _summit(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def scratch_database(base_url: str, name: str) -> str:
    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


LEAD_EMAIL = {
    "small": "marion.kremer@example.com",
    "medium": "bench.lead@bench.example",
    "full": "bench.lead@bench.example",
    "huge": "bench.lead@bench.example",
}


def _head() -> str:
    """The newest migration's revision: a data set built on an older schema is not reused."""
    import re

    revisions, downs = set(), set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        text_ = path.read_text()
        rev = re.search(r'^revision = "(\w+)"', text_, re.M)
        down = re.search(r'^down_revision = "(\w+)"', text_, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            downs.add(down.group(1))
    heads = sorted(revisions - downs)
    return heads[0][:8] if heads else "none"


def prepare(scale: str, base_url: str) -> Dataset:
    """Build the data set once per scale (kept between runs: delete the database to rebuild)."""
    name = f"summit_bench_{scale}_{_head()}_{GENERATION}"
    from bench.common import note_size

    note_size(SIZES[scale][0] if scale in SIZES else 20)
    env = {
        **os.environ,
        "SUMMIT_ENV": "production",
        "SECRET_KEY": BENCH_SECRET,
        "MAIL_TRANSPORT": "dev",
        "SUMMIT_JOBS_INLINE": "1",
    }
    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
    admin.dispose()
    database_url = url.set(database=name).render_as_string(hide_password=False)
    env["DATABASE_URL"] = database_url
    if not exists:
        scratch_database(base_url, name)
        _summit(env, "db", "upgrade")
        _summit(env, "regions", "sync")
        if scale != "small":
            try:
                _global_scale(env, scale)
            except BaseException:
                _drop(base_url, name)
                raise
        else:
            _summit(env, "demo")
    return Dataset(env=env, cookie=_cookie(env, LEAD_EMAIL[scale]), pages=_pages(scale, env))


def _drop(base_url: str, name: str) -> None:
    from app.settings import normalise_database_url

    admin = create_engine(make_url(normalise_database_url(base_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


LEARNERS = 300_000
#: learners, regions and progress rows a learner (None: the generator's ~1.9) per scale
SIZES: dict[str, tuple[int, int, int | None]] = {
    "medium": (30_000, 50, None),
    "full": (LEARNERS, 50, None),
    "huge": (1_000_000, 100, 5),
}
#: bump when the generator changes: a data set built by an older one is not reused
GENERATION = "g3"
WEEKS = ("2026-W45", "2026-W46", "2026-W47")


def _global_scale(env: dict[str, str], scale: str = "full") -> None:
    """300,000 learners in 50 regions (one rollout each; medium: 30,000; huge: 1,000,000
    in 100 regions with 5 progress rows each), set-based; a local lead of the first
    region; the weekly reports of a few weeks (built, not sent)."""
    import time

    from app import create_app
    from app.auth.models import Role, RoleAssignment, StaffUser
    from app.extensions import db
    from app.regions.models import Region
    from app.settings import Settings
    from bench.reports import _fill, _organisation

    # the generator's statements run for minutes at huge: no web statement timeout here
    generator_env = {**env, "DATABASE_STATEMENT_TIMEOUT_WEB": "0"}
    app = create_app(Settings.from_env(generator_env))
    with app.app_context():
        start = time.perf_counter()
        learners, regions, progress = SIZES[scale]
        _organisation(db, regions)
        with db.engine.begin() as conn:
            _fill(conn, 1, learners, total=learners, regions=regions, progress_per_learner=progress)
            for table in ("person", "enrollment"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608, E501
                conn.execute(text(sql))
        print(f"dataset: {learners:,} learners in {time.perf_counter() - start:.0f} s", flush=True)
        region = db.session.scalars(db.select(Region).where(Region.code == "b00")).one()
        lead = StaffUser(email=LEAD_EMAIL["full"], name="Bench Lead")
        lead.roles.append(RoleAssignment(region_id=region.id, role=Role.LOCAL_LEAD))
        db.session.add(lead)
        db.session.commit()
        from app.reports.services import build_week

        for week in WEEKS:
            build_week(week=week)
            db.session.commit()
        # a production database is vacuumed by autovacuum: index-only scans need the
        # visibility map that a fresh bulk load has not got yet
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"dataset ready in {time.perf_counter() - start:.0f} s", flush=True)


def _cookie(env: dict[str, str], email: str) -> str:
    """A session cookie for a local lead (the demo's of Germany, or the generated one of
    the first region), signed like a real sign-in, as a browser holds it after its first
    page: with the CSRF token Flask-WTF keeps in the session (wrk sends the same cookie
    every time and keeps none it is given)."""
    from app import create_app
    from app.auth.access import SESSION_USER_KEY
    from app.auth.models import StaffUser
    from app.extensions import db
    from app.settings import Settings

    app = create_app(Settings.from_env(env))
    with app.app_context():
        lead = db.session.execute(db.select(StaffUser).where(StaffUser.email == email)).scalar_one()
        serializer = app.session_interface.get_signing_serializer(app)
        return serializer.dumps(
            {SESSION_USER_KEY: lead.id, "_permanent": True, "csrf_token": secrets.token_hex(20)}
        )


def _pages(scale: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """The pages staff use most: the demo's German rollout, or the first generated one
    (6,000 learners, 240 free-rider candidates, three report snapshots); the learner
    search (a prefix matching about a tenth of them, sorted by name) and the person page
    of the rollout's first learner."""
    region, slug = ("de", "sef-de") if scale == "small" else ("b00", "bench-00")
    return [
        ("region overview", f"/r/{region}/"),
        ("rollout dashboard", f"/r/{region}/rollouts/{slug}"),
        ("approval list", f"/r/{region}/approvals/{slug}"),
        ("free-rider review", f"/r/{region}/rollouts/{slug}/terms/1/review"),
        ("report archive", f"/r/{region}/reports/"),
        ("learner search", f"/r/{region}/rollouts/{slug}/learners?q=learner+1&sort=name"),
        ("person page", f"/r/{region}/rollouts/{slug}/learners/{_first_learner(env, slug)}"),
    ]


def _first_learner(env: dict[str, str], slug: str) -> int:
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT min(e.id) FROM enrollment e JOIN rollout r ON r.id = e.rollout_id"
                " WHERE r.slug = :slug"
            ),
            {"slug": slug},
        ).scalar_one()
    engine.dispose()
    return int(found)


if __name__ == "__main__":
    from bench.common import parse_args

    args = parse_args(__doc__ or "")
    data = prepare(args.scale, args.database_url)
    print(data.env["DATABASE_URL"].rsplit("/", 1)[-1], [p for _, p in data.pages])
