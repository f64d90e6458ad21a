"""The document resources and the Activities and Agents resources, behind the wrapper of
:mod:`app.xapi.routes` (parse → the caller's rollout → service → respond)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response
from werkzeug.http import http_date

from app.calendar import parse_instant
from app.xapi.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    Scope,
    delete_documents,
    document_ids,
    find_activity,
    find_document,
    write_document,
)
from app.xapi.errors import XapiError
from app.xapi.http import Caller, xapi_response
from app.xapi.index import ifi_key
from app.xapi.validate import agent as check_agent
from app.xapi.values import is_iri, is_uuid, timestamp


def _activity_id(args: dict[str, str]) -> str:
    if "activityId" not in args:
        raise XapiError(400, "the activityId parameter is required")
    if not is_iri(args["activityId"]):
        raise XapiError(400, "activityId must be an IRI")
    return args["activityId"]


def _agent(args: dict[str, str], *, group_ok: bool = True) -> dict[str, Any]:
    if "agent" not in args:
        raise XapiError(400, "the agent parameter is required")
    try:
        agent = json.loads(args["agent"])
    except ValueError as exc:
        raise XapiError(400, "agent must be an Agent as JSON") from exc
    check_agent(agent, "agent", group_ok=group_ok)
    return agent


def _since(args: dict[str, str]) -> datetime | None:
    if "since" not in args:
        return None
    timestamp(args["since"], "since")
    return parse_instant(args["since"], UTC)


def _allowed(args: dict[str, str], allowed: set[str]) -> None:
    unknown = set(args) - allowed
    if unknown:
        raise XapiError(400, f"unknown parameters {sorted(unknown)}")


def state(caller: Caller) -> Response:
    """/activities/state: a learner's state in an activity (and registration)."""
    args = caller.request.args
    _allowed(args, {"activityId", "agent", "registration", "stateId", "since"})
    activity = _activity_id(args)
    agent = _agent(args)
    registration = args.get("registration")
    if registration is not None and not is_uuid(registration):
        raise XapiError(400, "registration must be a UUID")
    scope = Scope(
        STATE,
        activity_iri=activity,
        agent_key=ifi_key(agent),
        registration=registration.lower() if registration else None,
    )
    return _documents(caller, scope, args.get("stateId"), many_delete=True)


def activity_profile(caller: Caller) -> Response:
    """/activities/profile: documents about an activity."""
    args = caller.request.args
    _allowed(args, {"activityId", "profileId", "since"})
    scope = Scope(ACTIVITY_PROFILE, activity_iri=_activity_id(args))
    return _documents(caller, scope, args.get("profileId"), many_delete=False)


def agent_profile(caller: Caller) -> Response:
    """/agents/profile: documents about an agent."""
    args = caller.request.args
    _allowed(args, {"agent", "profileId", "since"})
    scope = Scope(AGENT_PROFILE, agent_key=ifi_key(_agent(args)))
    return _documents(caller, scope, args.get("profileId"), many_delete=False)


def _documents(
    caller: Caller, scope: Scope, document_id: str | None, *, many_delete: bool
) -> Response:
    xreq = caller.request
    rollout = caller.rollout
    name = "stateId" if scope.kind == STATE else "profileId"
    if xreq.method == "GET":
        if document_id is None:
            ids = document_ids(rollout_id=rollout.id, scope=scope, since=_since(xreq.args))
            return xapi_response(ids, 200)
        if "since" in xreq.args:
            raise XapiError(400, f"since lists documents: it takes no {name}")
        found = find_document(rollout_id=rollout.id, scope=scope, document_id=document_id)
        if found is None:
            raise XapiError(404, "no such document")
        response = Response(found.content, status=200, content_type=found.content_type)
        response.headers["ETag"] = f'"{found.etag}"'
        response.headers["Last-Modified"] = http_date(found.updated_at)
        return response
    if "since" in xreq.args:
        raise XapiError(400, "since is a GET parameter")
    if_match = xreq.headers.get("If-Match")
    if_none_match = xreq.headers.get("If-None-Match")
    if xreq.method == "DELETE":
        if document_id is None and not many_delete:
            raise XapiError(400, f"DELETE needs the {name} parameter")
        delete_documents(
            rollout=rollout,
            scope=scope,
            document_id=document_id,
            if_match=if_match,
            if_none_match=if_none_match,
        )
        return xapi_response(None, 204)
    if xreq.method not in ("PUT", "POST"):
        raise XapiError(405, f"{xreq.method} is not allowed here")
    if document_id is None:
        raise XapiError(400, f"{xreq.method} needs the {name} parameter")
    content_type = xreq.headers.get("Content-Type") or "application/octet-stream"
    write_document(
        region=caller.region,
        rollout=rollout,
        scope=scope,
        document_id=document_id,
        content=xreq.body,
        content_type=content_type,
        merge=xreq.method == "POST",
        if_match=if_match,
        if_none_match=if_none_match,
    )
    return xapi_response(None, 204)


def activities(caller: Caller) -> Response:
    """/activities?activityId=: the Activity, its definitions from the rollout's statements
    merged."""
    args = caller.request.args
    if caller.request.method != "GET":
        raise XapiError(405, "the Activities resource is read-only")
    _allowed(args, {"activityId"})
    return xapi_response(find_activity(rollout_id=caller.rollout.id, iri=_activity_id(args)), 200)


def agents(caller: Caller) -> Response:
    """/agents?agent=: the Person object of the agent (Communication §2.4): this LRS keeps one
    identity per agent, so the Person holds the agent's own identifiers."""
    args = caller.request.args
    if caller.request.method != "GET":
        raise XapiError(405, "the Agents resource is read-only")
    _allowed(args, {"agent"})
    agent = _agent(args, group_ok=False)
    person: dict[str, Any] = {"objectType": "Person"}
    for name in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
        if name in agent:
            person[name] = [agent[name]]
    return xapi_response(person, 200)
