"""What every mail transport promises and raises (the outbox's side of the seam).

Kept apart from :mod:`app.mail.transports`, which picks a transport, so that a transport
living in its own module (Microsoft Graph, :mod:`app.mail.graph`) imports only this and
the two never import each other.
"""

from __future__ import annotations

from email.message import Message
from typing import Protocol


class TransientMailError(Exception):
    """Try again later (SMTP 4xx, timeouts, HTTP 429/5xx); ``retry_after`` in seconds if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectionMailError(TransientMailError):
    """The server or the connection failed, not the message: stop the batch, retry soon."""


class PermanentMailError(Exception):
    """The message will never be accepted as it is (SMTP 5xx, HTTP 4xx other than 429)."""


class Transport(Protocol):
    #: the key the sending budget is counted under (one per sending mailbox)
    name: str

    def open(self) -> None:
        """Open a connection that several sends reuse (a no-op where there is none)."""

    def send(self, message: Message) -> None:
        """Send one message; raise TransientMailError or PermanentMailError on failure."""

    def close(self) -> None:
        """Close the connection."""
