"""Pull subsection grades from Open edX's REST APIs (OAuth2 client credentials).

A token comes from ``POST /oauth2/access_token`` (``grant_type=client_credentials``,
``token_type=jwt``) and goes in ``Authorization: JWT <token>`` (``Bearer`` for a bearer
token); an expired one (401) is replaced once. The gradebook
(``GET /api/grades/v1/gradebook/<course key>/``, cursor-paged through ``next``) lists every
active enrollment with its ``section_breakdown``: one entry per graded subsection, with
``attempted``, ``score_earned`` and ``subsection_name``. A subsection attempted with a score
above 0 completes its module; attempted with 0 is progress, not completion.

Open edX has no "changed since" filter on grades, so every sync reads the gradebook and
only rows that differ from Summit's reach the database. Its completion API
(``/api/completion/v1/``) answers only for the signed-in learner (``IsUserInUrl``), so a
service account cannot read it; ungraded content does not count here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from app.connectors.http import ApiClient, ConnectorError
from app.connectors.observation import Observation

PAGE_SIZE = 100
#: learner_field values: which gradebook field names the learner, and what it is in Summit
LEARNER_FIELDS = {"email": "e", "username": "i", "external_user_key": "i"}


class OpenEdxSource:
    def __init__(
        self,
        *,
        base_url: str,
        course_id: str,
        client_id: str,
        client_secret: str,
        learner_field: str,
        now: datetime,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.course_id = course_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.learner_field = learner_field if learner_field in LEARNER_FIELDS else "email"
        self.now = now
        self._token: str | None = None
        self._token_expires = 0.0
        self.client = ApiClient(
            self.base_url, authorize=self._authorization, headers={"Accept": "application/json"}
        )
        self.fetched = 0
        self.without_key = 0
        self.tokens_issued = 0

    def close(self) -> None:
        self.client.close()

    def _authorization(self, force: bool) -> str:
        if force or self._token is None or time.monotonic() >= self._token_expires:
            self._fetch_token()
        return self._token or ""

    def _fetch_token(self) -> None:
        # the token endpoint takes no Authorization header: a plain client of its own
        token_client = ApiClient(self.base_url, headers={"Accept": "application/json"})
        try:
            body = token_client.json(
                "POST",
                "/oauth2/access_token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "token_type": "jwt",
                },
            )
        finally:
            self.client.requests += token_client.requests
            token_client.close()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ConnectorError("Open edX issued no access token for these client credentials")
        kind = str(body.get("token_type") or "JWT")
        scheme = "JWT" if kind.lower() == "jwt" else "Bearer"
        self._token = f"{scheme} {token}"
        expires_in = float(body.get("expires_in") or 3600)
        # renew a minute early rather than send a token that expires on the way
        self._token_expires = time.monotonic() + max(expires_in - 60, 0)
        self.tokens_issued += 1

    def pages(self) -> Iterator[list[Observation]]:
        url: str | None = f"/api/grades/v1/gradebook/{quote(self.course_id, safe=':+')}/"
        params: dict[str, Any] | None = {"page_size": PAGE_SIZE}
        while url:
            body = self.client.json("GET", url, params=params)
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise ConnectorError("the Open edX gradebook did not answer a page of results")
            yield list(self._observations(body["results"]))
            url, params = body.get("next") or None, None  # next carries the cursor and size

    def _observations(self, entries: list[Any]) -> Iterator[Observation]:
        kind = LEARNER_FIELDS[self.learner_field]
        field, now = self.learner_field, self.now
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            learner = str(entry.get(field) or "").strip()
            breakdown = entry.get("section_breakdown") or []
            self.fetched += len(breakdown)
            if not learner:
                # the gradebook shows email only for the masters track: match on username
                self.without_key += 1
                continue
            if kind == "e":
                learner = learner.lower()
            for section in breakdown:
                if not isinstance(section, dict) or not section.get("attempted"):
                    continue
                done = float(section.get("score_earned") or 0.0) > 0
                unit = str(section.get("subsection_name") or section.get("label") or "")
                # positional: a sync builds millions of these
                yield Observation(learner, kind, unit, None, 100.0 if done else 0.0, done, now)

    def next_cursor(self) -> dict[str, Any]:
        return {"read_at": self.now.isoformat()}
