"""Fenced delivery: a worker paused past its lease (a VM freeze, a stopped container)
sends nothing more once another worker has taken its rows over; a send outlasting
the lease is impossible by configuration."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.mail.delivery import deliver_pending
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.services import queue_email
from app.settings import Settings, SettingsError

pytestmark = pytest.mark.usefixtures("smtp_both_ways")

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _queue(n: int) -> None:
    for i in range(n):
        queue_email(
            kind="mail/test",
            to_address=f"person{i}@example.com",
            to_name=f"Person {i}",
            idempotency_key=f"fence:{i}",
            context={"name": f"Person {i}", "sent_at": NOW, "url": "http://summit.test/"},
        )
    db.session.commit()


def test_a_worker_paused_past_its_lease_repeats_only_the_message_in_flight(
    app: Any, smtp_sink: Any
) -> None:
    """Fails on the old delivery: the paused worker sent the rest of its batch again."""
    lease = app.extensions["summit.settings"].mail_lease_seconds
    resume = threading.Event()
    errors: list[BaseException] = []

    def paused_worker() -> None:
        with app.app_context():
            try:
                deliver_pending()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    with time_machine.travel(NOW, tick=False) as clock:
        _queue(5)
        smtp_sink.hold_next_data = resume
        worker = threading.Thread(target=paused_worker)
        worker.start()
        assert smtp_sink.data_held.wait(10), "the first worker never reached DATA"
        # the first worker is stuck in its first send past its lease: another takes over
        clock.shift(timedelta(seconds=lease + 5))
        assert deliver_pending() == 5
        resume.set()
        worker.join(30)
    assert not worker.is_alive() and not errors
    counts = [len(smtp_sink.to(f"person{i}@example.com")) for i in range(5)]
    assert sum(counts) - 5 <= 1, counts  # one repeat at most: the message in flight
    assert all(c >= 1 for c in counts)
    db.session.expire_all()
    statuses = set(db.session.scalars(select(OutboundEmail.status)))
    assert statuses == {EmailStatus.SENT}


def test_each_message_is_handed_over_only_after_the_previous_acceptance_is_committed(
    app: Any, smtp_sink: Any
) -> None:
    """The at-most-one-repeat guarantee, seen from the SMTP server: when a message's DATA
    arrives, every message the server accepted before it is already recorded ``sent`` in
    the database (read on a connection of its own). So a worker killed at any instant
    repeats at most the one message in flight. Fails if an acceptance is written without
    waiting for its commit before the next message goes out."""
    engine = db.engine
    seen: list[str] = []
    unrecorded: list[tuple[str, list[str]]] = []

    def check(data: bytes) -> None:
        message_id = message_from_bytes(data)["Message-ID"]
        with engine.connect() as conn:
            sent = set(
                conn.scalars(
                    select(OutboundEmail.message_id).where(OutboundEmail.status == EmailStatus.SENT)
                )
            )
        missing = [m for m in seen if m not in sent]
        if missing:
            unrecorded.append((message_id, missing))
        seen.append(message_id)

    with time_machine.travel(NOW, tick=True):
        _queue(12)
        smtp_sink.on_data = check
        assert deliver_pending() == 12
    assert len(seen) == 12
    assert unrecorded == []


def test_a_lease_shorter_than_a_send_is_refused() -> None:
    env = {"SUMMIT_ENV": "test", "MAIL_SEND_TIMEOUT": "60", "MAIL_LEASE_SECONDS": "65"}
    with pytest.raises(SettingsError, match="MAIL_LEASE_SECONDS"):
        Settings.from_env(env)
    ok = Settings.from_env({**env, "MAIL_LEASE_SECONDS": "70"})
    assert ok.mail_lease_seconds == 70


def test_a_lease_shorter_than_every_attempt_of_a_graph_send_is_refused() -> None:
    """A Graph send may make two attempts of MAIL_SEND_TIMEOUT each (the second after a
    401, with a renewed token): the lease must outlast both, where SMTP's one suffices."""
    env = {
        "SUMMIT_ENV": "test",
        "MAIL_SEND_TIMEOUT": "10",
        "MAIL_LEASE_SECONDS": "25",
        "ENTRA_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "ENTRA_CLIENT_ID": "summit",
        "ENTRA_CLIENT_SECRET": "secret",
    }
    assert Settings.from_env({**env, "MAIL_TRANSPORT": "smtp"}).mail_lease_seconds == 25
    with pytest.raises(SettingsError, match="2 attempt"):
        Settings.from_env({**env, "MAIL_TRANSPORT": "graph"})
    graph = Settings.from_env({**env, "MAIL_TRANSPORT": "graph", "MAIL_LEASE_SECONDS": "30"})
    assert graph.mail_send_deadline_seconds == 20
    # unset, the lease is long enough for the transport's longest send
    default = {k: v for k, v in env.items() if k not in ("MAIL_SEND_TIMEOUT", "MAIL_LEASE_SECONDS")}
    assert Settings.from_env({**default, "MAIL_TRANSPORT": "graph"}).mail_lease_seconds == 130
    assert Settings.from_env({**default, "MAIL_TRANSPORT": "smtp"}).mail_lease_seconds == 120


def test_a_send_never_outlasts_the_send_timeout(app: Any, smtp_sink: Any) -> None:
    """A server that never answers DATA: the send is cut at MAIL_SEND_TIMEOUT, the row
    waits, nothing is recorded as sent (the lease is longer than that by construction)."""
    import dataclasses

    old = app.extensions["summit.settings"]
    app.extensions["summit.settings"] = dataclasses.replace(old, mail_send_timeout_seconds=1)
    never = threading.Event()
    try:
        _queue(1)
        smtp_sink.hold_next_data = never
        assert deliver_pending() == 0
    finally:
        never.set()
        app.extensions["summit.settings"] = old
    row = db.session.scalars(select(OutboundEmail)).one()
    assert row.status is EmailStatus.PENDING and row.attempts == 1
    assert "connection lost" in row.last_error


def test_an_acceptance_is_recorded_after_the_server_cut_the_connection(
    app: Any, smtp_sink: Any
) -> None:
    """pg_terminate_backend while a message is in the SMTP server's hands: the worker
    records the acceptance on a new connection instead of failing the job and leaving
    the row to be sent again once its lease runs out (fails on the old recorder)."""
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    if db.engine.dialect.name != "postgresql" or not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL cuts connections; SQLite has none")
    resume = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                deliver_pending()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    _queue(3)
    smtp_sink.hold_next_data = resume
    thread = threading.Thread(target=worker)
    thread.start()
    assert smtp_sink.data_held.wait(10), "the worker never reached DATA"
    killer = create_engine(db.engine.url, poolclass=NullPool)
    with killer.connect() as conn:
        cut = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    killer.dispose()
    resume.set()
    thread.join(30)
    db.session.remove()
    db.engine.dispose()  # this thread's pooled connections were cut too
    assert len(cut) >= 1 and errors == []
    assert set(db.session.scalars(select(OutboundEmail.status))) == {EmailStatus.SENT}
    assert len(smtp_sink.messages) == 3
