from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.approvals.request_emails import send_due_requests
from tests.approvals.helpers import commit, decision_path, manager, report, rollout_in
from tests.auth.conftest import fake_entra, fake_entra_server
from tests.factories import region

__all__ = ["fake_entra", "fake_entra_server"]


@pytest.fixture
def asked(smtp_sink: Any, run_jobs: Any) -> Any:
    """A German rollout where a manager with a manager of their own was asked about three
    reports; returns (rollout, manager, enrollments, decision page path)."""

    def _asked(n: int = 3, code: str = "de") -> tuple[Any, Any, list[Any], str]:
        rollout = rollout_in(code, sponsor="Dr. Klaus Hartmann")
        rollout.sponsor_message = "Give your people the hours: I will ask about it."
        director = manager(code, name="Doris Director")
        boss = manager(code, boss=director, name="Bert Boss")
        enrollments = [commit(report(rollout, boss)) for _ in range(n)]
        send_due_requests(region=region(code), now=datetime(2026, 6, 2, 7, 0, tzinfo=UTC))
        run_jobs()
        (mail,) = smtp_sink.to(boss.email)
        smtp_sink.clear()
        return rollout, boss, enrollments, decision_path(mail)

    return _asked
