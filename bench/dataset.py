"""The benchmark data set: the demo (small) or 300,000 learners in 50 regions (full),
in a scratch PostgreSQL database, plus a signed-in session cookie for the load tool."""

from __future__ import annotations

import os
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


def prepare(scale: str, base_url: str) -> Dataset:
    """Build the data set once per scale (kept between runs: delete the database to rebuild)."""
    name = f"summit_bench_{scale}"
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
        if scale == "full":
            _summit(env, "demo", "--learners", "300000", "--regions", "50")
        else:
            _summit(env, "demo")
    return Dataset(env=env, cookie=_cookie(env), pages=_pages(env))


def _cookie(env: dict[str, str]) -> str:
    """A session cookie for the demo's local lead of Germany, signed like a real sign-in."""
    from app import create_app
    from app.auth.access import SESSION_USER_KEY
    from app.auth.models import StaffUser
    from app.extensions import db
    from app.settings import Settings

    app = create_app(Settings.from_env(env))
    with app.app_context():
        lead = db.session.execute(
            db.select(StaffUser).where(StaffUser.email == "marion.kremer@example.com")
        ).scalar_one()
        serializer = app.session_interface.get_signing_serializer(app)
        return serializer.dumps({SESSION_USER_KEY: lead.id, "_permanent": True})


def _pages(env: dict[str, str]) -> list[tuple[str, str]]:
    """The pages staff use most, for the demo's German rollout."""
    return [
        ("region overview", "/r/de/"),
        ("rollout dashboard", "/r/de/rollouts/sef-de"),
    ]
