"""What a statement names, beyond the columns the statement row keeps: the inverse
functional identifier of an agent, every agent and activity a statement names (the
``related_agents`` / ``related_activities`` index), the activity definitions it gives (the
Activities resource), and the form the LRS stores it in (context activities as arrays)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.documents import merge_definitions, record_activities
from app.xapi.models import XapiRelated


def ifi_key(agent: dict[str, Any]) -> str | None:
    """sha256 of an Agent's or identified Group's inverse functional identifier, None without one.

    Mailboxes compare case-insensitively (as learners are matched); the other IFIs exactly.
    """
    if agent.get("mbox"):
        ifi = "mbox:" + str(agent["mbox"]).strip().lower()
    elif agent.get("mbox_sha1sum"):
        ifi = "mbox_sha1sum:" + str(agent["mbox_sha1sum"]).strip().lower()
    elif agent.get("openid"):
        ifi = "openid:" + str(agent["openid"])
    elif isinstance(agent.get("account"), dict):
        account = agent["account"]
        ifi = f"account:{account.get('homePage')}|{account.get('name')}"
    else:
        return None
    return hashlib.sha256(ifi.encode()).hexdigest()


def activity_key(iri: str) -> str:
    return hashlib.sha256(iri.encode()).hexdigest()


def related_of(
    statement: dict[str, Any], *, actor_key: str | None, activity_iri: str
) -> set[tuple[str, str]]:
    """Every agent (and group member) and activity the statement names (Communication
    §2.1.3 ``related_agents`` / ``related_activities``), its Sub-Statement included, but the
    actor and the object activity that its own columns hold."""
    found: set[tuple[str, str]] = set()

    def agent(value: Any) -> None:
        if isinstance(value, dict):
            key = ifi_key(value)
            if key is not None:
                found.add(("agent", key))
            for member in value.get("member") or []:
                agent(member)

    def activity(value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            found.add(("activity", activity_key(value["id"])))

    def body(part: dict[str, Any]) -> None:
        agent(part.get("actor"))
        obj = part.get("object") or {}
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            activity(obj)
        elif kind in ("Agent", "Group"):
            agent(obj)
        elif kind == "SubStatement":
            body(obj)
        context = part.get("context") or {}
        agent(context.get("instructor"))
        agent(context.get("team"))
        for items in (context.get("contextActivities") or {}).values():
            for item in items if isinstance(items, list) else [items]:
                activity(item)

    body(statement)
    agent(statement.get("authority"))
    found.discard(("agent", actor_key or ""))
    found.discard(("activity", activity_key(activity_iri) if activity_iri else ""))
    return found


def definitions_of(statement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The activity definitions the statement gives (object and context activities)."""
    found: dict[str, dict[str, Any]] = {}
    objects = [statement.get("object") or {}]
    for items in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        objects.extend(items if isinstance(items, list) else [items])
    for obj in objects:
        if obj.get("objectType", "Activity") == "Activity" and isinstance(
            obj.get("definition"), dict
        ):
            found[obj["id"]] = obj["definition"]
    return found


def normalised(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with each context activity list as an array (Data §2.4.6.2: the LRS
    returns them so), in the statement and in a Sub-Statement."""

    def fix(body: dict[str, Any]) -> dict[str, Any]:
        activities = (body.get("context") or {}).get("contextActivities")
        if isinstance(activities, dict) and any(
            not isinstance(v, list) for v in activities.values()
        ):
            activities = {k: v if isinstance(v, list) else [v] for k, v in activities.items()}
            body = {**body, "context": {**body["context"], "contextActivities": activities}}
        return body

    statement = fix(statement)
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        statement = {**statement, "object": fix(obj)}
    return statement


def index_statements(
    *,
    region: Region,
    rollout: Rollout,
    named: list[tuple[int, frozenset[tuple[str, str]], dict[str, dict[str, Any]]]],
    now: datetime,
) -> None:
    """For stored statements (row id, related, definitions): the related index rows in one
    multi-row insert, and the activity definitions merged into the rollout's. Flushes."""
    rows = [
        {
            "region_id": region.id,
            "statement_pk": statement_pk,
            "rollout_id": rollout.id,
            "kind": kind,
            "key": key,
        }
        for statement_pk, related, _ in named
        for kind, key in sorted(related)
    ]
    if rows:
        db.session.execute(XapiRelated.__table__.insert(), rows)
    definitions: dict[str, dict[str, Any]] = {}
    for _, _, given in named:
        for iri, definition in given.items():
            definitions[iri] = merge_definitions(definitions.get(iri, {}), definition)
    record_activities(region=region, rollout=rollout, definitions=definitions, now=now)
