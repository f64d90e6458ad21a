"""Outbox delivery throughput: 20,000 emails, two `summit worker` processes, a local SMTP sink.

Prints emails/s for the outbox (claim a leased batch, build each message,
send over one reused connection, record each acceptance) next to a raw
``smtplib.sendmail`` loop sending the same pre-built messages over one
connection, and their ratio (target ≥ 0.5).

    .venv/bin/python bench/email_throughput.py [--emails 20000] [--workers 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]

The sink is aiosmtpd's discarding handler in its own process. Redis:
``REDIS_URL`` (default db 1; flushed). Database: a fresh SQLite file unless
``--database-url`` names a PostgreSQL server (a throw-away database is made there).
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import SCALES, sized

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """Kill a worker and its work horse (RQ runs the horse in a session of its own)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == proc.pid:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue
    proc.kill()
    proc.wait()


def database(url: str | None) -> tuple[str, object]:
    if not url:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.settings import normalise_database_url

    base = make_url(normalise_database_url(url))
    name = f"summit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("SCALE", "small"))
    args = parser.parse_args()
    args.emails = args.emails or sized(args.scale, 1_000, 20_000, huge=100_000)

    port = free_port()
    sink = start_sink(port)
    db_url, drop = database(args.database_url)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": "Summit <summit@example.com>",
        "MAIL_BATCH_SIZE": "200",
    }
    os.environ.update(env)
    from sqlalchemy import func, insert, select, update

    from app import create_app
    from app.db import utcnow
    from app.extensions import db
    from app.mail.delivery import build_message
    from app.mail.dispatch import kick_delivery
    from app.mail.models import EmailStatus, OutboundEmail
    from app.mail.rendering import render_email
    from app.mail.services import message_id_for
    from app.tasks import get_redis

    app = create_app()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            get_redis().flushdb()
            rendered = {
                loc: render_email(
                    "mail/test",
                    locale=loc,
                    context={"name": "Bench Learner", "sent_at": utcnow(), "url": "http://x/"},
                    time_zone="Europe/Berlin",
                )
                for loc in ("en", "de", "fr")
            }
            now = utcnow()
            rows = []
            for i in range(args.emails):
                r = rendered[("en", "de", "fr")[i % 3]]
                rows.append(
                    {
                        "idempotency_key": f"bench:{i}",
                        "kind": "mail/test",
                        "to_address": f"learner{i}@example.com",
                        "to_name": f"Learner Nummer {i}",
                        "subject": r.subject,
                        "text_body": r.text,
                        "html_body": r.html,
                        "message_id": message_id_for(f"bench:{i}"),
                        "status": EmailStatus.PENDING,
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                        "locale": ("en", "de", "fr")[i % 3],
                    }
                )
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(OutboundEmail), rows[start : start + 5000])
            db.session.commit()

            # the raw tool: the same messages, pre-built, over one connection
            built = [
                build_message(e, "Summit <summit@example.com>").as_bytes()
                for e in db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id))
            ]
            db.session.expunge_all()
            smtp = smtplib.SMTP("127.0.0.1", port)
            t0 = time.perf_counter()
            for i, data in enumerate(built):
                smtp.sendmail("summit@example.com", [f"learner{i}@example.com"], data)
            raw_seconds = time.perf_counter() - t0
            smtp.quit()
            del built

            def outbox_run(count: int) -> float:
                """Every row pending again, ``count`` workers, seconds until all are sent."""
                from rq import Worker

                db.session.execute(
                    update(OutboundEmail).values(
                        status=EmailStatus.PENDING,
                        sent_at=None,
                        attempts=0,
                        lease_owner=None,
                        lease_until=None,
                        next_attempt_at=utcnow(),
                    )
                )
                db.session.commit()
                started = list(workers)
                names = [f"bench-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
                for name in names:
                    workers.append(
                        subprocess.Popen(
                            [
                                str(BIN / "summit"),
                                "worker",
                                "--name",
                                name,
                            ],
                            env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True,
                        )
                    )
                while Worker.count(connection=get_redis()) < count:
                    time.sleep(0.1)
                t0 = time.perf_counter()
                kick_delivery()
                while True:
                    sent = db.session.scalar(
                        select(func.count())
                        .select_from(OutboundEmail)
                        .where(OutboundEmail.status == EmailStatus.SENT)
                    )
                    db.session.commit()
                    if sent >= args.emails:
                        break
                    time.sleep(0.05)
                seconds = time.perf_counter() - t0
                for proc in workers[len(started) :]:
                    stop_worker(proc)
                del workers[len(started) :]
                # killed workers leave their registration behind: take it out
                for worker in Worker.all(connection=get_redis()):
                    if worker.name in names:
                        worker.register_death()
                return seconds

            one_seconds = outbox_run(1)
            outbox_seconds = outbox_run(args.workers) if args.workers > 1 else one_seconds
    finally:
        for proc in workers:
            stop_worker(proc)
        sink.kill()
        if drop is not None:
            with app.app_context():
                db.engine.dispose()
            drop()  # type: ignore[operator]

    raw_rate = args.emails / raw_seconds
    one_rate = args.emails / one_seconds
    outbox_rate = args.emails / outbox_seconds
    kind = db_url.split(":")[0]
    print(f"emails: {args.emails}, workers: {args.workers}, database: {kind}")
    print(f"raw smtplib.sendmail, pre-built, one connection: {raw_rate:8.0f} emails/s")
    print(f"outbox → SMTP, 1 summit worker (one connection): {one_rate:8.0f} emails/s")
    print(f"outbox → SMTP ({args.workers} summit workers):          {outbox_rate:8.0f} emails/s")
    print(f"per connection, outbox / raw: {one_rate / raw_rate:.2f} (target ≥ 0.9)")
    print(f"{args.workers} workers / 1 worker: {outbox_rate / one_rate:.2f}")
    from bench.common import Figure

    Figure(
        "email_throughput",
        f"{args.emails:,} emails, outbox → SMTP, 1 worker, one connection ({kind})",
        one_rate,
        "emails/s",
        raw_rate,
        "raw smtplib, pre-built, one connection",
        one_rate / raw_rate,
        "≥ 0.9",
    ).emit()
    if args.workers > 1:
        Figure(
            "email_throughput",
            f"{args.emails:,} emails, outbox → SMTP, {args.workers} workers ({kind})",
            outbox_rate,
            "emails/s",
            one_rate,
            "1 worker, same run",
            outbox_rate / one_rate,
            f"≥ {0.9 * args.workers:.1f}",
        ).emit()


if __name__ == "__main__":
    main()
