"""Open edX's OAuth2 token endpoint and grades gradebook, as edx-platform answers them.

Sources (github.com/openedx/edx-platform):
- ``openedx/core/djangoapps/oauth_dispatch/views.py`` (AccessTokenView: ``POST
  /oauth2/access_token`` with ``grant_type=client_credentials``; ``token_type=jwt`` answers
  ``{"access_token", "expires_in", "token_type": "JWT", "scope"}``) and
  ``tests/test_client_credentials.py``; django-oauth-toolkit answers a wrong secret
  with 401 ``{"error": "invalid_client"}``.
- ``lms/djangoapps/grades/rest_api/v1/urls.py`` and ``gradebook_views.py`` (GradebookView:
  ``GET /api/grades/v1/gradebook/{course_id}/``; entries with ``section_breakdown`` items
  ``attempted, category, label, module_id, percent, score_earned, score_possible,
  subsection_name``; ``total_users_count``, ``filtered_users_count``),
  ``rest_api/serializers.py`` (StudentGradebookEntrySerializer) and ``rest_api/v1/utils.py``
  (CourseEnrollmentPagination: DRF CursorPagination, ``page_size`` parameter, ``next`` /
  ``previous`` absolute URLs with an opaque ``cursor``; email blank outside the masters track).
- JWT authentication (edx-drf-extensions ``JwtAuthentication`` on drf-jwt): header
  ``Authorization: JWT <token>``; an expired token is 401 ``{"detail": "Token has expired."}``
  with ``WWW-Authenticate: JWT realm="api"``.
- Throttling as DRF does it (``rest_framework/exceptions.py`` Throttled): 429,
  ``{"detail": "Request was throttled. Expected available in 1 second."}``, ``Retry-After``.

The fake stands for a remote server, whose CPU is not Summit's: each enrollment's gradebook
entry is serialised to JSON once, when it is added, and a page is those bytes joined inside
the page's envelope (the same JSON ``json.dumps`` of the whole page would give). Building
every page from Python objects on every request put the fake's own serialisation, in the
bench's process and under its GIL, on the sync's clock (``bench/connector_sync.py``).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote

from tests.connectors.server import LocalServer, Request, Response

COURSE = "course-v1:SummitX+SEF+2026"
CLIENT_ID, CLIENT_SECRET = "summit-sync", "edx-client-secret"


@dataclass
class FakeOpenEdx:
    url: str = ""
    #: each active enrollment's gradebook entry, serialised once (JSON bytes)
    entries: list[bytes] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    #: after this many gradebook pages, every token issued so far has expired
    expire_after_pages: int | None = None
    throttle: int = 0
    failures: int = 0
    pages_served: int = 0
    requests: list[Request] = field(default_factory=list)

    def learner(self, user_id: int, username: str, scores: dict[str, float | None]) -> None:
        """One active enrollment: subsection name → score earned (None: not attempted)."""
        entry = {
            "user_id": user_id,
            "username": username,
            "email": "",  # shown for the masters track only
            "percent": 0.0,
            "section_breakdown": [
                {
                    "attempted": score is not None,
                    "category": "Homework",
                    "label": f"HW {i:02d}",
                    "module_id": f"block-v1:SummitX+SEF+2026+type@sequential+block@s{i}",
                    "percent": (score or 0.0) / 10.0,
                    "score_earned": score or 0.0,
                    "score_possible": 10.0,
                    "subsection_name": name,
                }
                for i, (name, score) in enumerate(scores.items(), start=1)
            ],
        }
        self.entries.append(json.dumps(entry).encode())

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.path == "/oauth2/access_token" and request.method == "POST":
            return self._token(request)
        if request.path == f"/api/grades/v1/gradebook/{COURSE}/" and request.method == "GET":
            return self._gradebook(request)
        return Response(404, {"detail": "Not found."})

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Response(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        kind = "JWT" if form.get("token_type", "").lower() == "jwt" else "Bearer"
        return Response(
            200,
            {"access_token": token, "expires_in": 36000, "token_type": kind, "scope": "read write"},
        )

    def _gradebook(self, request: Request) -> Response:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "JWT" or token not in self.tokens:
            detail = (
                "Token has expired."
                if scheme == "JWT"
                else "Authentication credentials were not provided."
            )
            return Response(401, {"detail": detail}, {"WWW-Authenticate": 'JWT realm="api"'})
        if self.throttle:
            self.throttle -= 1
            return Response(
                429,
                {"detail": "Request was throttled. Expected available in 1 second."},
                {"Retry-After": "1"},
            )
        if self.failures:
            self.failures -= 1
            return Response(500, {"detail": "A server error occurred."})
        size = int(request.query.get("page_size") or 50)
        cursor = request.query.get("cursor")
        start = int(base64.urlsafe_b64decode(cursor).decode()) if cursor else 0
        page = self.entries[start : start + size]
        base = f"{self.url}/api/grades/v1/gradebook/{COURSE}/"

        def link(offset: int) -> str:
            token = base64.urlsafe_b64encode(str(offset).encode()).decode()
            return f"{base}?cursor={quote(token)}&page_size={size}"

        self.pages_served += 1
        if self.expire_after_pages is not None and self.pages_served >= self.expire_after_pages:
            self.tokens.clear()
            self.expire_after_pages = None
        envelope = json.dumps(
            {
                "next": link(start + size) if start + size < len(self.entries) else None,
                "previous": link(max(start - size, 0)) if start else None,
                "results": [],
                "total_users_count": len(self.entries),
                "filtered_users_count": len(self.entries),
            }
        ).encode()
        head, _, tail = envelope.partition(b'"results": []')
        return Response(200, head + b'"results": [' + b", ".join(page) + b"]" + tail)


def start(fake: FakeOpenEdx) -> LocalServer:
    server = LocalServer(fake).start()
    fake.url = server.url
    return server
