"""Microsoft Graph mail transport: ``sendMail`` as one configured mailbox.

The message goes as MIME (base64), so headers, the stable Message-ID, inline
images and attachments reach the recipient exactly as the SMTP transport would
send them. Graph accepts MIME messages up to 4 MB this way. Throttling (429) and
server errors (5xx) are transient, with Graph's Retry-After; other 4xx refusals
are permanent. Throttling and server errors concern the mailbox, not the message,
so they are connection errors: the batch stops and the rest waits for Retry-After.
The outbox's idempotency key keeps retries from sending twice.

One send has a deadline below the delivery lease: ``MAIL_SEND_TIMEOUT`` for each of
its ``GRAPH_SEND_ATTEMPTS`` attempts (sendMail, and again with a renewed token after a
401), every HTTP call (the token request's included) waiting at most the time left.
Past it the send fails as a connection error, as SMTP's does.
"""

from __future__ import annotations

import base64
import time
from email.message import EmailMessage
from email.utils import parseaddr

from app.mail.transport_base import ConnectionMailError, PermanentMailError, Ready, check_ready
from app.microsoft.graph import GraphClient, GraphError, GraphThrottled
from app.settings import Settings

#: Graph's limit for a MIME message posted to sendMail
MAX_MIME_BYTES = 4 * 1024 * 1024


class GraphTransport:
    """The Transport protocol over Graph; needs the Mail.Send application permission
    (restrict it to the mailbox with an application access policy)."""

    def __init__(self, settings: Settings, *, client: GraphClient | None = None) -> None:
        self.settings = settings
        self.mailbox = settings.entra_mail_mailbox or parseaddr(settings.mail_default_sender)[1]
        self._client = client

    def open(self) -> None:
        if self._client is None:
            # no waiting inside a delivery batch: the outbox reschedules with retry_after
            self._client = GraphClient(
                self.settings, max_wait=0, timeout=self.settings.mail_send_timeout_seconds
            )

    def send(self, message: EmailMessage, ready: Ready | None = None) -> None:
        """POST the MIME message to /users/{mailbox}/sendMail (202 Accepted means sent)."""
        check_ready(ready)
        deadline = time.monotonic() + self.settings.mail_send_deadline_seconds
        self.open()
        assert self._client is not None
        mime = message.as_bytes()
        if len(mime) > MAX_MIME_BYTES:
            raise PermanentMailError(
                f"message is {len(mime)} bytes; Graph sendMail takes at most {MAX_MIME_BYTES}"
            )
        try:
            self._client.request(
                "POST",
                f"/users/{self.mailbox}/sendMail",
                data=base64.b64encode(mime),
                headers={"Content-Type": "text/plain"},
                deadline=deadline,
            )
        except GraphThrottled as exc:
            raise ConnectionMailError(str(exc), retry_after=exc.retry_after) from exc
        except GraphError as exc:
            if exc.status >= 500 or exc.status in (0, 408):
                raise ConnectionMailError(str(exc)) from exc
            raise PermanentMailError(str(exc)) from exc
        except RuntimeError as exc:  # the token endpoint refused our credentials
            raise ConnectionMailError(str(exc)) from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
