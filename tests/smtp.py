"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(
        self, server: Any, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.sink.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # the client's DATA already here while its RCPT is being answered: it pipelines
        # (aiosmtpd reads one line at a time from its stream reader)
        waiting = bytes(getattr(server._reader, "_buffer", b"")).upper()
        self.sink.pipelined.append(b"DATA" in waiting)
        code = self.sink.reject_rcpt.get(address)
        if code:
            return code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        hold = self.sink.hold_next_data
        if hold is not None:
            # answer this DATA only once the test says so; other sessions go on meanwhile
            self.sink.hold_next_data = None
            self.sink.data_held.set()
            while not hold.is_set():
                await asyncio.sleep(0.01)
        if self.sink.on_data is not None:
            self.sink.on_data(envelope.original_content or b"")
        if self.sink.slow_data:
            await asyncio.sleep(self.sink.slow_data)
        if self.sink.fail_next:
            return self.sink.fail_next.pop(0)
        if self.sink.drop_after_data > 0:
            # the message arrived, but the connection drops before the reply
            self.sink.drop_after_data -= 1
            self._keep(envelope)
            server.transport.close()
            return "250 never seen"
        self._keep(envelope)
        return "250 Message accepted"

    def _keep(self, envelope: Envelope) -> None:
        with self.sink.lock:
            self.sink.messages.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=envelope.original_content or b"",
                )
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Start, read and script a local SMTP server (e.g. ``fail_next = ["451 try later"]``)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.messages: list[Received] = []
        self.fail_next: list[str] = []
        self.reject_rcpt: dict[str, str] = {}
        #: set to an Event: the next DATA is answered only once it is set
        self.hold_next_data: threading.Event | None = None
        #: set when a DATA is being held
        self.data_held = threading.Event()
        #: seconds to wait before answering each DATA (a slow server)
        self.slow_data = 0.0
        #: how many of the next DATAs are received, then the connection dropped unanswered
        self.drop_after_data = 0
        #: called with each message's bytes as its DATA arrives, before the answer
        self.on_data: Callable[[bytes], None] | None = None
        #: offer PIPELINING (RFC 2920) in the EHLO reply
        self.pipelining = False
        #: per RCPT: whether the client's DATA had arrived before the RCPT was answered
        self.pipelined: list[bool] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.fail_next.clear()
        self.reject_rcpt.clear()
        self.hold_next_data = None
        self.data_held.clear()
        self.slow_data = 0.0
        self.drop_after_data = 0
        self.on_data = None
        self.pipelining = False
        self.pipelined.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.messages if address in m.rcpt_tos]
