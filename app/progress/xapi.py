"""An xAPI 1.0.3 Learning Record Store endpoint, as much of it as a course needs to send progress.

Statements are validated as a whole batch before anything is stored: one invalid
statement rejects the batch (400, with the reason), one known id with other
content rejects it (409), and a known id with the same content is skipped. A
``voided`` statement voids its StatementRef target (:mod:`app.progress.xapi_voiding`);
reading statements back is :mod:`app.progress.xapi_queries`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.progress.effects import apply_progress_effects
from app.progress.mapping import UnitResolver
from app.progress.models import ModuleProgress, XapiCredential, XapiStatement
from app.progress.values import parse_iso
from app.progress.xapi_errors import XapiError
from app.progress.xapi_index import (
    definitions_of,
    ifi_key,
    index_statements,
    normalised,
    related_of,
)
from app.progress.xapi_validate import STATEMENT_KEYS, is_iri, validate_statement
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout

log = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VERBS = {
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/progressed": "progressed",
    "http://adlnet.gov/expapi/verbs/experienced": "experienced",
}
MAX_BATCH = 1000


# --- credentials --------------------------------------------------------------------------


def issue_credentials(
    *, region: Region, rollout: Rollout, rotate: bool = False
) -> tuple[str, str | None]:
    """Create the rollout's xAPI credentials, or with ``rotate`` replace the secret.

    Returns (key, secret); the secret is None when credentials existed and were kept
    (it is stored hashed and cannot be shown again). Flushes.
    """
    credential = db.session.scalars(
        select(XapiCredential).where(XapiCredential.rollout_id == rollout.id)
    ).one_or_none()
    if credential is not None and not rotate:
        return credential.key, None
    secret = secrets.token_urlsafe(32)
    if credential is None:
        credential = XapiCredential(
            region_id=region.id,
            rollout_id=rollout.id,
            key=f"{rollout.slug[:40]}-{secrets.token_hex(6)}",
            secret_hash="",
        )
        db.session.add(credential)
    else:
        credential.rotated_at = utcnow()
    credential.secret_hash = _hash_secret(secret)
    db.session.flush()

    record(
        region_id=region.id,
        action="xapi.credentials_rotated" if rotate else "xapi.credentials_issued",
        obj=credential,
        channel="cli",
        data={"rollout": rollout.slug},
    )
    return credential.key, secret


def _hash_secret(secret: str) -> str:
    # the secret is 256 random bits, so a fast hash is enough (no dictionary to slow down),
    # and every statement request is checked without burning CPU on a password KDF
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def authenticate(key: str, secret: str) -> tuple[int, int] | None:
    """(region id, rollout id) for valid Basic credentials, else None.

    Runs before any region is granted, so it reads the credential table through Core
    (a lookup by unique key, not a listing).
    """
    table = XapiCredential.__table__
    row = db.session.execute(
        select(table.c.region_id, table.c.rollout_id, table.c.secret_hash).where(table.c.key == key)
    ).one_or_none()
    expected = row.secret_hash if row is not None else _hash_secret("")
    if not hmac.compare_digest(expected, _hash_secret(secret)) or row is None:
        return None
    return row.region_id, row.rollout_id


# --- validation ---------------------------------------------------------------------------


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
    actor_key: str | None = None
    #: the id of the statement a StatementRef object names (any verb; a valid UUID only)
    statement_ref: str | None = None
    registration: str | None = None
    #: ("agent", IFI key) and ("activity", sha256 of the id) of everything the statement names
    related: frozenset[tuple[str, str]] = frozenset()
    #: activity id → definition, for the Activities resource
    definitions: dict[str, dict[str, Any]] | None = None

    @property
    def voids(self) -> str | None:
        """The statement this one voids (a ``voided`` verb with a StatementRef object)."""
        return self.statement_ref if self.verb_iri == VOIDED else None


def _is_iri(value: Any) -> bool:
    return is_iri(value)


def _content_hash(statement: dict[str, Any]) -> str:
    body = {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    if not isinstance(verb, dict) or not _is_iri(verb.get("id")):
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
        if not _is_iri(obj.get("id")):
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
        observed_at = parse_iso(str(timestamp), UTC)
        if observed_at is None:
            raise XapiError(400, f"{where}: timestamp must be ISO 8601")
    verb_name = VERBS.get(verb["id"])
    completed = verb_name in ("completed", "passed") or completion is True
    return ParsedStatement(
        statement_id=sid,
        content_hash=_content_hash(statement),
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
        actor_key=ifi_key(actor),
        statement_ref=statement_ref,
        registration=((statement.get("context") or {}).get("registration") or "").lower() or None,
        related=frozenset(
            related_of(statement, actor_key=ifi_key(actor), activity_iri=activity_id)
        ),
        definitions=definitions_of(statement),
    )


# --- storing ------------------------------------------------------------------------------


def store_statements(
    *,
    region: Region,
    rollout: Rollout,
    body: Any,
    statement_id: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Validate and store a statement or a batch; apply completed/passed/progressed/experienced
    to module progress (never moving it backwards in time), activate and complete learners;
    void the targets of ``voided`` statements (see :func:`~app.progress.xapi_voiding.void`).

    Returns the statement ids. Raises XapiError (400 invalid or voiding a voiding statement,
    409 conflicting id) before writing anything. Flushes.
    """
    now = now or utcnow()
    if statement_id is not None:
        if not isinstance(body, dict):
            raise XapiError(400, "PUT takes one statement")
        try:
            statement_id = str(uuid.UUID(statement_id))
        except ValueError as exc:
            raise XapiError(400, "statementId must be a UUID") from exc
        if "id" in body and str(body["id"]).lower() != statement_id:
            raise XapiError(400, "the statement's id differs from statementId")
        body = {**body, "id": statement_id}
    items = body if isinstance(body, list) else [body]
    if not items:
        raise XapiError(400, "no statements")
    if len(items) > MAX_BATCH:
        raise XapiError(400, f"at most {MAX_BATCH} statements per request")
    parsed: dict[str, ParsedStatement] = {}
    for i, item in enumerate(items):
        statement = parse_statement(item, index=i)
        seen = parsed.get(statement.statement_id)
        if seen is not None and seen.content_hash != statement.content_hash:
            raise XapiError(400, f"statement {i}: id {statement.statement_id} twice, differently")
        parsed.setdefault(statement.statement_id, statement)
    stored = {
        row.statement_id: row.content_hash
        for row in db.session.execute(
            select(XapiStatement.statement_id, XapiStatement.content_hash).where(
                XapiStatement.rollout_id == rollout.id,
                XapiStatement.statement_id.in_(list(parsed)),
            )
        )
    }
    # ids are unique per rollout: another rollout's statement with the same id is never seen
    for sid, statement in parsed.items():
        if sid in stored and stored[sid] != statement.content_hash:
            raise XapiError(409, f"statement {sid} exists with different content")
    fresh = [s for sid, s in parsed.items() if sid not in stored]
    # voiding replays statements through parse_statement: imported here, not at the top (the
    # last cycle left, ignored in pyproject's no-cycles contract until xapi.py is split)
    from app.progress.xapi_voiding import check_voidable, void, voids_waiting

    voiding = {s.statement_id: s.voids for s in fresh if s.voids is not None}
    check_voidable(rollout=rollout, targets=set(voiding.values()), batch=parsed)
    waiting = voids_waiting(
        rollout=rollout, statement_ids=[s.statement_id for s in fresh if s.voids is None]
    )
    _store(region=region, rollout=rollout, statements=fresh, now=now, voided=waiting)
    if voiding:
        void(region=region, rollout=rollout, voiding=voiding, now=now)
    return [s.statement_id for s in (parsed[sid] for sid in parsed)]


def _store(
    *,
    region: Region,
    rollout: Rollout,
    statements: list[ParsedStatement],
    now: datetime,
    voided: dict[str, str],
) -> None:
    """Add ``statements``; those named in ``voided`` (statement id → the stored statement
    that voids it) are stored voided and change no progress."""
    if not statements:
        return
    emails = {s.email for s in statements if s.email}
    employee_ids = {s.employee_id for s in statements if s.employee_id}
    by_email: dict[str, int] = {}
    by_employee: dict[str, int] = {}
    if emails or employee_ids:
        rows = db.session.execute(
            select(Person.email, Person.employee_id, Enrollment.id)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(
                Enrollment.rollout_id == rollout.id,
                (Person.email.in_(emails)) | (Person.employee_id.in_(employee_ids)),
            )
        )
        for email, employee_id, enrollment_id in rows:
            by_email[email] = enrollment_id
            by_employee[employee_id] = enrollment_id
    resolver = UnitResolver.for_program(rollout.program_id)
    applicable: list[tuple[int, int, ParsedStatement, datetime]] = []
    added: list[tuple[XapiStatement, ParsedStatement]] = []
    for s in statements:
        enrollment_id = by_email.get(s.email or "") or by_employee.get(s.employee_id or "")
        module_id = resolver.by_iri.get(s.activity_id) or (
            resolver.module_for(s.activity_name) if s.activity_name else None
        )
        reason = None
        if s.voids is not None:
            reason = "voids a statement"
        elif s.verb is None:
            reason = "verb not tracked"
        elif enrollment_id is None:
            reason = "unknown learner"
        elif module_id is None:
            reason = "unmapped activity"
        voided_by = voided.get(s.statement_id)
        row = XapiStatement(
            region_id=region.id,
            statement_id=s.statement_id,
            rollout_id=rollout.id,
            content_hash=s.content_hash,
            verb=s.verb_iri[:200],
            enrollment_id=enrollment_id,
            module_id=module_id,
            ignored_reason=reason,
            payload=s.payload,
            stored_at=now,
            actor_key=s.actor_key,
            activity_iri=s.activity_id or None,
            statement_ref=s.statement_ref,
            voided_by=voided_by,
            voided_at=now if voided_by else None,
            registration=s.registration,
        )
        db.session.add(row)
        added.append((row, s))
        if voided_by is not None:
            log.info(
                "rollout %s: xAPI statement %s arrived voided by %s",
                rollout.slug,
                s.statement_id,
                voided_by,
            )
        elif reason is None:
            assert enrollment_id is not None and module_id is not None
            applicable.append((enrollment_id, module_id, s, s.observed_at or now))
    if applicable:
        _apply(region, applicable)
    db.session.flush()
    _index_related(region=region, rollout=rollout, added=added, now=now)
    if applicable:
        apply_progress_effects(
            region=region,
            rollout=rollout,
            now=now,
            channel="xapi",
            enrollment_ids={enrollment_id for enrollment_id, *_ in applicable},
        )


def _index_related(
    *,
    region: Region,
    rollout: Rollout,
    added: list[tuple[XapiStatement, ParsedStatement]],
    now: datetime,
) -> None:
    """The related agents and activities of the stored statements, and their definitions."""
    index_statements(
        region=region,
        rollout=rollout,
        named=[(row.id, parsed.related, parsed.definitions or {}) for row, parsed in added],
        now=now,
    )


def progress_rows(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], ModuleProgress]:
    """The progress rows of (enrollment id, module id) ``pairs`` that exist, in one query."""
    return {
        (row.enrollment_id, row.module_id): row
        for row in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.enrollment_id.in_(sorted({e for e, _ in pairs})),
                ModuleProgress.module_id.in_(sorted({m for _, m in pairs})),
            )
        )
    }


def progress_step(percent: float, completed: bool, s: ParsedStatement) -> tuple[float, bool]:
    """(percent, completed) after one more statement: completion sticks and shows as 100 %,
    otherwise the statement's percent, if it gives one, replaces the last. New statements
    (:func:`_apply`) and the replay after a void (``xapi_voiding.fold_progress``) both
    go through it."""
    completed = completed or s.completed
    if completed:
        return 100.0, True
    return (s.percent if s.percent is not None else percent), False


def _apply(region: Region, applicable: list[tuple[int, int, ParsedStatement, datetime]]) -> None:
    """Apply the batch's statements, in order, to the (learner, module) progress rows: the
    rows the batch touches are read in one statement, new ones added, none flushed here."""
    rows = progress_rows({(e, m) for e, m, *_ in applicable})
    for enrollment_id, module_id, s, at in applicable:
        row = rows.get((enrollment_id, module_id))
        if row is None:
            row = rows[(enrollment_id, module_id)] = ModuleProgress(
                region_id=region.id,
                enrollment_id=enrollment_id,
                module_id=module_id,
                percent=0.0,
                completed=False,
                observed_at=at,
                source="xapi",
            )
            db.session.add(row)
        elif at < row.observed_at:
            continue  # an older statement never overwrites newer progress
        row.percent, row.completed = progress_step(row.percent, bool(row.completed), s)
        row.observed_at = max(at, row.observed_at)
        row.source = "xapi"
