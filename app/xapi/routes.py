"""The LRS's HTTP resources (xAPI 1.0.3): statements, state, activity and agent profiles,
activities, agents and about.

Every resource but ``about`` takes the rollout's HTTP Basic credentials, which grant its
region (the one scoping mechanism): every read and write is limited to that rollout. One
wrapper (:func:`_resource`) reads the request in either syntax, authenticates, checks the
version header, turns an XapiError into its status and commits a successful write.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth.access import grant_region, public
from app.db import utcnow
from app.extensions import csrf, db
from app.settings import normalise_origin
from app.transaction import rollback
from app.xapi.attachments import match_parts, store_attachments
from app.xapi.credentials import authenticate
from app.xapi.document_routes import (
    activities,
    activity_profile,
    agent_profile,
    agents,
    state,
)
from app.xapi.errors import XapiError
from app.xapi.http import (
    Caller,
    XapiRequest,
    read_request,
    split_multipart,
    xapi_error,
    xapi_response,
)
from app.xapi.queries import xapi_time
from app.xapi.reading import get_statements
from app.xapi.services import store_statements
from app.xapi.statements import XAPI_VERSION

public_bp = Blueprint("xapi", __name__)

#: what a browser may send cross-origin, and the response headers its script may read
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
)
CORS_EXPOSE_HEADERS = (
    "X-Experience-API-Version, X-Experience-API-Consistent-Through, Last-Modified, ETag"
)
WRITE_METHODS = {"PUT", "POST", "DELETE"}


def _allowed_origin() -> str | None:
    """The request's Origin when XAPI_ALLOWED_ORIGINS lists it, else None."""
    origin = request.headers.get("Origin")
    if not origin:
        return None
    allowed = current_app.extensions["summit.settings"].xapi_allowed_origins
    return origin if normalise_origin(origin) in allowed else None


@public_bp.after_request
def _xapi_headers(response: Response) -> Response:
    """The version on every response; Consistent-Through on statement responses (every
    statement committed before this instant is readable); CORS for the allowed origins
    (Basic auth in a header, never cookies: no Allow-Credentials)."""
    response.vary.add("Origin")
    if request.method != "OPTIONS":
        response.headers["X-Experience-API-Version"] = XAPI_VERSION
    if request.endpoint == "xapi.xapi_statements" and request.method != "OPTIONS":
        response.headers["X-Experience-API-Consistent-Through"] = xapi_time(utcnow())
    origin = _allowed_origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    return response


def _preflight(methods: str) -> Response:
    """A CORS preflight: 204, with the permissions only for an allowed origin."""
    response = Response(status=204)
    if _allowed_origin() is not None:
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _resource(
    methods: str,
) -> Callable[[Callable[[Caller], Response]], Callable[[], Response]]:
    """Wrap a resource view: preflight, either request syntax, Basic credentials, the
    version header, XapiError → its status (nothing written), one commit for a write."""

    def wrap(view: Callable[[Caller], Response]) -> Callable[[], Response]:
        @functools.wraps(view)
        def handle() -> Response:
            if request.method == "OPTIONS":
                return _preflight(methods)
            request.max_content_length = XAPI_MAX_BODY
            try:
                raw = request.get_data()
            except RequestEntityTooLarge:
                return xapi_error(
                    413,
                    f"the body is over {XAPI_MAX_BODY // 2**20} MB: send fewer statements at once",
                )
            try:
                xreq = read_request(
                    "GET" if request.method == "HEAD" else request.method,
                    request.args.to_dict(),
                    request.headers,
                    raw,
                )
                caller = _authenticate(xreq)
                if isinstance(caller, Response):
                    return caller
                response = view(caller)
                if xreq.method in WRITE_METHODS:
                    db.session.flush()  # a duplicate id shows here, as a 409
            except XapiError as exc:
                rollback()
                return xapi_error(exc.status, exc.reason)
            except IntegrityError:
                # a concurrent write of the same id or document won the race
                rollback()
                return xapi_error(409, "a concurrent request wrote the same resource")
            return response

        return handle

    return wrap


def _authenticate(xreq: XapiRequest) -> Caller | Response:
    credentials = xreq.credentials()
    if credentials is None:
        return xapi_error(401, "HTTP Basic credentials of the rollout are required")
    found = authenticate(*credentials)
    if found is None:
        return xapi_error(401, "unknown or wrong credentials")
    version = xreq.headers.get("X-Experience-API-Version")
    if not version:
        raise XapiError(400, "the X-Experience-API-Version header is required")
    if not (version == "1.0" or version.startswith("1.0.")):
        raise XapiError(400, f"xAPI version {version} is not supported; send 1.0.3")
    grant_region(found.region_id)
    return Caller(
        region_id=found.region_id, rollout_id=found.rollout_id, key=credentials[0], request=xreq
    )


ALL = ["GET", "PUT", "POST", "DELETE", "OPTIONS"]

#: the largest xAPI request (a full batch of ordinary statements is 1-2 MB) and how deep
#: its JSON may nest (a deeper body used to end in a RecursionError, a 500); the largest
#: statement is checked on its stored JSON (``app.xapi.services.XAPI_MAX_STATEMENT``)
XAPI_MAX_BODY = 8 * 2**20
XAPI_MAX_DEPTH = 32


def _shape_problem(body: Any) -> str | None:
    """What is wrong with the shape of a statement or batch: nested too deep."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > XAPI_MAX_DEPTH:
            return f"the JSON is nested more than {XAPI_MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


@public_bp.route("/xapi/about", methods=["GET", "OPTIONS"])
@public
def xapi_about() -> Any:
    if request.method == "OPTIONS":
        return _preflight("GET, HEAD, OPTIONS")
    return xapi_response({"version": [XAPI_VERSION, "1.0.2", "1.0.1", "1.0.0"]}, 200)


@public_bp.route("/xapi/statements", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, POST, PUT, OPTIONS")
def xapi_statements(caller: Caller) -> Response:
    """GET one statement or a page; POST a statement or an array; PUT one with ``?statementId=``
    (application/json, or multipart/mixed with attachments)."""
    xreq = caller.request
    if xreq.method == "GET":
        return get_statements(caller.rollout_id, key=caller.key, xreq=xreq)
    if xreq.method not in ("POST", "PUT"):
        raise XapiError(405, f"{xreq.method} is not allowed on statements")
    parts = []
    if xreq.mimetype == "multipart/mixed":
        parts = split_multipart(xreq.headers.get("Content-Type", ""), xreq.body)
        if not parts or parts[0][0].get("Content-Type", "").split(";")[0].strip() != (
            "application/json"
        ):
            raise XapiError(400, "the first part of a multipart request is application/json")
        first, parts = parts[0][1], parts[1:]
    elif xreq.mimetype == "application/json":
        first = xreq.body
    else:
        raise XapiError(400, "send statements as application/json or multipart/mixed")
    try:
        body = json.loads(first.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise XapiError(400, "the body is not valid JSON") from exc
    problem = _shape_problem(body)
    if problem:
        raise XapiError(400, problem)
    statement_id = None
    if xreq.method == "PUT":
        statement_id = xreq.args.get("statementId")
        if not statement_id:
            raise XapiError(400, "PUT needs the statementId parameter")
        if set(xreq.args) - {"statementId"}:
            raise XapiError(400, "PUT takes only the statementId parameter")
    elif xreq.args:
        raise XapiError(400, f"POST takes no parameters (got {sorted(xreq.args)})")
    contents = match_parts(body if isinstance(body, list) else [body], parts)
    now = utcnow()
    ids = store_statements(
        region=caller.region,
        rollout=caller.rollout,
        body=body,
        statement_id=statement_id,
        now=now,
    )
    store_attachments(region=caller.region, rollout=caller.rollout, contents=contents, now=now)
    if xreq.method == "PUT":
        return xapi_response(None, 204)
    return xapi_response(ids, 200)


@public_bp.route("/xapi/activities/state", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, PUT, POST, DELETE, OPTIONS")
def xapi_state(caller: Caller) -> Response:
    return state(caller)


@public_bp.route("/xapi/activities/profile", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, PUT, POST, DELETE, OPTIONS")
def xapi_activity_profile(caller: Caller) -> Response:
    return activity_profile(caller)


@public_bp.route("/xapi/agents/profile", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, PUT, POST, DELETE, OPTIONS")
def xapi_agent_profile(caller: Caller) -> Response:
    return agent_profile(caller)


@public_bp.route("/xapi/activities", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, OPTIONS")
def xapi_activities(caller: Caller) -> Response:
    return activities(caller)


@public_bp.route("/xapi/agents", methods=ALL)
@public
@csrf.exempt
@_resource("GET, HEAD, OPTIONS")
def xapi_agents(caller: Caller) -> Response:
    return agents(caller)
