"""The chaos suite's harness: outbox rows, real `summit worker` processes, the figures.

Every scenario loads emails straight into the outbox, runs workers (and the sweep the
scheduler runs) against the test's aiosmtpd server, injects one fault, and measures:
lost (rows never terminal, or healthy rows that ended failed), repeated (messages
received more than once), stuck (rows not terminal at the deadline) and the seconds
from the fault clearing until every row was terminal. ``CHAOS_SCALE=full`` (``make
chaos``) sends ten times as many emails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.db import utcnow
from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.rendering import render_email
from app.mail.services import message_id_for

SUMMIT = str(Path(sys.executable).with_name("summit"))
FULL = os.environ.get("CHAOS_SCALE") == "full"
EMAILS = 2000 if FULL else 200


@dataclass
class Figures:
    fault: str
    emails: int
    lost: int
    repeated: int
    stuck: int
    seconds: float

    def emit(self) -> None:
        print(
            f"CHAOS {self.fault:<38} emails {self.emails:>5}  lost {self.lost}  "
            f"repeated {self.repeated}  stuck {self.stuck}  terminal after {self.seconds:5.1f} s",
            flush=True,
        )


def load_outbox(n: int = EMAILS, prefix: str = "chaos") -> None:
    rendered = render_email(
        "mail/test",
        locale="en",
        context={"name": "Chaos Learner", "sent_at": utcnow(), "url": "http://summit.test/"},
    )
    now = utcnow()
    db.session.execute(
        insert(OutboundEmail),
        [
            {
                "idempotency_key": f"{prefix}:{i}",
                "kind": "mail/test",
                "to_address": f"learner{i}@example.com",
                "to_name": f"Learner {i}",
                "subject": rendered.subject,
                "text_body": rendered.text,
                "html_body": rendered.html,
                "message_id": message_id_for(f"{prefix}:{i}"),
                "status": EmailStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def worker_env(app_settings: dict[str, Any], smtp_port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": app_settings["redis_url"],
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "Summit <summit@example.com>",
        "MAIL_BATCH_SIZE": "20",
        "MAIL_LEASE_SECONDS": "11",
        "MAIL_SEND_TIMEOUT": "1",
        **extra,
    }


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [SUMMIT, "worker", "--simple", "--name", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def start_scheduler(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A real ``summit scheduler`` (its tick runs the outbox sweep) every second."""
    return subprocess.Popen(
        [SUMMIT, "scheduler", "--interval", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def counts() -> Counter[EmailStatus]:
    found = Counter(
        dict(
            db.session.execute(
                select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)
            ).all()
        )
    )
    db.session.commit()
    return found


def run_until_terminal(
    deadline_s: float, kick: Callable[[], None], fault_cleared_at: Callable[[], float | None]
) -> float:
    """Sweep (as the scheduler does) until no row is pending; seconds after the fault."""
    from app.mail.dispatch import sweep

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        kick()
        if counts().get(EmailStatus.PENDING, 0) == 0:
            break
        with contextlib.suppress(Exception):
            sweep()
            db.session.commit()
        time.sleep(0.2)
    cleared = fault_cleared_at()
    return time.monotonic() - cleared if cleared is not None else 0.0


def figures(fault: str, sink: Any, seconds: float, failed_expected: set[str]) -> Figures:
    """Lost: a healthy row not sent, or any row never terminal; repeated: extra copies."""
    ids = Counter(m.message["Message-ID"] for m in sink.messages)
    repeated = sum(n - 1 for n in ids.values())
    rows = db.session.execute(select(OutboundEmail.to_address, OutboundEmail.status)).all()
    db.session.commit()
    stuck = sum(1 for _, status in rows if status is EmailStatus.PENDING)
    lost = sum(
        1
        for address, status in rows
        if address not in failed_expected and status is not EmailStatus.SENT
    )
    found = Figures(fault, len(rows), lost, repeated, stuck, seconds)
    found.emit()
    return found
