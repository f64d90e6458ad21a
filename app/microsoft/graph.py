"""A small Microsoft Graph client: Summit calls Graph as itself (client credentials).

It follows ``@odata.nextLink`` paging, honours 429/503 ``Retry-After`` (waiting up
to ``max_wait`` seconds in total, then raising :class:`GraphThrottled` so a job can
be retried later), and refreshes its token once on a 401.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from app.microsoft import entra
from app.settings import Settings

log = logging.getLogger(__name__)

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
RETRY_STATUSES = {429, 503, 504}


class GraphError(Exception):
    """Graph refused a request; ``status`` is the HTTP status (0: no response)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class GraphThrottled(GraphError):
    """Graph asked us to come back later (429/503/504); ``retry_after`` in seconds."""

    def __init__(self, message: str, status: int, retry_after: float | None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class GraphClient:
    """Calls Graph with an app token; ``max_wait`` bounds the time spent honouring Retry-After."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.entra_graph_url.rstrip("/")
        self.max_wait = max_wait
        self.sleep = sleep
        self._token_source = token or (lambda: entra.app_token(GRAPH_SCOPES))
        self._token: str | None = None
        self.http = entra.http_session(settings)

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One Graph call with retries on throttling; raises GraphError on any other failure."""
        if path_or_url.startswith("https://"):
            if not path_or_url.startswith(self.base_url + "/"):
                # a link from elsewhere would receive our token
                raise GraphError(f"refusing to follow a link outside Graph: {_path(path_or_url)}")
            url = path_or_url
        else:
            url = self.base_url + path_or_url
        waited = 0.0
        refreshed = False
        while True:
            if self._token is None:
                self._token = self._token_source()
            try:
                response = self.http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers={"Authorization": f"Bearer {self._token}", **(headers or {})},
                    timeout=60,
                )
            except requests.RequestException as exc:
                raise GraphThrottled(f"Graph unreachable: {exc}", 0, None) from exc
            if response.status_code == 401 and not refreshed:
                self._token, refreshed = None, True
                continue
            if response.status_code in RETRY_STATUSES:
                delay = retry_after(response)
                wait = 1.0 if delay is None else delay
                if waited + wait > self.max_wait:
                    raise GraphThrottled(
                        f"Graph {response.status_code} on {method} {_path(url)}",
                        response.status_code,
                        delay,
                    )
                log.info("Graph %s on %s: waiting %ss", response.status_code, _path(url), wait)
                self.sleep(wait)
                waited += wait
                continue
            if response.status_code >= 400:
                raise GraphError(
                    f"Graph {response.status_code} on {method} {_path(url)}: {_error(response)}",
                    response.status_code,
                )
            return response

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params).json()

    def iter_pages(
        self, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``value`` list, following ``@odata.nextLink`` to the end."""
        page = self.get_json(path, params)
        while True:
            yield page.get("value", [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            page = self.get_json(next_link)  # the link carries every parameter already

    def member_object_ids(self, user_id: str) -> list[str]:
        """The groups a user belongs to (for ID tokens with too many groups to carry)."""
        response = self.request(
            "POST",
            f"/users/{user_id}/getMemberObjects",
            json={"securityEnabledOnly": False},
        )
        return [str(v) for v in response.json().get("value", [])]


def retry_after(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), capped at 1 hour."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), 3600.0)
    except ValueError:
        pass

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None

    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), 3600.0)


def _path(url: str) -> str:
    """The URL without its query (which may carry skip tokens or addresses) for logs."""
    return url.split("?", 1)[0]


def _error(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')} {error.get('message', '')}"[:300]
    except ValueError:
        return response.text[:300]


def create_online_meeting(
    *,
    settings: Settings,
    subject: str,
    start: datetime,
    end: datetime,
    client: GraphClient | None = None,
) -> str | None:
    """Create a Teams meeting organised by ENTRA_TEAMS_ORGANIZER; return its join URL.

    Returns None when Teams is not configured (the call then uses its fixed join
    URL). Needs the OnlineMeetings.ReadWrite.All application permission and an
    application access policy granted to the organiser. ``start``/``end`` are aware.
    Raises GraphError (or GraphThrottled) when Graph refuses.
    """
    organizer = settings.entra_teams_organizer
    if not organizer or not settings.entra_app_credentials:
        return None
    own = client is None
    client = client or GraphClient(settings, max_wait=30)
    try:
        response = client.request(
            "POST",
            f"/users/{organizer}/onlineMeetings",
            json={
                "subject": subject,
                "startDateTime": start.isoformat(),
                "endDateTime": end.isoformat(),
            },
        )
        return response.json()["joinWebUrl"]
    finally:
        if own:
            client.close()


def teams_configured(settings: Settings) -> bool:
    """True when :func:`create_online_meeting` will create meetings."""
    return bool(settings.entra_teams_organizer and settings.entra_app_credentials)
