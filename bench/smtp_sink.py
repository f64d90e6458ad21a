"""The benchmarks' SMTP sink: aiosmtpd's discarding handler, each reply optionally late.

    python -m bench.smtp_sink --port 2525 [--reply-delay-ms 5] [--pipelining]

``--reply-delay-ms D`` is a local fake of a real relay's round trip: every reply leaves
the server D milliseconds after the server wrote it (scheduled, not slept: replies stay
in order and a client that pipelines its commands waits one D for all of them, as over a
network link with a round trip of D). With D = 0 it is aiosmtpd as it is: a sink on the
same cores as the sender, where what is measured is CPU (sink, database, sender), not
the conversation with a relay. ``--pipelining`` advertises RFC 2920 PIPELINING in the
EHLO reply (aiosmtpd reads commands one line at a time, so it handles pipelined commands
already; it just does not say so), as real relays (Postfix, Exchange, SES) do.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP


class _EhloPipelining:
    """Adds ``PIPELINING`` to the EHLO reply (aiosmtpd's "new" EHLO hook)."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class _PipeliningSink(Sink, _EhloPipelining):
    pass


class LateSMTP(SMTP):
    """Every reply written ``delay`` seconds late, in order, without holding the session."""

    delay = 0.0

    async def push(self, status: str | bytes) -> None:
        text = status if isinstance(status, str) else status.decode()
        if not self.delay or text.startswith("221"):  # the server closes after 221: wait here
            if self.delay:
                await asyncio.sleep(self.delay)
            await super().push(status)
            return
        if isinstance(status, str):
            status = status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii")
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self._write_late, status + b"\r\n")

    def _write_late(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply-delay-ms", type=float, default=0.0)
    parser.add_argument("--pipelining", action="store_true")
    args = parser.parse_args()
    handler = _PipeliningSink() if args.pipelining else Sink()

    class Server(LateSMTP):
        delay = args.reply_delay_ms / 1000

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: Server(handler, hostname="sink.example", loop=loop), args.host, args.port
        )
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
