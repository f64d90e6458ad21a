"""HTTP for the connectors: retries on 429 (Retry-After) and 5xx, one credential refresh on 401.

Every failure that should stop a sync becomes a :class:`ConnectorError` whose message is
written for the local lead (it is shown on the connector page and emailed once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from app.microsoft.graph import retry_after

log = logging.getLogger(__name__)

USER_AGENT = "Summit progress connector"


class ConnectorError(Exception):
    """A sync could not finish; the message says why, for the local lead."""


class ApiClient:
    """``requests`` with the retry rules every connector shares.

    ``authorize(force)`` returns the Authorization header value; after a 401 it is called
    once with ``force=True`` to get fresh credentials. ``max_wait`` bounds the seconds spent
    waiting on 429 and 5xx answers in one sync.
    """

    def __init__(
        self,
        base_url: str,
        *,
        authorize: Callable[[bool], str | None] | None = None,
        headers: dict[str, str] | None = None,
        max_wait: float = 300.0,
        server_error_tries: int = 4,
        backoff: float = 0.5,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.authorize = authorize
        self.max_wait = max_wait
        self.server_error_tries = server_error_tries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.http = requests.Session()
        self.http.headers.update({"User-Agent": USER_AGENT, **(headers or {})})
        #: counters for the run's report
        self.requests = 0
        self.retries = 0
        self.waited = 0.0

    def close(self) -> None:
        self.http.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the platform; a link elsewhere would receive our credentials."""
        if "://" in path_or_url:
            if _origin(path_or_url) != self.origin:
                raise ConnectorError(
                    f"the platform sent a link to another server ({_origin(path_or_url)}); "
                    "Summit does not follow it with the credentials"
                )
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One call, retried on 429/5xx and refreshed once on 401; ConnectorError otherwise."""
        url = self.url(path_or_url)
        refreshed = force = False
        server_errors = 0
        while True:
            sent = dict(headers or {})
            if self.authorize is not None:
                value = self.authorize(force)
                force = False
                if value:
                    sent["Authorization"] = value
            self.requests += 1
            try:
                response = self.http.request(
                    method, url, headers=sent, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                server_errors += 1
                if server_errors >= self.server_error_tries:
                    raise ConnectorError(f"{self.origin} cannot be reached: {exc}") from exc
                self._wait(self.backoff * 2 ** (server_errors - 1), url, "no answer")
                continue
            status = response.status_code
            if status == 401 and self.authorize is not None and not refreshed:
                refreshed = force = True
                self.retries += 1
                log.info("%s answered 401: refreshing the credentials once", _path(url))
                continue
            if status == 429:
                self._wait(retry_after(response) or 1.0, url, "429")
                continue
            if status >= 500:
                server_errors += 1
                if server_errors >= self.server_error_tries:
                    raise ConnectorError(
                        f"{self.origin} answered {status} {server_errors} times in a row "
                        f"on {_path(url)}"
                    )
                delay = retry_after(response) or self.backoff * 2 ** (server_errors - 1)
                self._wait(delay, url, str(status))
                continue
            if status in (401, 403):
                raise ConnectorError(
                    f"{self.origin} refused the credentials ({status} on {_path(url)}): "
                    f"{_detail(response)}"
                )
            if status >= 400:
                raise ConnectorError(
                    f"{self.origin} answered {status} on {_path(url)}: {_detail(response)}"
                )
            return response

    def json(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        response = self.request(method, path_or_url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(
                f"{self.origin} did not answer JSON on {_path(response.url)}"
            ) from exc

    def _wait(self, seconds: float, url: str, why: str) -> None:
        if self.waited + seconds > self.max_wait:
            raise ConnectorError(
                f"{self.origin} kept asking Summit to wait ({why} on {_path(url)}); "
                "the next scheduled sync tries again"
            )
        self.retries += 1
        self.waited += seconds
        log.info("%s on %s: waiting %.1fs", why, _path(url), seconds)
        self.sleep(seconds)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _path(url: str) -> str:
    """The URL without its query, which may carry a token (Moodle's wstoken)."""
    return urlsplit(url).path or "/"


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("detail", "error_description", "error", "message", "developer_message"):
            if body.get(key):
                return str(body[key])[:200]
    return str(body)[:200]
