"""The shape rules of an xAPI 1.0.3 statement (Data §2–§4), checked before anything is stored.

Each check raises XapiError(400) naming the property and what is wrong with it. The rules
are the spec's MUSTs: known properties only, no ``null`` outside extensions, enumerated
values matched exactly, IRIs, UUIDs, mailto IRIs, language tags, ISO 8601 timestamps and
durations in their formats, one inverse functional identifier per Agent, and the
Sub-Statement, StatementRef, Group, score and interaction-definition rules.
"""

from __future__ import annotations

import re
from typing import Any

from app.xapi.values import (
    DURATION_RE,
    LANG_RE,
    MBOX_RE,
    check_iri,
    check_uuid,
    extensions,
    fail,
    language_map,
    number,
    object_with,
    string,
    timestamp,
)

SHA1_RE = re.compile(r"^[0-9a-f]{40}$", re.I)
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
INTERACTION_LISTS = ("choices", "scale", "source", "target", "steps")
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
SUBSTATEMENT_KEYS = {
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
}


def agent(value: Any, where: str, *, group_ok: bool = True) -> None:
    """An Agent, or (``group_ok``) an identified or anonymous Group."""
    if not isinstance(value, dict):
        fail(where, "must be an Agent or Group object")
    kind = value.get("objectType", "Agent")
    if kind == "Group" and group_ok:
        object_with(
            value,
            where,
            {"objectType", "name", "member", "mbox", "mbox_sha1sum", "openid", "account"},
        )
        ifis = _ifis(value, where)
        if "member" in value or not ifis:
            members = value.get("member")
            if not isinstance(members, list) or (not ifis and not members):
                fail(f"{where}.member", "must be an array of Agents")
            for i, member in enumerate(members):
                agent(member, f"{where}.member[{i}]", group_ok=False)
        if "name" in value:
            string(value["name"], f"{where}.name")
        return
    if kind != "Agent":
        fail(f"{where}.objectType", "must be Agent" + (" or Group" if group_ok else ""))
    object_with(value, where, {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
    if len(_ifis(value, where)) != 1:
        fail(where, "needs exactly one of mbox, mbox_sha1sum, openid, account")
    if "name" in value:
        string(value["name"], f"{where}.name")


def _ifis(value: dict[str, Any], where: str) -> list[str]:
    found = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in value]
    if len(found) > 1:
        fail(where, "uses more than one of mbox, mbox_sha1sum, openid, account")
    if "mbox" in value and not (isinstance(value["mbox"], str) and MBOX_RE.match(value["mbox"])):
        fail(f"{where}.mbox", "must be a mailto: IRI")
    if "mbox_sha1sum" in value and not (
        isinstance(value["mbox_sha1sum"], str) and SHA1_RE.match(value["mbox_sha1sum"])
    ):
        fail(f"{where}.mbox_sha1sum", "must be a hex SHA-1 string")
    if "openid" in value:
        check_iri(value["openid"], f"{where}.openid")
    if "account" in value:
        account = object_with(value["account"], f"{where}.account", {"homePage", "name"})
        if "homePage" not in account or "name" not in account:
            fail(f"{where}.account", "needs homePage and name")
        check_iri(account["homePage"], f"{where}.account.homePage")
        string(account["name"], f"{where}.account.name")
    return found


def verb(value: Any, where: str) -> None:
    object_with(value, where, {"id", "display"})
    if "id" not in value:
        fail(where, "needs an id")
    check_iri(value["id"], f"{where}.id")
    if "display" in value:
        language_map(value["display"], f"{where}.display")


def activity(value: Any, where: str) -> None:
    object_with(value, where, {"objectType", "id", "definition"})
    if value.get("objectType", "Activity") != "Activity":
        fail(f"{where}.objectType", "must be Activity")
    if "id" not in value:
        fail(where, "needs an id")
    check_iri(value["id"], f"{where}.id")
    if "definition" in value:
        _definition(value["definition"], f"{where}.definition")


def _definition(value: Any, where: str) -> None:
    keys = {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *INTERACTION_LISTS,
    }
    object_with(value, where, keys)
    for name in ("name", "description"):
        if name in value:
            language_map(value[name], f"{where}.{name}")
    for name in ("type", "moreInfo"):
        if name in value:
            check_iri(value[name], f"{where}.{name}")
    if "extensions" in value:
        extensions(value["extensions"], f"{where}.extensions")
    interaction = [k for k in ("correctResponsesPattern", *INTERACTION_LISTS) if k in value]
    if "interactionType" in value:
        kind = value["interactionType"]
        if not isinstance(kind, str) or kind not in INTERACTION_TYPES:
            fail(f"{where}.interactionType", f"must be one of {sorted(INTERACTION_TYPES)}")
    elif interaction:
        fail(where, f"{interaction[0]} needs an interactionType")
    if "correctResponsesPattern" in value:
        pattern = value["correctResponsesPattern"]
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            fail(f"{where}.correctResponsesPattern", "must be an array of strings")
    for name in INTERACTION_LISTS:
        if name in value:
            items = value[name]
            if not isinstance(items, list):
                fail(f"{where}.{name}", "must be an array of interaction components")
            for i, item in enumerate(items):
                object_with(item, f"{where}.{name}[{i}]", {"id", "description"})
                string(item.get("id"), f"{where}.{name}[{i}].id")
                if "description" in item:
                    language_map(item["description"], f"{where}.{name}[{i}].description")


def statement_ref(value: Any, where: str) -> None:
    object_with(value, where, {"objectType", "id"})
    if value.get("objectType") != "StatementRef":
        fail(f"{where}.objectType", "must be StatementRef")
    check_uuid(value.get("id"), f"{where}.id")


def _object_property(value: Any, where: str, *, sub: bool) -> None:
    if not isinstance(value, dict):
        fail(where, "must be an object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        activity(value, where)
    elif kind in ("Agent", "Group"):
        agent(value, where)
    elif kind == "StatementRef":
        statement_ref(value, where)
    elif kind == "SubStatement" and not sub:
        body = object_with(value, where, SUBSTATEMENT_KEYS)
        _statement_body(body, where, sub=True)
    else:
        allowed = (
            "Activity, Agent, Group or StatementRef"
            if sub
            else "Activity, Agent, Group, SubStatement or StatementRef"
        )
        fail(f"{where}.objectType", f"must be {allowed}")


def result(value: Any, where: str) -> None:
    object_with(
        value, where, {"score", "success", "completion", "response", "duration", "extensions"}
    )
    for name in ("success", "completion"):
        if name in value and not isinstance(value[name], bool):
            fail(f"{where}.{name}", "must be true or false")
    if "response" in value:
        string(value["response"], f"{where}.response")
    if "duration" in value and not (
        isinstance(value["duration"], str) and DURATION_RE.match(value["duration"])
    ):
        fail(f"{where}.duration", "must be an ISO 8601 duration")
    if "extensions" in value:
        extensions(value["extensions"], f"{where}.extensions")
    if "score" in value:
        score = object_with(value["score"], f"{where}.score", {"scaled", "raw", "min", "max"})
        numbers = {k: number(v, f"{where}.score.{k}") for k, v in score.items()}
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            fail(f"{where}.score.scaled", "must be between -1 and 1")
        if "min" in numbers and "max" in numbers and numbers["min"] >= numbers["max"]:
            fail(f"{where}.score", "min must be less than max")
        raw = numbers.get("raw")
        if raw is not None and (raw < numbers.get("min", raw) or raw > numbers.get("max", raw)):
            fail(f"{where}.score.raw", "must be between min and max")


def context(value: Any, where: str, *, object_kind: str) -> None:
    keys = {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
    object_with(value, where, keys)
    if "registration" in value:
        check_uuid(value["registration"], f"{where}.registration")
    if "instructor" in value:
        agent(value["instructor"], f"{where}.instructor")
    if "team" in value:
        team = value["team"]
        if not isinstance(team, dict) or team.get("objectType") != "Group":
            fail(f"{where}.team", "must be a Group")
        agent(team, f"{where}.team")
    for name in ("revision", "platform"):
        if name in value:
            string(value[name], f"{where}.{name}")
            if object_kind != "Activity":
                fail(f"{where}.{name}", "is only allowed when the object is an Activity")
    if "language" in value and not (
        isinstance(value["language"], str) and LANG_RE.match(value["language"])
    ):
        fail(f"{where}.language", "must be an RFC 5646 language tag")
    if "statement" in value:
        statement_ref(value["statement"], f"{where}.statement")
    if "extensions" in value:
        extensions(value["extensions"], f"{where}.extensions")
    if "contextActivities" in value:
        activities = object_with(
            value["contextActivities"], f"{where}.contextActivities", CONTEXT_ACTIVITY_KEYS
        )
        for key, items in activities.items():
            for i, item in enumerate(items if isinstance(items, list) else [items]):
                activity(item, f"{where}.contextActivities.{key}[{i}]")


def attachments(value: Any, where: str) -> None:
    if not isinstance(value, list):
        fail(where, "must be an array of attachments")
    keys = {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        object_with(item, at, keys)
        missing = {"usageType", "display", "contentType", "length", "sha2"} - set(item)
        if missing:
            fail(at, f"needs {sorted(missing)}")
        check_iri(item["usageType"], f"{at}.usageType")
        language_map(item["display"], f"{at}.display")
        if "description" in item:
            language_map(item["description"], f"{at}.description")
        content_type = string(item["contentType"], f"{at}.contentType")
        if "/" not in content_type:
            fail(f"{at}.contentType", "must be a media type")
        if isinstance(item["length"], bool) or not isinstance(item["length"], int):
            fail(f"{at}.length", "must be an integer")
        string(item["sha2"], f"{at}.sha2")
        if "fileUrl" in item:
            check_iri(item["fileUrl"], f"{at}.fileUrl")


def _statement_body(value: dict[str, Any], where: str, *, sub: bool) -> None:
    for name in ("actor", "verb", "object"):
        if name not in value:
            fail(where, f"{name} is required")
    agent(value["actor"], f"{where}.actor")
    verb(value["verb"], f"{where}.verb")
    _object_property(value["object"], f"{where}.object", sub=sub)
    if "result" in value:
        result(value["result"], f"{where}.result")
    if "context" in value:
        kind = value["object"].get("objectType", "Activity")
        context(value["context"], f"{where}.context", object_kind=kind)
    if "timestamp" in value:
        timestamp(value["timestamp"], f"{where}.timestamp")
    if "attachments" in value:
        attachments(value["attachments"], f"{where}.attachments")


def validate_statement(value: Any, where: str) -> None:
    """Raise XapiError(400) unless ``value`` is a well-formed xAPI 1.0.3 statement."""
    body = object_with(value, where, STATEMENT_KEYS)
    if "id" in body:
        check_uuid(body["id"], f"{where}.id")
    if "version" in body and not (
        isinstance(body["version"], str) and re.match(r"^1\.0(\.\d+)?$", body["version"])
    ):
        fail(f"{where}.version", "must be 1.0.x")
    _statement_body(body, where, sub=False)
    if "stored" in body:
        timestamp(body["stored"], f"{where}.stored")
    if "authority" in body:
        authority = body["authority"]
        agent(authority, f"{where}.authority")
        if isinstance(authority, dict) and authority.get("objectType") == "Group":
            members = authority.get("member") or []
            if len(members) != 2 or any(
                k in authority for k in ("mbox", "mbox_sha1sum", "openid", "account")
            ):
                fail(f"{where}.authority", "a Group authority is an anonymous group of two Agents")
