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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    Text,
    any_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
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
from app.xapi.statements import VOIDED, ParsedStatement, parse_statement
from app.xapi.voiding import check_voidable, void

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
    # the known ids, the stored voiding statements waiting for one, the learners and the
    # program's modules: one round trip
    found = _lookup(rollout=rollout, parsed=list(parsed.values()))
    stored, waiting_for = found.stored, found.waiting
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
    _store(region=region, rollout=rollout, statements=fresh, now=now, voided=waiting, found=found)
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
    found: _Found,
) -> None:
    """Add ``statements``; those named in ``voided`` (statement id → the stored statement
    that voids it) are stored voided and change no progress. ``found``: the batch's lookup."""
    if not statements:
        return
    by_email, by_employee = found.by_email, found.by_employee
    time_approved, resolver = found.time_approved, found.resolver
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
                "exact_form": s.exact_form,
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


@dataclass
class _Found:
    """What a batch needs to know before it is stored (:func:`_lookup`)."""

    #: the batch's ids the rollout has stored → their content hash
    stored: dict[str, str]
    #: target id → the first stored voiding statement naming it
    waiting: dict[str, str]
    #: the rollout's learners the batch names, by email and by employee id → enrollment id
    by_email: dict[str, int]
    by_employee: dict[str, int]
    #: those of them time-approved (their first progress activates them)
    time_approved: set[int]
    resolver: UnitResolver


def _lookup(*, rollout: Rollout, parsed: list[ParsedStatement]) -> _Found:
    """In one statement: the batch's ids the rollout has stored (id → content hash), the
    stored voiding statements that name one of them (target → the first voiding
    statement's id: a statement voided before it arrived is stored voided), the learners
    the batch names and the program's modules and overrides."""
    ids = sorted({s.statement_id for s in parsed})
    rows = db.session.execute(
        _lookup_statement(db.session.get_bind().dialect.name),
        {
            "rollout_id": rollout.id,
            "program_id": rollout.program_id,
            "ids": ids,
            "emails": sorted({s.email for s in parsed if s.email}),
            "employee_ids": sorted({s.employee_id for s in parsed if s.employee_id}),
            "voided": VOIDED,
        },
    ).all()
    wanted = set(ids)
    found = _Found({}, {}, {}, {}, set(), UnitResolver(program_id=rollout.program_id))
    units = []
    for kind, number, first, second, third, fourth, _at, flag in rows:
        if kind in (0, 1):
            units.append((kind, number, first, second, third))
        elif kind == 2:  # a statement: id, content hash, target, verb
            if first in wanted:
                found.stored[first] = second
            if fourth == VOIDED and third in wanted:
                found.waiting.setdefault(third, first)
        else:  # a learner: enrollment id, email, employee id, time-approved
            found.by_email[first] = number
            found.by_employee[second] = number
            if flag:
                found.time_approved.add(number)
    found.resolver = UnitResolver.from_rows(rollout.program_id, units)
    return found


_LOOKUP_COLUMNS = ("kind", "number", "first", "second", "third", "fourth", "at", "flag")


@functools.cache
def _lookup_statement(dialect: str) -> Select[Any]:
    """:func:`_lookup`'s UNION ALL, ordered by kind (modules 0, overrides 1, statements 2 in
    stored order, learners 3); a list is one array parameter on PostgreSQL (one constant
    statement, kept prepared), an expanding IN elsewhere."""

    def among(column: Any, name: str) -> ColumnElement[bool]:
        if dialect == "postgresql":
            return column == any_(bindparam(name, type_=postgresql.ARRAY(String)))
        return column.in_(bindparam(name, expanding=True))

    def row(*columns: Any) -> Select[Any]:
        # every column labelled: the union's columns are named by its first select
        return select(*(c.label(n) for c, n in zip(columns, _LOOKUP_COLUMNS, strict=True)))

    def text() -> Any:
        return cast(null(), String)

    at_type = XapiStatement.stored_at.type
    units = [
        row(*unit.selected_columns, text(), cast(null(), at_type), literal(0, Integer)).where(
            unit.whereclause
        )
        for unit in UnitResolver.row_selects(bindparam("program_id", type_=Integer))
    ]
    statements = row(
        literal(2, Integer),
        XapiStatement.id,
        XapiStatement.statement_id,
        XapiStatement.content_hash,
        XapiStatement.statement_ref,
        XapiStatement.verb,
        XapiStatement.stored_at,
        literal(0, Integer),
    ).where(
        XapiStatement.rollout_id == bindparam("rollout_id"),
        among(XapiStatement.statement_id, "ids")
        | (among(XapiStatement.statement_ref, "ids") & (XapiStatement.verb == bindparam("voided"))),
    )
    learners = (
        row(
            literal(3, Integer),
            Enrollment.id,
            Person.email,
            Person.employee_id,
            text(),
            text(),
            cast(null(), at_type),
            case((Enrollment.state == EnrollmentState.TIME_APPROVED, 1), else_=0),
        )
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(
            Enrollment.rollout_id == bindparam("rollout_id"),
            among(Person.email, "emails") | among(Person.employee_id, "employee_ids"),
        )
    )
    both = union_all(*units, statements, learners).subquery()
    return select(both).order_by(both.c.kind, both.c.at, both.c.number)


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
    "exact_form",
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
