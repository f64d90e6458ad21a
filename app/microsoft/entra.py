"""Microsoft Entra ID sign-in: MSAL's authorization-code flow and our own ID token checks.

MSAL runs the protocol (PKCE, state, the nonce it puts in the request); since
MSAL 1.38 it no longer verifies the ID token, so :func:`validate_id_token` does:
signature against the tenant's published keys, issuer and tenant, audience,
expiry and nonce. Nothing here runs at import: the MSAL application (which
fetches the OpenID configuration) is built when a request needs it.

Server-side state lives in Redis, never in the cookie: the pending flow (with
its PKCE verifier) for ten minutes, and each session's MSAL token cache for the
session's lifetime. The cookie holds only random ids pointing at them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from flask import current_app, session

from app.settings import Settings
from app.tasks import get_redis

log = logging.getLogger(__name__)

#: what the sign-in asks for beyond openid/profile (MSAL adds those itself)
SIGN_IN_SCOPES = ["User.Read"]
FLOW_TTL_SECONDS = 600
JWKS_TTL_SECONDS = 3600
#: clock skew allowed on exp/nbf/iat
LEEWAY_SECONDS = 120
SESSION_CACHE_KEY = "entra_cache_id"
SESSION_FLOW_KEY = "entra_flow_id"
SESSION_IDENTITY_KEY = "entra_identity"
_EXT = "summit.entra"


class SignInRefused(Exception):
    """The sign-in response or its ID token failed a check; the message says which (for logs)."""


@dataclass
class _State:
    """Per-app caches: MSAL's HTTP cache (OpenID configuration) and the tenant's keys."""

    http_cache: dict[Any, Any] = field(default_factory=dict)
    jwks: dict[str, tuple[float, jwt.PyJWKSet]] = field(default_factory=dict)
    openid: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_token_cache: msal.TokenCache = field(default_factory=msal.TokenCache)
    #: one pooled HTTP session for MSAL and the key fetches
    http: requests.Session | None = None


def _state() -> _State:
    state = current_app.extensions.get(_EXT)
    if state is None:
        state = current_app.extensions.setdefault(_EXT, _State())
    return state


def settings() -> Settings:
    return current_app.extensions["summit.settings"]


def tls_verify(s: Settings | None = None) -> bool | str:
    """What ``requests`` should trust: ENTRA_CA_BUNDLE when set, else the system's CAs."""
    s = s or settings()
    return s.entra_ca_bundle or True


class _TrustingSession(requests.Session):
    """A session whose ``verify`` wins over REQUESTS_CA_BUNDLE (requests lets the environment
    override a session's own setting, which would silently ignore ENTRA_CA_BUNDLE)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.verify
        return super().request(method, url, *args, **kwargs)


def http_session(s: Settings | None = None) -> requests.Session:
    """A new HTTP session trusting what Entra calls should trust (the caller closes it)."""
    http = _TrustingSession()
    http.verify = tls_verify(s)
    return http


def _shared_http() -> requests.Session:
    state = _state()
    if state.http is None:
        state.http = http_session()
    return state.http


def reset() -> None:
    """Forget the cached configuration, keys and tokens (tests; a changed tenant)."""
    state = current_app.extensions.pop(_EXT, None)
    if state is not None and state.http is not None:
        state.http.close()


def client_credential(s: Settings) -> Any:
    """The secret, or the certificate (private key + SHA-1 thumbprint) from one PEM file."""
    if s.entra_client_certificate_path:
        pem = Path(s.entra_client_certificate_path).read_bytes()
        cert = x509.load_pem_x509_certificate(pem)
        return {
            "private_key": pem.decode(),
            "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),  # noqa: S303 - Entra's x5t
        }
    return s.entra_client_secret


def msal_app(token_cache: msal.TokenCache | None = None) -> msal.ConfidentialClientApplication:
    """An MSAL confidential client for this tenant, sharing the app-wide HTTP cache."""
    s = settings()
    return msal.ConfidentialClientApplication(
        s.entra_client_id,
        client_credential=client_credential(s),
        authority=s.entra_authority_url,
        instance_discovery=False,
        token_cache=token_cache,
        http_client=_shared_http(),
        http_cache=_state().http_cache,
        timeout=30,
    )


def app_token(scopes: list[str]) -> str:
    """An access token for Summit itself (client credentials), cached until near expiry."""
    result = msal_app(token_cache=_state().app_token_cache).acquire_token_for_client(scopes=scopes)
    if "access_token" not in result:
        raise RuntimeError(
            f"Entra ID refused Summit's client credentials: {result.get('error')} "
            f"{result.get('error_description', '')[:200]}"
        )
    return result["access_token"]


# --- OpenID configuration and keys ------------------------------------------------------


def openid_configuration() -> dict[str, Any]:
    """The tenant's OpenID configuration (cached for the process)."""
    s = settings()
    url = f"{s.entra_authority_url}/v2.0/.well-known/openid-configuration"
    state = _state()
    config = state.openid.get(url)
    if config is None:
        response = _shared_http().get(url, timeout=30)
        response.raise_for_status()
        config = response.json()
        state.openid[url] = config
    return config


def _signing_key(token: str) -> jwt.PyJWK:
    """The published key whose ``kid`` the token names; refetch once when keys may have rotated."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"ID token is not a JWT: {exc}") from exc
    uri = openid_configuration()["jwks_uri"]
    now = time.monotonic()
    fetched_at, keys = _state().jwks.get(uri, (None, None))
    if keys is None or fetched_at is None or now - fetched_at > JWKS_TTL_SECONDS:
        fetched_at, keys = _fetch_jwks(uri)
    key = _find_key(keys, kid)
    if key is None and now - fetched_at > 60:  # an unknown kid after a while: keys rotated
        fetched_at, keys = _fetch_jwks(uri)
        key = _find_key(keys, kid)
    if key is None:
        raise SignInRefused(f"ID token signed with unknown key {kid!r}")
    return key


def _fetch_jwks(uri: str) -> tuple[float, jwt.PyJWKSet]:
    response = _shared_http().get(uri, timeout=30)
    response.raise_for_status()
    entry = (time.monotonic(), jwt.PyJWKSet.from_dict(response.json()))
    _state().jwks[uri] = entry
    return entry


def _find_key(keys: jwt.PyJWKSet, kid: str | None) -> jwt.PyJWK | None:
    return next((k for k in keys.keys if k.key_id == kid), None)


def nonce_hash(nonce: str) -> str:
    """The nonce MSAL puts on the wire: the SHA-256 hex digest of the flow's secret nonce."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def validate_id_token(id_token: str, *, nonce: str) -> dict[str, Any]:
    """Verify the ID token ourselves and return its claims, or raise SignInRefused.

    Checks: RS256 signature by one of the tenant's published keys, issuer (the
    tenant's, from its OpenID configuration), ``tid`` when the tenant is a GUID,
    audience = our client id, expiry/not-before (2 min skew), and the nonce.
    """
    s = settings()
    key = _signing_key(id_token)
    issuer = openid_configuration()["issuer"]
    try:
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=s.entra_client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"ID token rejected: {exc}") from exc
    tenant_issuer = issuer.replace("{tenantid}", str(claims.get("tid", "")))
    if claims["iss"] != tenant_issuer:
        raise SignInRefused(f"ID token from issuer {claims['iss']!r}, expected {tenant_issuer!r}")
    tid = str(claims.get("tid", "")).lower()
    if s.entra_allowed_tenants:
        if tid not in s.entra_allowed_tenants:
            raise SignInRefused(f"ID token for tenant {tid!r}, not in ENTRA_ALLOWED_TENANTS")
    elif s.entra_multi_tenant:
        raise SignInRefused("a multi-tenant authority needs ENTRA_ALLOWED_TENANTS")
    elif _is_guid(s.entra_tenant_id) and tid != s.entra_tenant_id.lower():
        raise SignInRefused(f"ID token for tenant {claims.get('tid')!r}")
    if not secrets.compare_digest(str(claims["nonce"]), nonce_hash(nonce)):
        raise SignInRefused("ID token nonce does not match this sign-in")
    return claims


def _is_guid(value: str) -> bool:
    parts = value.split("-")
    return len(parts) == 5 and all(c in "0123456789abcdefABCDEF-" for c in value)


# --- the flow -----------------------------------------------------------------------------


def begin_sign_in(*, purpose: str, next_url: str) -> str:
    """Start an authorization-code flow; keep it server-side; return the URL to send the browser."""
    s = settings()
    with warnings.catch_warnings():
        # form_post would be a cross-site POST, which our SameSite=Lax cookie does not
        # follow; the code in the query is single-use and worthless without the PKCE
        # verifier, which never leaves the server.
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow = msal_app().initiate_auth_code_flow(
            SIGN_IN_SCOPES, redirect_uri=s.entra_redirect_url, response_mode="query"
        )
    flow_id = secrets.token_urlsafe(24)
    record = {"flow": flow, "purpose": purpose, "next": next_url}
    redis = get_redis()
    previous = session.get(SESSION_FLOW_KEY)
    if previous:  # one pending flow per session: a new start replaces the old one
        redis.delete(_flow_key(previous))
    redis.set(_flow_key(flow_id), json.dumps(record), ex=FLOW_TTL_SECONDS)
    session[SESSION_FLOW_KEY] = flow_id
    return flow["auth_uri"]


@dataclass
class SignInResult:
    claims: dict[str, Any]
    purpose: str
    next_url: str
    cache: msal.SerializableTokenCache


def complete_sign_in(auth_response: dict[str, str]) -> SignInResult:
    """Redeem the code (MSAL checks state and PKCE), then validate the ID token ourselves.

    The pending flow is used once: a replayed callback finds nothing.
    """
    flow_id = session.pop(SESSION_FLOW_KEY, None)
    raw = get_redis().getdel(_flow_key(flow_id)) if flow_id else None
    if raw is None:
        raise SignInRefused("no sign-in in progress in this browser (or it expired)")
    record = json.loads(raw)
    flow = record["flow"]
    if auth_response.get("error"):
        raise SignInRefused(f"Entra ID returned {auth_response.get('error')}")
    cache = msal.SerializableTokenCache()
    try:
        result = msal_app(token_cache=cache).acquire_token_by_auth_code_flow(
            flow, auth_response, scopes=SIGN_IN_SCOPES
        )
    except (ValueError, RuntimeError) as exc:  # state mismatch, nonce mismatch
        raise SignInRefused(str(exc)) from exc
    if "error" in result or "id_token" not in result:
        raise SignInRefused(f"token endpoint: {result.get('error')}")
    claims = validate_id_token(result["id_token"], nonce=flow["nonce"])
    return SignInResult(
        claims=claims, purpose=record["purpose"], next_url=record["next"], cache=cache
    )


def _flow_key(flow_id: str) -> str:
    return f"summit:entra:flow:{flow_id}"


def _cache_key(cache_id: str) -> str:
    return f"summit:entra:cache:{cache_id}"


def keep_token_cache(cache: msal.SerializableTokenCache) -> None:
    """Store this session's token cache server-side; the cookie gets a fresh random id."""
    cache_id = secrets.token_urlsafe(24)
    lifetime = int(current_app.permanent_session_lifetime.total_seconds())
    get_redis().set(_cache_key(cache_id), cache.serialize(), ex=lifetime)
    session[SESSION_CACHE_KEY] = cache_id


def session_token_cache() -> msal.SerializableTokenCache | None:
    """This session's MSAL token cache (for delegated Graph calls), if it has one."""
    cache_id = session.get(SESSION_CACHE_KEY)
    raw = get_redis().get(_cache_key(cache_id)) if cache_id else None
    if raw is None:
        return None
    cache = msal.SerializableTokenCache()
    cache.deserialize(raw.decode() if isinstance(raw, bytes) else raw)
    return cache


def delegated_token(scopes: list[str]) -> str | None:
    """An access token acting as the signed-in staff member, from this session's cache
    (refreshed silently when expired); None when there is none or consent is missing."""
    cache = session_token_cache()
    if cache is None:
        return None
    client = msal_app(token_cache=cache)
    accounts = client.get_accounts()
    result = client.acquire_token_silent(scopes, account=accounts[0]) if accounts else None
    if cache.has_state_changed:
        cache_id = session[SESSION_CACHE_KEY]
        lifetime = int(current_app.permanent_session_lifetime.total_seconds())
        get_redis().set(_cache_key(cache_id), cache.serialize(), ex=lifetime)
    return result.get("access_token") if result else None


def forget_session_tokens() -> None:
    """Drop this session's server-side token cache and pending flow (sign-out)."""
    keys = []
    if session.get(SESSION_CACHE_KEY):
        keys.append(_cache_key(session[SESSION_CACHE_KEY]))
    if session.get(SESSION_FLOW_KEY):
        keys.append(_flow_key(session[SESSION_FLOW_KEY]))
    if keys:
        get_redis().delete(*keys)


def remember_identity(claims: dict[str, Any]) -> None:
    """Record in the session who Entra ID just vouched for (strict approvals read it)."""
    session[SESSION_IDENTITY_KEY] = {
        "oid": claims.get("oid"),
        "email": claim_email(claims),
        "name": claims.get("name") or "",
        "at": int(time.time()),
    }


def claim_email(claims: dict[str, Any]) -> str:
    """The sign-in address: ``email``, else ``preferred_username`` (the UPN), lower-case."""
    value = claims.get("email") or claims.get("preferred_username") or claims.get("upn") or ""
    return str(value).strip().lower()


def end_session_url(post_logout_redirect: str) -> str | None:
    """Where to send the browser so Entra ID signs it out too (None if unknown)."""

    try:
        endpoint = openid_configuration().get("end_session_endpoint")
    except requests.RequestException:
        return None
    if not endpoint:
        return None
    return f"{endpoint}?{urlencode({'post_logout_redirect_uri': post_logout_redirect})}"
