"""A Learning Record Store answering GET /xapi/statements as xAPI 1.0.3 describes it.

Source: adlnet/xAPI-Spec, xAPI-Communication.md §2.1.3 (GET Statements: ``since`` is
exclusive and compares ``stored``; ``ascending``; ``limit``; a StatementResult whose ``more``
is an IRL relative to the LRS host, empty at the end; the
``X-Experience-API-Consistent-Through`` header), §3.3 (``X-Experience-API-Version`` on every
request, 400 without it) and §4.1 (HTTP Basic). Rate limiting as HTTP says it (429 with
``Retry-After``, RFC 6585 §4) and a 503 while the LRS restarts are the knobs.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.connectors.server import LocalServer, Request, Response

KEY, SECRET = "summit-reader", "lrs-secret-0123"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeLrs:
    page_size: int = 2
    statements: list[dict[str, Any]] = field(default_factory=list)
    #: how many requests answer 429 (Retry-After: 1) / 503 before the next succeeds
    throttle: int = 0
    unavailable: int = 0
    requests: list[Request] = field(default_factory=list)
    clock: datetime = field(default_factory=lambda: datetime(2026, 10, 5, 8, 0, tzinfo=UTC))

    def add(self, email: str, verb: str, activity: str, *, name: str = "", **extra: Any) -> None:
        """Store one statement now (``stored`` one second after the previous)."""
        self.clock += timedelta(seconds=1)
        statement = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": activity},
            "timestamp": iso(self.clock - timedelta(minutes=5)),
            "stored": iso(self.clock),
            "authority": {
                "objectType": "Agent",
                "account": {"homePage": "https://lrs", "name": "x"},
            },
            "version": "1.0.0",
            **extra,
        }
        if name:
            statement["object"]["definition"] = {"name": {"en-US": name}}
        self.statements.append(statement)

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.path != "/xapi/statements" or request.method != "GET":
            return Response(404, {"error": "not found"})
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response(
                401, {"error": "unauthorised"}, {"WWW-Authenticate": 'Basic realm="LRS"'}
            )
        if not request.headers.get("X-Experience-API-Version"):
            return Response(400, {"error": "X-Experience-API-Version header missing"})
        if self.throttle:
            self.throttle -= 1
            return Response(429, {"error": "too many requests"}, {"Retry-After": "1"})
        if self.unavailable:
            self.unavailable -= 1
            return Response(503, {"error": "restarting"})
        query = request.query
        if "more" in query:
            offset, since, ascending = query["more"].split("|")
            start = int(offset)
            query = {"since": since, "ascending": ascending}
        else:
            start = 0
        chosen = sorted(self.statements, key=lambda s: s["stored"])
        if query.get("since"):
            chosen = [s for s in chosen if s["stored"] > query["since"]]
        if query.get("ascending", "false").lower() != "true":
            chosen.reverse()
        page = chosen[start : start + self.page_size]
        more = ""
        if start + self.page_size < len(chosen):
            since, ascending = query.get("since", ""), query.get("ascending", "false")
            token = f"{start + self.page_size}|{since}|{ascending}"
            more = f"/xapi/statements?more={quote(token)}"
        return Response(
            200,
            {"statements": page, "more": more},
            {
                "X-Experience-API-Version": "1.0.3",
                "X-Experience-API-Consistent-Through": iso(self.clock),
            },
        )


def start(fake: FakeLrs) -> LocalServer:
    return LocalServer(fake).start()
