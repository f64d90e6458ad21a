"""With inline jobs (``SUMMIT_JOBS_INLINE``, the embedded default without Redis), a
command finishes the work it queued, and the work that work queued, before it exits;
it exits non-zero when some of it failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.ops.models import ScheduledRun

SUMMIT = str(Path(sys.executable).with_name("summit"))


def _summit(app_settings: dict[str, Any], tmp_path: Path, *args: str, **extra: str) -> Any:
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nobody listens: inline is configured
        "SUMMIT_JOBS_INLINE": "true",
        "MAIL_TRANSPORT": "dev",
        **extra,
    }
    return subprocess.run(
        [SUMMIT, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def test_scheduler_once_runs_every_recurring_job_before_it_exits(app_settings, tmp_path) -> None:
    """Fails on the old inline pool: "cannot schedule new futures after interpreter
    shutdown", and runs left unfinished."""
    db.session.commit()
    done = _summit(app_settings, tmp_path, "scheduler", "--once")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cannot schedule new futures" not in done.stderr
    db.session.expire_all()
    runs = db.session.scalars(select(ScheduledRun)).all()
    assert runs, done.stderr[-3000:]
    assert [r.name for r in runs if r.done_at is None] == []


def test_a_launch_sends_its_invitations_before_the_command_exits(app_settings, tmp_path) -> None:
    """The launch queues the invitation job, which queues emails, which queue delivery:
    every step runs before the command exits (the old pool refused the later ones)."""
    from app.auth.models import Role
    from app.mail.models import EmailStatus, OutboundEmail
    from app.rollouts.models import RolloutStatus
    from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

    rollout = RolloutFactory(
        region_id=region("de").id, status=RolloutStatus.DRAFT, expert=staff(Role.EXPERT, "de")
    )
    for _ in range(3):
        EnrollmentFactory(rollout=rollout)
    db.session.commit()
    done = _summit(app_settings, tmp_path, "rollout", "launch", rollout.slug)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cannot schedule new futures" not in done.stderr
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboundEmail.status)).all()
    assert len(statuses) >= 3, done.stderr[-3000:]
    assert set(statuses) == {EmailStatus.SENT}


def test_a_job_that_fails_makes_the_command_exit_non_zero(app_settings, tmp_path) -> None:
    """The directory import job, queued by the command and run inline, cannot reach the
    identity provider (nothing listens on its port): the command exits 1, and the run
    is left failed with the reason in the database, not running forever."""
    import socket

    from app.auth.models import DirectoryImport

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    db.session.commit()
    done = _summit(
        app_settings,
        tmp_path,
        "entra",
        "import-directory",
        ENTRA_TENANT_ID=tenant,
        ENTRA_CLIENT_ID="summit-test-client",
        ENTRA_CLIENT_SECRET="not-a-secret",
        ENTRA_AUTHORITY=f"https://127.0.0.1:{port}/{tenant}",
    )
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert "1 job(s) failed" in done.stderr
    db.session.expire_all()
    [run] = db.session.scalars(select(DirectoryImport)).all()
    assert run.status.value == "failed" and run.error
