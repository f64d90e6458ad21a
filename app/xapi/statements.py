"""One xAPI statement read and checked: what it says about whom, which activity and how far.

Statements are validated as a whole batch before anything is stored (see
:mod:`app.xapi.services`): one invalid statement rejects the batch (400, with the reason).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntFlag
from typing import Any

from app.calendar import parse_instant
from app.xapi.errors import XapiError
from app.xapi.index import definitions_of, ifi_key, normalised, related_of
from app.xapi.validate import STATEMENT_KEYS, validate_statement
from app.xapi.values import is_iri

XAPI_VERSION = "1.0.3"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VERBS = {
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/progressed": "progressed",
    "http://adlnet.gov/expapi/verbs/experienced": "experienced",
}


class ExactForm(IntFlag):
    """What a page read must know of a stored statement to give its exact form without
    parsing it (``xapi_statement.exact_form``), known when the statement is parsed."""

    #: the statement gives its own timestamp (else the read adds ``stored``'s)
    TIMESTAMP = 1
    #: the statement gives its own version (else the read adds 1.0.0)
    VERSION = 2
    #: the stored text cannot be spliced: it holds its own ``stored`` or ``authority`` (the
    #: LRS's replace them), or its id spelt otherwise than the stored one (upper case)
    PARSE = 4


def exact_form_of(statement: dict[str, Any], statement_id: str) -> ExactForm:
    """The :class:`ExactForm` of a statement as stored under ``statement_id``."""
    form = ExactForm(0)
    if "timestamp" in statement:
        form |= ExactForm.TIMESTAMP
    if "version" in statement:
        form |= ExactForm.VERSION
    if "stored" in statement or "authority" in statement or statement.get("id") != statement_id:
        form |= ExactForm.PARSE
    return form


@dataclass
class ParsedStatement:
    statement_id: str
    content_hash: str
    verb_iri: str
    verb: str | None
    email: str | None
    employee_id: str | None
    activity_id: str
    activity_name: str | None
    completed: bool
    percent: float | None
    observed_at: datetime | None
    payload: dict[str, Any]
    #: ``payload`` as stored: canonical JSON (sorted keys, no spaces), serialised once
    payload_json: str = ""
    actor_key: str | None = None
    #: the id of the statement a StatementRef object names (any verb; a valid UUID only)
    statement_ref: str | None = None
    registration: str | None = None
    #: ("agent", IFI key) and ("activity", sha256 of the id) of everything the statement names
    related: frozenset[tuple[str, str]] = frozenset()
    #: activity id → definition, for the Activities resource
    definitions: dict[str, dict[str, Any]] | None = None
    #: what a page read must know of the stored text (``xapi_statement.exact_form``)
    exact_form: int = ExactForm.PARSE

    @property
    def voids(self) -> str | None:
        """The statement this one voids (a ``voided`` verb with a StatementRef object)."""
        return self.statement_ref if self.verb_iri == VOIDED else None


#: what the LRS sets or may change: not part of a statement's content (its hash)
NOT_CONTENT = ("stored", "authority", "version")


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_and_hash(statement: dict[str, Any]) -> tuple[str, str]:
    """The statement's canonical JSON (what is stored) and the sha256 of its content (the
    same JSON without ``stored``, ``authority`` and ``version``): one serialisation when the
    statement has none of those, as most have."""
    text = _canonical(statement)
    if any(k in statement for k in NOT_CONTENT):
        content = _canonical({k: v for k, v in statement.items() if k not in NOT_CONTENT})
    else:
        content = text
    return text, hashlib.sha256(content.encode()).hexdigest()


def parse_statement(statement: Any, *, index: int = 0) -> ParsedStatement:
    """Validate one statement; XapiError(400) says what is wrong."""
    where = f"statement {index}"
    validate_statement(statement, where)
    statement = normalised(statement)
    unknown = set(statement) - STATEMENT_KEYS
    if unknown:
        raise XapiError(400, f"{where}: unknown properties {sorted(unknown)}")
    sid = statement.get("id")
    if sid is not None:
        try:
            sid = str(uuid.UUID(str(sid)))
        except ValueError as exc:
            raise XapiError(400, f"{where}: id must be a UUID") from exc
    else:
        sid = str(uuid.uuid4())
        statement = {**statement, "id": sid}
    version = statement.get("version")
    if version is not None and not str(version).startswith("1.0"):
        raise XapiError(400, f"{where}: version {version!r} is not 1.0.x")
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        raise XapiError(400, f"{where}: actor is required")
    email = employee_id = None
    mbox = actor.get("mbox")
    account = actor.get("account")
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if actor.get(k)]
    if actor.get("objectType", "Agent") == "Agent" and len(ifis) != 1:
        raise XapiError(
            400, f"{where}: actor needs exactly one of mbox, mbox_sha1sum, openid, account"
        )
    if mbox is not None:
        if not isinstance(mbox, str) or not mbox.startswith("mailto:") or "@" not in mbox:
            raise XapiError(400, f"{where}: actor.mbox must be a mailto: IRI")
        email = mbox[len("mailto:") :].strip().lower()
    if account is not None:
        if not isinstance(account, dict) or not account.get("name") or not account.get("homePage"):
            raise XapiError(400, f"{where}: actor.account needs homePage and name")
        employee_id = str(account["name"]).strip()
    verb = statement.get("verb")
    if not isinstance(verb, dict) or not is_iri(verb.get("id")):
        raise XapiError(400, f"{where}: verb.id must be an IRI")
    obj = statement.get("object")
    if not isinstance(obj, dict):
        raise XapiError(400, f"{where}: object is required")
    statement_ref = None
    if obj.get("objectType") == "StatementRef":
        try:
            statement_ref = str(uuid.UUID(str(obj.get("id"))))
        except ValueError:
            statement_ref = None  # targets nothing this LRS can find
    if verb["id"] == VOIDED:
        if obj.get("objectType") != "StatementRef":
            raise XapiError(400, f"{where}: a voiding statement's object must be a StatementRef")
        if statement_ref is None:
            raise XapiError(400, f"{where}: the StatementRef id must be a UUID")
    if obj.get("objectType", "Activity") != "Activity":
        activity_id, activity_name = "", None
    else:
        if not is_iri(obj.get("id")):
            raise XapiError(400, f"{where}: object.id must be an IRI")
        activity_id = obj["id"]
        names = (obj.get("definition") or {}).get("name") or {}
        if not isinstance(names, dict):
            raise XapiError(400, f"{where}: object.definition.name must be a language map")
        activity_name = names.get("en-US") or names.get("en") or next(iter(names.values()), None)
    result = statement.get("result") or {}
    if not isinstance(result, dict):
        raise XapiError(400, f"{where}: result must be an object")
    completion = result.get("completion")
    if completion is not None and not isinstance(completion, bool):
        raise XapiError(400, f"{where}: result.completion must be true or false")
    extensions = result.get("extensions") or {}
    if not isinstance(extensions, dict):
        raise XapiError(400, f"{where}: result.extensions must be an object")
    percent = None
    if CMI5_PROGRESS in extensions:
        raw = extensions[CMI5_PROGRESS]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 100:
            raise XapiError(400, f"{where}: the cmi5 progress extension must be 0–100 (or 0–1)")
        # some authoring tools send a fraction
        percent = float(raw) * 100 if isinstance(raw, float) and raw <= 1 else float(raw)
    timestamp = statement.get("timestamp")
    observed_at = None
    if timestamp is not None:
        observed_at = parse_instant(str(timestamp), UTC)
        if observed_at is None:
            raise XapiError(400, f"{where}: timestamp must be ISO 8601")
    verb_name = VERBS.get(verb["id"])
    completed = verb_name in ("completed", "passed") or completion is True
    payload_json, content_hash = canonical_and_hash(statement)
    return ParsedStatement(
        statement_id=sid,
        content_hash=content_hash,
        verb_iri=verb["id"],
        verb=verb_name,
        email=email,
        employee_id=employee_id,
        activity_id=activity_id,
        activity_name=activity_name,
        completed=completed,
        percent=percent,
        observed_at=observed_at,
        payload=statement,
        payload_json=payload_json,
        actor_key=ifi_key(actor),
        statement_ref=statement_ref,
        registration=((statement.get("context") or {}).get("registration") or "").lower() or None,
        related=frozenset(
            related_of(statement, actor_key=ifi_key(actor), activity_iri=activity_id)
        ),
        definitions=definitions_of(statement),
        exact_form=int(exact_form_of(statement, sid)),
    )
