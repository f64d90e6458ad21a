"""A local fake of Microsoft Entra ID and Microsoft Graph, over HTTPS on 127.0.0.1.

It speaks the real protocols the app uses: OpenID discovery, JWKS, the v2.0
authorize endpoint (which answers at once with a code, as if the user had signed
in), the token endpoint (authorization code with PKCE, client credentials)
issuing RS256-signed tokens, logout, and the Graph endpoints Summit calls
(``/users`` with ``@odata.nextLink`` paging, ``sendMail``, ``onlineMeetings``,
``getMemberObjects``). Its certificate comes from a throw-away CA (trustme).
Knobs on :class:`FakeEntra` make it misbehave: tamper with the ID token, throttle
Graph, fail sendMail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import trustme
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_SECRET = "fake-client-secret"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class FakeEntra:
    base: str = ""
    ca_path: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    #: a key that is not published: tokens signed with it must be refused
    rogue_key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    #: the claims of whoever "signs in" next at the authorize endpoint
    user: dict[str, Any] = field(default_factory=dict)
    #: how to spoil the next ID token: signature, wrong_key, audience, expired, nonce, issuer
    tamper: str | None = None
    #: how many Graph calls answer 429 before the next succeeds
    throttle: int = 0
    retry_after: str = "2"
    #: statuses sendMail answers with before accepting (e.g. [503], [400])
    mail_failures: list[int] = field(default_factory=list)
    #: seconds sendMail takes to answer (a slow Graph: the message is accepted all the same)
    mail_delay: float = 0.0
    page_size: int = 2
    directory: list[dict[str, Any]] = field(default_factory=list)
    member_objects: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_tokens: set[str] = field(default_factory=set)
    sent_mail: list[dict[str, Any]] = field(default_factory=list)
    meetings: list[dict[str, Any]] = field(default_factory=list)
    graph_calls: list[str] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.user = {
            "oid": "00000000-0000-0000-0000-00000000a11c",
            "name": "Alice Lead",
            "preferred_username": "alice@contoso.example",
            "roles": ["Summit.LocalLead.DE"],
        }
        self.tamper = None
        self.throttle = 0
        self.retry_after = "2"
        self.mail_failures = []
        self.mail_delay = 0.0
        self.directory = []
        self.member_objects = {}
        self.page_size = 2
        for collection in (self.codes, self.sent_mail, self.meetings, self.graph_calls):
            collection.clear()
        self.token_requests.clear()

    @property
    def issuer(self) -> str:
        return f"{self.base}/{TENANT}/v2.0"

    @property
    def authority(self) -> str:
        return f"{self.base}/{TENANT}"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "key-1", "use": "sig", "alg": "RS256"}]}

    def id_token(self, code: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "sub-" + code["user"]["oid"],
            "tid": TENANT,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "nonce": code["nonce"],
            "ver": "2.0",
            **code["user"],
        }
        key = self.key
        if self.tamper == "audience":
            claims["aud"] = "another-application"
        elif self.tamper == "expired":
            claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
        elif self.tamper == "nonce":
            claims["nonce"] = hashlib.sha256(b"someone else's nonce").hexdigest()
        elif self.tamper == "issuer":
            claims["iss"] = f"{self.base}/99999999-9999-9999-9999-999999999999/v2.0"
        elif self.tamper == "wrong_key":
            key = self.rogue_key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "key-1"})
        if self.tamper == "signature":
            header, payload, signature = token.split(".")
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            body["roles"] = ["Summit.GlobalAdmin"]  # a forged promotion
            token = ".".join([header, _b64url(json.dumps(body).encode()), signature])
        return token


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeEntra:
        return self.server.fake

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fake = self.fake
        if url.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            return self._send(
                200,
                {
                    "issuer": fake.issuer,
                    "authorization_endpoint": f"{fake.authority}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{fake.authority}/oauth2/v2.0/token",
                    "end_session_endpoint": f"{fake.authority}/oauth2/v2.0/logout",
                    "jwks_uri": f"{fake.authority}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "subject_types_supported": ["pairwise"],
                    "scopes_supported": ["openid", "profile", "email", "offline_access"],
                },
            )
        if url.path == f"/{TENANT}/discovery/v2.0/keys":
            return self._send(200, fake.jwks())
        if url.path == f"/{TENANT}/oauth2/v2.0/authorize":
            return self._authorize(query)
        if url.path == f"/{TENANT}/oauth2/v2.0/logout":
            return self._send(200, {"signed_out": True})
        if url.path.startswith("/v1.0/"):
            return self._graph("GET", url.path, query)
        return self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token({k: v[0] for k, v in parse_qs(self._body().decode()).items()})
        if url.path.startswith("/v1.0/"):
            return self._graph("POST", url.path, {}, self._body())
        return self._send(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> None:
        fake = self.fake
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert "openid" in query["scope"].split()
        code = secrets.token_urlsafe(16)
        fake.codes[code] = {
            "redirect_uri": query["redirect_uri"],
            "challenge": query["code_challenge"],
            "nonce": query["nonce"],
            "user": dict(fake.user),
        }
        state = query["state"] + ("-forged" if fake.tamper == "state" else "")
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': state})}"
        self._send(302, headers={"Location": location})

    def _token(self, form: dict[str, str]) -> None:
        fake = self.fake
        fake.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._send(401, {"error": "invalid_client"})
        if form["grant_type"] == "client_credentials":
            token = "app-" + secrets.token_urlsafe(12)
            fake.app_tokens.add(token)
            return self._send(
                200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
            )
        if form["grant_type"] != "authorization_code":
            return self._send(400, {"error": "unsupported_grant_type"})
        code = fake.codes.pop(form.get("code", ""), None)
        if code is None or code["redirect_uri"] != form.get("redirect_uri"):
            return self._send(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        if _b64url(hashlib.sha256(verifier.encode()).digest()) != code["challenge"]:
            return self._send(400, {"error": "invalid_grant", "error_description": "PKCE"})
        oid = code["user"]["oid"]
        client_info = _b64url(json.dumps({"uid": oid, "utid": TENANT}).encode())
        return self._send(
            200,
            {
                "token_type": "Bearer",
                "scope": "User.Read openid profile",
                "expires_in": 3599,
                "access_token": "user-" + secrets.token_urlsafe(12),
                "refresh_token": "refresh-" + secrets.token_urlsafe(12),
                "id_token": fake.id_token(code),
                "client_info": client_info,
            },
        )

    def _graph(self, method: str, path: str, query: dict[str, str], body: bytes = b"") -> None:
        fake = self.fake
        fake.graph_calls.append(f"{method} {path}")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in fake.app_tokens:
            return self._send(401, {"error": {"code": "InvalidAuthenticationToken"}})
        if fake.throttle > 0:
            fake.throttle -= 1
            return self._send(
                429,
                {"error": {"code": "TooManyRequests", "message": "slow down"}},
                headers={"Retry-After": fake.retry_after},
            )
        if method == "GET" and path == "/v1.0/users":
            start = int(query.get("$skiptoken", "0"))
            page = fake.directory[start : start + fake.page_size]
            answer: dict[str, Any] = {"value": page}
            if start + fake.page_size < len(fake.directory):
                rest = {k: v for k, v in query.items() if k != "$skiptoken"}
                rest["$skiptoken"] = str(start + fake.page_size)
                answer["@odata.nextLink"] = f"{fake.base}/v1.0/users?{urlencode(rest)}"
            return self._send(200, answer)
        parts = path.split("/")
        if method == "POST" and len(parts) == 5 and parts[4] == "sendMail":
            time.sleep(fake.mail_delay)
            if fake.mail_failures:
                status = fake.mail_failures.pop(0)
                headers = {"Retry-After": fake.retry_after} if status in (429, 503) else {}
                return self._send(status, {"error": {"code": "Refused"}}, headers=headers)
            assert self.headers.get("Content-Type") == "text/plain"
            fake.sent_mail.append({"mailbox": parts[3], "mime": base64.b64decode(body)})
            return self._send(202)
        if method == "POST" and len(parts) == 5 and parts[4] == "onlineMeetings":
            meeting = json.loads(body)
            fake.meetings.append({"organizer": parts[3], **meeting})
            join = f"https://teams.example/l/meetup-join/{len(fake.meetings)}"
            return self._send(201, {"id": str(len(fake.meetings)), "joinWebUrl": join})
        if method == "POST" and len(parts) == 5 and parts[4] == "getMemberObjects":
            return self._send(200, {"value": fake.member_objects.get(parts[3], [])})
        return self._send(404, {"error": {"code": "Request_ResourceNotFound"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeEntra

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-handshake is not the test's business


def start_fake_entra(directory: Path) -> tuple[FakeEntra, _Server]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_path = directory / "fake-entra-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake = FakeEntra(base=f"https://127.0.0.1:{server.server_address[1]}", ca_path=str(ca_path))
    fake.reset()
    server.fake = fake
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
