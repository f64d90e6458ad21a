"""Reliability: 1,000 emails, two real `summit worker` processes, one SIGKILLed three
times mid-run and restarted. Every email arrives; a kill repeats at most the one
message whose acceptance was not yet recorded, with the same Message-ID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.db import utcnow
from app.extensions import db
from app.mail.dispatch import sweep
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.rendering import render_email
from app.mail.services import message_id_for

TOTAL = 1000
KILLS = 3
SUMMIT = str(Path(sys.executable).with_name("summit"))


def _worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [SUMMIT, "worker", "--name", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill the worker and its work horse
    )


def _sent() -> int:
    sent = db.session.scalar(
        select(func.count())
        .select_from(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.SENT)
    )
    db.session.commit()
    return int(sent or 0)


def _busy(name: str) -> bool:
    from rq import Worker

    from app.tasks import get_redis

    return any(
        w.name == name and w.get_state() == "busy" for w in Worker.all(connection=get_redis())
    )


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (RQ's work horse runs in its own session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its work horse (the job it was running dies mid-batch)."""
    for child in _children(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_every_email_arrives_despite_killed_workers(
    app_settings: dict[str, Any], smtp_sink
) -> None:
    rendered = render_email(
        "mail/test",
        locale="en",
        context={"name": "Reliable Learner", "sent_at": utcnow(), "url": "http://summit.test/"},
    )
    now = utcnow()
    db.session.execute(
        insert(OutboundEmail),
        [
            {
                "idempotency_key": f"reliability:{i}",
                "kind": "mail/test",
                "to_address": f"learner{i}@example.com",
                "to_name": f"Learner {i}",
                "subject": rendered.subject,
                "text_body": rendered.text,
                "html_body": rendered.html,
                "message_id": message_id_for(f"reliability:{i}"),
                "status": EmailStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for i in range(TOTAL)
        ],
    )
    db.session.commit()
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": app_settings["redis_url"],
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_sink.port),
        "MAIL_DEFAULT_SENDER": "Summit <summit@example.com>",
        "MAIL_BATCH_SIZE": "20",
        "MAIL_LEASE_SECONDS": "11",
        "MAIL_SEND_TIMEOUT": "1",
    }
    names = ["reliability-a-0", "reliability-b-0"]
    workers = [_worker(env, name) for name in names]
    kills = 0
    killed_at: list[int] = []
    deadline = time.monotonic() + 100
    try:
        while time.monotonic() < deadline:
            count = len(smtp_sink.messages)
            sent = _sent()
            if sent >= TOTAL:
                break
            due_kill = kills < KILLS and count >= (kills + 1) * TOTAL // (KILLS + 3)
            busy = [i for i, name in enumerate(names) if due_kill and _busy(name)]
            if busy:
                i = busy[0]
                _kill(workers[i])  # mid-batch: it is running a delivery job
                kills += 1
                names[i] = f"reliability-{'ab'[i]}-{kills}"
                workers[i] = _worker(env, names[i])
                killed_at.append(sent)
            sweep()  # what `summit scheduler` does on each tick
            db.session.commit()
            time.sleep(0.02)
    finally:
        for proc in workers:
            _kill(proc)
    assert kills == KILLS and all(n < TOTAL for n in killed_at), killed_at
    ids = Counter(m.message["Message-ID"] for m in smtp_sink.messages)
    assert len(ids) == TOTAL, f"{TOTAL - len(ids)} emails never arrived"
    repeats = sum(n - 1 for n in ids.values())
    assert repeats <= KILLS, f"{repeats} repeats for {KILLS} kills"
    print(f"killed at {killed_at} sent; {repeats} repeat(s)")
    # a repeat carries the same Message-ID by construction; each went to one recipient
    by_recipient = Counter(tuple(m.rcpt_tos) for m in smtp_sink.messages)
    assert len(by_recipient) == TOTAL
    db.session.expire_all()
    statuses = Counter(s for (s,) in db.session.execute(db.select(OutboundEmail.status)).tuples())
    assert statuses == {EmailStatus.SENT: TOTAL}
