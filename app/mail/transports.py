"""The seam between the outbox and the wire: every transport sends one built message.

A transport raises :class:`TransientMailError` for failures worth retrying (a 4xx
for one message or recipient), :class:`ConnectionMailError` (a TransientMailError)
when the server or the connection is the trouble (cannot connect, 421, timeout,
disconnect, throttling: every message would fail the same way now), and
:class:`PermanentMailError` for refusals that will not change (5xx). One send
never takes longer than the transport's ``send_timeout`` seconds: the delivery
lease is longer than that, so a message is only sent while its lease holds.
SMTP, the dev mailbox and Microsoft Graph implement it; :func:`get_transport`
picks one from ``MAIL_TRANSPORT``.

The message handed to ``send`` is complete (From, To, Subject, Date, a Message-ID
derived from the outbox key, MIME parts): ``message.as_bytes()`` is its wire form
(what Graph's ``sendMail`` accepts base64-encoded), ``message["To"]`` its recipient.
It is an ``email.message.Message`` (``app.mail.mime.PreparedMessage``: its wire
form is written once; parse ``as_bytes()`` to walk its parts). A transport may
set ``name`` (the key its sending budget is counted under, one per mailbox). The protocol
and the two errors live in :mod:`app.mail.transport_base` (re-exported here).
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from email.message import Message
from email.utils import getaddresses
from typing import TYPE_CHECKING

from app.mail import graph
from app.mail.transport_base import (
    ConnectionMailError,
    NotReady,
    PermanentMailError,
    Ready,
    TransientMailError,
    Transport,
    check_ready,
)

if TYPE_CHECKING:
    from app.settings import Settings


class DevTransport:
    """Keeps every email in the outbox only: the dev mailbox page shows them."""

    name = "dev"

    def open(self) -> None:
        return None

    def send(self, message: Message, ready: Ready | None = None) -> None:
        check_ready(ready)

    def close(self) -> None:
        return None


class Watchdog:
    """One thread that calls ``on_expire`` when an armed deadline passes: armed before each
    send and disarmed after, instead of a new timer thread per email (a thread start cost
    a third of a millisecond a message). Started at the first :meth:`arm`."""

    def __init__(self, on_expire: Callable[[], None]) -> None:
        self._on_expire = on_expire
        self._cond = threading.Condition()
        self._deadline: float | None = None
        #: when the thread wakes next by itself (None: it waits for an arm)
        self._wakes_at: float | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> None:
        with self._cond:
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smtp-watchdog", daemon=True)
                self._thread.start()
            # a thread already due to wake by then checks the new deadline itself: no
            # wake-up (a thread switch) per email while messages follow each other
            if self._wakes_at is None or self._wakes_at > self._deadline:
                self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None

    def close(self) -> None:
        with self._cond:
            self._closed, self._deadline = True, None
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if self._deadline is None:
                    self._wakes_at = None
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._wakes_at = self._deadline
                    self._cond.wait(left)
                    continue
                self._deadline = None
                self._on_expire()


#: a line of the message starting with "." gets one more (RFC 5321 4.5.2)
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _ReadySMTP(smtplib.SMTP):
    """``sendmail`` with the caller's ``ready`` check between the envelope and the message.

    Where the server offers PIPELINING (RFC 2920; real relays do), MAIL, RCPT and DATA go
    in one write and their replies are read together: two round trips a message instead
    of four. The message itself is written only after the ``ready`` check; if it says no
    once the server has answered DATA with 354, the connection is closed (a transaction
    is only ended without delivery by the connection closing before the final ".")."""

    ready: Ready | None = None

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        ready, self.ready = self.ready, None
        check_ready(ready)
        return super().data(msg)

    def sendmail(  # type: ignore[override]
        self,
        from_addr: str,
        to_addrs: list[str],
        msg: bytes,
        mail_options: tuple[str, ...] = (),
        rcpt_options: tuple[str, ...] = (),
    ) -> dict[str, tuple[int, bytes]]:
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("pipelining") or mail_options or rcpt_options:
            return super().sendmail(from_addr, to_addrs, msg)
        size = f" size={len(msg)}" if self.has_extn("size") else ""
        commands = [f"mail FROM:{smtplib.quoteaddr(from_addr)}{size}"]
        commands += [f"rcpt TO:{smtplib.quoteaddr(a)}" for a in to_addrs]
        self.send("".join(f"{c}\r\n" for c in commands) + "data\r\n")
        replies = [self.getreply() for _ in range(len(commands) + 1)]
        (mail_code, mail_reply), *rcpt_replies, (data_code, data_reply) = replies
        refused = {
            a: r for a, r in zip(to_addrs, rcpt_replies, strict=True) if r[0] not in (250, 251)
        }
        if data_code == 354 and (mail_code != 250 or len(refused) == len(to_addrs)):
            self.close()  # a server that took DATA without a valid envelope: end it unsent
        if mail_code != 250:
            if mail_code == 421:
                self.close()
            else:
                self._rset_quietly()
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, from_addr)
        if any(code == 421 for code, _ in refused.values()):
            self.close()
            raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(to_addrs):
            self._rset_quietly()
            raise smtplib.SMTPRecipientsRefused(refused)
        if data_code != 354:
            if data_code == 421:
                self.close()
            else:
                self._rset_quietly()
            raise smtplib.SMTPDataError(data_code, data_reply)
        ready, self.ready = self.ready, None
        if ready is not None and not ready():
            self.close()  # the server waits for the message: only closing ends it unsent
            raise NotReady
        body = _LEADING_DOT.sub(b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        code, reply = self.getreply()
        if code != 250:
            if code == 421:
                self.close()
            else:
                self._rset_quietly()
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _rset_quietly(self) -> None:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.rset()


class _ReadySMTP_SSL(_ReadySMTP, smtplib.SMTP_SSL):
    pass


@functools.lru_cache(maxsize=16)
def _envelope_sender(from_header: str) -> str:
    """The address of a From header (one sender for every message: parsed once)."""
    return getaddresses([from_header])[0][1]


class SmtpTransport:
    """SMTP with one connection reused for a whole batch (STARTTLS, TLS, AUTH as configured).

    Each socket operation waits at most ``timeout`` seconds, and one whole send
    (connecting included) at most ``send_timeout``: past it the socket is shut
    down and the send fails as a connection error.
    """

    def __init__(
        self, settings: Settings, timeout: float = 30.0, send_timeout: float | None = None
    ) -> None:
        self.settings = settings
        self.send_timeout = float(send_timeout or settings.mail_send_timeout_seconds)
        self.timeout = min(timeout, self.send_timeout)
        self.name = f"smtp:{settings.mail_server}:{settings.mail_username or '-'}"
        self._smtp: _ReadySMTP | None = None
        #: the connection being opened or used, for the watchdog to shut down
        self._live: smtplib.SMTP | None = None
        self._watchdog = Watchdog(self._abort)

    def open(self) -> None:
        if self._smtp is not None:
            return
        s = self.settings
        try:
            if s.mail_use_ssl:
                smtp: _ReadySMTP = _ReadySMTP_SSL(
                    timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = _ReadySMTP(timeout=self.timeout)
            self._live = smtp
            smtp.connect(s.mail_server, s.mail_port)
            if s.mail_use_tls and not s.mail_use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.mail_username:
                smtp.login(s.mail_username, s.mail_password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionMailError(f"SMTP authentication refused ({exc.smtp_code})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionMailError(f"cannot connect to the SMTP server: {exc}") from exc
        self._smtp = smtp

    def _abort(self) -> None:
        """The watchdog: the send took too long, shut the socket so every wait ends now."""
        smtp = self._live
        sock = getattr(smtp, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def send(self, message: Message, ready: Ready | None = None) -> None:
        self._watchdog.arm(self.send_timeout)
        try:
            self._send(message, ready)
        finally:
            self._watchdog.disarm()

    def _send(self, message: Message, ready: Ready | None) -> None:
        self.open()
        assert self._smtp is not None
        self._live = self._smtp
        self._smtp.ready = ready
        sender = _envelope_sender(message["From"])
        recipients = list(getattr(message, "recipients", ())) or [
            a for _, a in getaddresses(message.get_all("To", []))
        ]
        try:
            refused = self._smtp.sendmail(sender, recipients, message.as_bytes())
        except NotReady:
            self._reset()  # MAIL and RCPT were accepted: end that transaction
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            self._classify(next(iter(exc.recipients.values())))
            raise PermanentMailError("every recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            self._classify((exc.smtp_code, exc.smtp_error))
            raise TransientMailError(f"unexpected SMTP reply {exc.smtp_code}") from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise ConnectionMailError(f"connection lost: {exc}") from exc
        if refused:
            self._classify(next(iter(refused.values())))

    def _classify(self, response: tuple[int, bytes | str]) -> None:
        code, text = response
        detail = text.decode(errors="replace") if isinstance(text, bytes) else text
        if code == 421:  # the server closes the connection after 421
            self._drop()
            raise ConnectionMailError(f"{code} {detail}")
        if 400 <= code < 500:
            raise TransientMailError(f"{code} {detail}")
        if code >= 500:
            self._reset()
            raise PermanentMailError(f"{code} {detail}")

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp, self._live = self._smtp, None, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        self._watchdog.close()
        smtp, self._smtp, self._live = self._smtp, None, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def transport_name(transport: object) -> str:
    """The key a transport's sending budget is counted under (its class name if unnamed)."""
    return str(getattr(transport, "name", None) or type(transport).__name__)


def get_transport(settings: Settings) -> Transport:
    """The transport ``MAIL_TRANSPORT`` names."""
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    if settings.mail_transport == "graph":
        return graph.GraphTransport(settings)
    return DevTransport()
