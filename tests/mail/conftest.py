"""Fixtures of the mail tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smtp import SmtpSink


@pytest.fixture(params=[False, True], ids=["one-command-at-a-time", "pipelining"])
def smtp_both_ways(request: Any, app_ctx: Any, smtp_sink: SmtpSink) -> bool:
    """Run the test against a server without and with PIPELINING (RFC 2920) on offer:
    the outbox pipelines MAIL, RCPT and DATA where it may."""
    smtp_sink.pipelining = request.param
    return bool(request.param)
