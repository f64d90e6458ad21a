"""The seam between the outbox and the wire: every transport sends one built message.

A transport raises :class:`TransientMailError` for failures worth retrying (4xx,
connection trouble, throttling) and :class:`PermanentMailError` for refusals that
will not change (5xx). SMTP, the dev mailbox and Microsoft Graph implement it.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class TransientMailError(Exception):
    """Try again later (SMTP 4xx, timeouts, HTTP 429/5xx); ``retry_after`` in seconds if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentMailError(Exception):
    """The message will never be accepted as it is (SMTP 5xx, HTTP 4xx other than 429)."""


class Transport(Protocol):
    def open(self) -> None:
        """Open a connection that several sends reuse (a no-op where there is none)."""

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise TransientMailError or PermanentMailError on failure."""

    def close(self) -> None:
        """Close the connection."""
