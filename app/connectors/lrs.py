"""Pull statements from a company's own Learning Record Store (xAPI 1.0.3).

``GET <endpoint>/statements?since=…&ascending=true&limit=…`` with HTTP Basic credentials and
``X-Experience-API-Version: 1.0.3``, then each ``more`` link (an IRL relative to the LRS's
host) until it is empty. The cursor is the newest ``stored`` read, held back to
``X-Experience-API-Consistent-Through`` so a statement still being written is read next time.
Statements are read with the LRS endpoint's own rules (:func:`app.xapi.statements.parse_statement`):
completed/passed (or ``result.completion``) complete a module, the cmi5 progress extension
gives a percentage; voiding statements and other verbs change nothing here.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from app.calendar import parse_instant
from app.connectors.http import ApiClient, ConnectorError
from app.connectors.observation import Observation
from app.xapi.errors import XapiError
from app.xapi.statements import parse_statement

VERSION = "1.0.3"
PAGE = 500


class LrsSource:
    def __init__(
        self, *, endpoint: str, username: str, password: str, cursor: dict[str, Any], now: datetime
    ) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.client = ApiClient(
            endpoint,
            authorize=lambda force: f"Basic {token}",
            headers={"X-Experience-API-Version": VERSION, "Accept": "application/json"},
        )
        self.since = cursor.get("since")
        self.now = now
        self.fetched = 0
        self.without_key = 0
        self.ignored = 0
        #: the newest ``stored`` read, and the LRS's own spelling of it (sent back as is)
        self.newest: datetime | None = None
        self.newest_raw = ""
        self.consistent: datetime | None = None
        self.consistent_raw = ""

    def close(self) -> None:
        self.client.close()

    def pages(self) -> Iterator[list[Observation]]:
        params: dict[str, Any] | None = {"ascending": "true", "limit": PAGE}
        if self.since:
            assert params is not None
            params["since"] = self.since
        url = "statements"
        while url:
            response = self.client.request("GET", url, params=params)
            self._note_consistency(response.headers.get("X-Experience-API-Consistent-Through"))
            try:
                body = response.json()
            except ValueError as exc:
                raise ConnectorError("the LRS did not answer a StatementResult (JSON)") from exc
            if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
                raise ConnectorError("the LRS did not answer a StatementResult")
            yield [obs for obs in map(self._observe, body["statements"]) if obs is not None]
            more = body.get("more") or ""
            # the more IRL is relative to the LRS's host and carries every parameter
            url, params = (self.client.origin + more if more.startswith("/") else more), None

    def _note_consistency(self, header: str | None) -> None:
        at = parse_instant(header, UTC) if header else None
        if at is not None and (self.consistent is None or at < self.consistent):
            self.consistent, self.consistent_raw = at, str(header)

    def _observe(self, statement: Any) -> Observation | None:
        self.fetched += 1
        stored = (
            parse_instant(str(statement.get("stored") or ""), UTC)
            if isinstance(statement, dict)
            else None
        )
        if stored is not None and (self.newest is None or stored > self.newest):
            self.newest, self.newest_raw = stored, str(statement["stored"])
        try:
            parsed = parse_statement(statement)
        except XapiError:
            self.ignored += 1
            return None
        if parsed.voids is not None or parsed.verb is None:
            self.ignored += 1
            return None
        if parsed.email:
            learner, kind = parsed.email, "e"
        elif parsed.employee_id:
            learner, kind = parsed.employee_id, "i"
        else:
            self.without_key += 1
            return None
        percent = 100.0 if parsed.completed else (parsed.percent or 0.0)
        return Observation(
            learner=learner,
            kind=kind,
            unit=parsed.activity_name or "",
            iri=parsed.activity_id or None,
            percent=percent,
            completed=parsed.completed,
            observed_at=parsed.observed_at or stored or self.now,
        )

    def next_cursor(self) -> dict[str, Any]:
        if self.newest is None:
            return {"since": self.since} if self.since else {}
        if self.consistent is not None and self.consistent < self.newest:
            return {"since": self.consistent_raw}
        return {"since": self.newest_raw}
