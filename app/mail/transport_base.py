"""What every mail transport promises and raises (the outbox's side of the seam).

Kept apart from :mod:`app.mail.transports`, which picks a transport, so that a transport
living in its own module (Microsoft Graph, :mod:`app.mail.graph`) imports only this and
the two never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from typing import Protocol

#: the caller's last check before the message is handed over: False means "do not send"
Ready = Callable[[], bool]


class TransientMailError(Exception):
    """Try again later (SMTP 4xx, timeouts, HTTP 429/5xx); ``retry_after`` in seconds if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectionMailError(TransientMailError):
    """The server or the connection failed, not the message: stop the batch, retry soon."""


class PermanentMailError(Exception):
    """The message will never be accepted as it is (SMTP 5xx, HTTP 4xx other than 429)."""


class NotReady(Exception):
    """The ``ready`` check said no: nothing was handed over (the connection stays usable)."""


def check_ready(ready: Ready | None) -> None:
    """For a transport that hands a message over in one step: ask first."""
    if ready is not None and not ready():
        raise NotReady


class Transport(Protocol):
    #: the key the sending budget is counted under (one per sending mailbox)
    name: str

    def open(self) -> None:
        """Open a connection that several sends reuse (a no-op where there is none)."""

    def send(self, message: Message, ready: Ready | None = None) -> None:
        """Send one message; raise TransientMailError or PermanentMailError on failure.

        ``ready`` is called at most once (not at all if the send fails first), as late as
        possible before the message is handed over (SMTP: after the server took the
        envelope, before DATA), so the caller's own check (the outbox's fence) runs while
        the server answers; if it returns False, nothing is sent and :class:`NotReady`
        is raised."""

    def close(self) -> None:
        """Close the connection."""
