"""Storing xAPI statements: a batch validated as a whole, then stored, applied to module
progress and indexed.

One invalid statement rejects the batch (400, with the reason), one known id with other
content rejects it (409), and a known id with the same content is skipped. A ``voided``
statement voids its StatementRef target (:mod:`app.xapi.voiding`); reading statements
back is :mod:`app.xapi.queries`.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects import postgresql

from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.progress.effects import apply_progress_effects
from app.progress.mapping import UnitResolver
from app.progress.models import XapiStatement
from app.readcache import writes_in
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.xapi.errors import XapiError
from app.xapi.index import index_statements
from app.xapi.module_progress import apply_statements
from app.xapi.statements import ParsedStatement, parse_statement
from app.xapi.voiding import check_voidable, known_and_waiting, void

log = logging.getLogger(__name__)

MAX_BATCH = 1000
#: the largest statement, as stored (canonical JSON)
XAPI_MAX_STATEMENT = 64 * 1024


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
    void the targets of ``voided`` statements (see :func:`~app.xapi.voiding.void`).

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
        if len(statement.payload_json.encode()) > XAPI_MAX_STATEMENT:
            raise XapiError(400, f"statement {i} is over {XAPI_MAX_STATEMENT // 1024} KB")
        seen = parsed.get(statement.statement_id)
        if seen is not None and seen.content_hash != statement.content_hash:
            raise XapiError(400, f"statement {i}: id {statement.statement_id} twice, differently")
        parsed.setdefault(statement.statement_id, statement)
    # the known ids and the stored voiding statements waiting for one: one round trip
    stored, waiting_for = known_and_waiting(rollout=rollout, statement_ids=list(parsed))
    # ids are unique per rollout: another rollout's statement with the same id is never seen
    for sid, statement in parsed.items():
        if sid in stored and stored[sid] != statement.content_hash:
            raise XapiError(409, f"statement {sid} exists with different content")
    fresh = [s for sid, s in parsed.items() if sid not in stored]
    voiding = {s.statement_id: s.voids for s in fresh if s.voids is not None}
    check_voidable(rollout=rollout, targets=set(voiding.values()), batch=parsed)
    waiting = {
        s.statement_id: waiting_for[s.statement_id]
        for s in fresh
        if s.voids is None and s.statement_id in waiting_for
    }
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
    time_approved: set[int] = set()
    if emails or employee_ids:
        rows = db.session.execute(
            select(Person.email, Person.employee_id, Enrollment.id, Enrollment.state)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(
                Enrollment.rollout_id == rollout.id,
                (Person.email.in_(emails)) | (Person.employee_id.in_(employee_ids)),
            )
        )
        for email, employee_id, enrollment_id, state in rows:
            by_email[email] = enrollment_id
            by_employee[employee_id] = enrollment_id
            if state is EnrollmentState.TIME_APPROVED:
                time_approved.add(enrollment_id)
    resolver = UnitResolver.for_program(rollout.program_id)
    applicable: list[tuple[int, int, ParsedStatement, datetime]] = []
    rows: list[dict[str, Any]] = []
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
        rows.append(
            {
                "region_id": region.id,
                "statement_id": s.statement_id,
                "rollout_id": rollout.id,
                "content_hash": s.content_hash,
                "verb": s.verb_iri[:200],
                "enrollment_id": enrollment_id,
                "module_id": module_id,
                "ignored_reason": reason,
                "payload_json": s.payload_json,
                "stored_at": now,
                "actor_key": s.actor_key,
                "activity_iri": s.activity_id or None,
                "statement_ref": s.statement_ref,
                "voided_by": voided_by,
                "voided_at": now if voided_by else None,
                "registration": s.registration,
            }
        )
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
    _insert_statements(region_id=region.id, rows=rows)
    if applicable:
        apply_statements(region, rollout, applicable)
    _index_related(region=region, rollout=rollout, statements=statements, now=now)
    if applicable:
        touched = {enrollment_id for enrollment_id, *_ in applicable}
        apply_progress_effects(
            region=region,
            rollout=rollout,
            now=now,
            channel="xapi",
            enrollment_ids=touched,
            module_count=resolver.modules,
            # the learners were read above: activate only if one of them is waiting to be
            may_activate=bool(touched & time_approved),
            # completion sticks: only a statement that completes a module can complete one
            may_complete=any(s.completed for *_, s, _ in applicable),
        )


#: the statement row's columns as the batch gives them (``payload_json`` is the payload)
STATEMENT_COLUMNS = (
    "region_id",
    "statement_id",
    "rollout_id",
    "content_hash",
    "verb",
    "enrollment_id",
    "module_id",
    "ignored_reason",
    "payload_json",
    "stored_at",
    "actor_key",
    "activity_iri",
    "statement_ref",
    "voided_by",
    "voided_at",
    "registration",
)


def _insert_statements(*, region_id: int, rows: list[dict[str, Any]]) -> None:
    """Store the batch's statement rows with Core (no ORM object per statement), each
    payload the canonical JSON serialised when the statement was parsed. PostgreSQL: one
    INSERT of ``unnest`` over one array per column (one message, one constant statement the
    server keeps prepared); SQLite: an executemany."""
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        db.session.execute(_insert_rows(), rows)
        return
    arrays = {name: [row[name] for row in rows] for name in STATEMENT_COLUMNS}
    # INSERT … SELECT says nothing of its rows' regions to the read cache: this one's
    db.session.execute(_insert_arrays().execution_options(**writes_in(region_id)), arrays)


@functools.cache
def _insert_rows() -> Insert:
    """One statement row (SQLite stores the payload's text as it is)."""
    return insert(XapiStatement.__table__).values(payload=bindparam("payload_json", type_=Text))


@functools.cache
def _insert_arrays() -> Insert:
    """PostgreSQL: every statement row of a batch, from one array per column."""
    table = XapiStatement.__table__
    types = {name: table.c[name].type for name in STATEMENT_COLUMNS if name in table.c}
    types["payload_json"] = Text()
    given = (
        func.unnest(
            *(bindparam(name, type_=postgresql.ARRAY(types[name])) for name in STATEMENT_COLUMNS)
        )
        .table_valued(*STATEMENT_COLUMNS)
        .render_derived()
    )
    columns = [
        cast(given.c[name], table.c.payload.type) if name == "payload_json" else given.c[name]
        for name in STATEMENT_COLUMNS
    ]
    targets = ["payload" if name == "payload_json" else name for name in STATEMENT_COLUMNS]
    return insert(table).from_select(targets, select(*columns))


def _index_related(
    *,
    region: Region,
    rollout: Rollout,
    statements: list[ParsedStatement],
    now: datetime,
) -> None:
    """The related agents and activities of the stored statements, and their definitions;
    the row ids only of the statements that name something beyond their own columns."""
    naming = [s.statement_id for s in statements if s.related]
    pks: dict[str, int] = {}
    if naming:
        pks = dict(
            db.session.execute(
                select(XapiStatement.statement_id, XapiStatement.id).where(
                    XapiStatement.rollout_id == rollout.id,
                    XapiStatement.statement_id.in_(naming),
                )
            ).all()
        )
    index_statements(
        region=region,
        rollout=rollout,
        named=[(pks.get(s.statement_id, 0), s.related, s.definitions or {}) for s in statements],
        now=now,
    )
