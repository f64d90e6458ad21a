"""Reading statements back from the LRS (xAPI 1.0.3, Communication §2.1.3 GET Statements).

Only the credential's rollout is ever read: every query filters on its rollout id, and runs
under the region the credential granted. A list is one indexed query per page: keyset
pagination on (stored_at, id), newest first unless ``ascending``; the ``more`` link carries
the query and the last row's key, signed, so the same page always gives the same link.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import aliased

from app.auth.access import autocommit_rows
from app.calendar import parse_instant
from app.extensions import db
from app.progress.models import XapiStatement
from app.xapi.errors import XapiError
from app.xapi.index import activity_key, ifi_key
from app.xapi.models import XapiRelated
from app.xapi.statements import ExactForm
from app.xapi.validate import agent as check_agent
from app.xapi.values import is_iri, is_uuid

#: the most statements one page holds (also what ``limit=0`` or no limit gives)
MAX_LIMIT = 100
FILTERS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
}
FORMATS = {"exact", "ids", "canonical"}
_MORE_SALT = "summit.xapi.more"


@dataclass(frozen=True)
class StatementQuery:
    agent_key: str | None = None
    verb: str | None = None
    activity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = MAX_LIMIT
    ascending: bool = False
    registration: str | None = None
    related_agents: bool = False
    related_activities: bool = False
    #: how the page is returned (carried by the ``more`` link with the filters)
    format: str = "exact"
    attachments: bool = False


def xapi_time(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the microsecond stored. A naive value is UTC, as the
    columns store it (a page's rows as the driver gives them)."""
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _timestamp(name: str, raw: str) -> datetime:
    value = parse_instant(raw, UTC)
    if value is None:
        raise XapiError(400, f"{name} must be an ISO 8601 timestamp, such as 2026-11-22T09:30:00Z")
    return value


def _stored_time(raw: str) -> datetime:
    """A time the ``more`` token carries (written by :func:`xapi_time`)."""
    value = parse_instant(raw, UTC)
    if value is None:
        raise ValueError(f"not a time: {raw!r}")
    return value


def _boolean(name: str, raw: str) -> bool:
    """true / false, in any case (clients such as TinCanPython send True)."""
    if raw.lower() not in ("true", "false"):
        raise XapiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


def check_single_params(args: Mapping[str, str]) -> None:
    """statementId / voidedStatementId take no other parameter but format and attachments."""
    others = set(args) - {"statementId", "voidedStatementId", "format", "attachments"}
    if "statementId" in args and "voidedStatementId" in args:
        raise XapiError(400, "send statementId or voidedStatementId, not both")
    if others:
        raise XapiError(400, f"{sorted(others)} cannot be combined with a statement id")
    _check_format(args)


def _check_format(args: Mapping[str, str]) -> None:
    if args.get("format", "exact") not in FORMATS:
        raise XapiError(400, "format must be ids, exact or canonical")
    _boolean("attachments", args.get("attachments", "false"))


def parse_query(args: Mapping[str, str]) -> StatementQuery:
    """The filters of a statement list; XapiError(400) says which parameter is wrong."""
    unknown = set(args) - FILTERS - {"format", "attachments"}
    if unknown:
        raise XapiError(400, f"unknown parameters {sorted(unknown)}")
    _check_format(args)
    query = StatementQuery()
    if "agent" in args:
        try:
            agent = json.loads(args["agent"])
        except ValueError as exc:
            raise XapiError(400, "agent must be an Agent as JSON") from exc
        check_agent(agent, "agent")
        key = ifi_key(agent)
        if key is None:
            raise XapiError(400, "agent needs one of mbox, mbox_sha1sum, openid, account")
        query = replace(query, agent_key=key)
    if "registration" in args:
        if not is_uuid(args["registration"]):
            raise XapiError(400, "registration must be a UUID")
        query = replace(query, registration=args["registration"].lower())
    for name in ("related_agents", "related_activities", "attachments"):
        if name in args:
            query = replace(query, **{name: _boolean(name, args[name])})
    query = replace(query, format=args.get("format", "exact"))
    for name in ("verb", "activity"):
        if name in args:
            if not is_iri(args[name]):
                raise XapiError(400, f"{name} must be an IRI")
            query = replace(query, **{name: args[name]})
    if "since" in args:
        query = replace(query, since=_timestamp("since", args["since"]))
    if "until" in args:
        query = replace(query, until=_timestamp("until", args["until"]))
    if "limit" in args:
        raw = args["limit"]
        if not raw.isdigit():
            raise XapiError(400, "limit must be a nonnegative integer")
        query = replace(query, limit=min(int(raw), MAX_LIMIT) or MAX_LIMIT)
    if "ascending" in args:
        query = replace(query, ascending=_boolean("ascending", args["ascending"]))
    return query


def find_statement(*, rollout_id: int, statement_id: str, voided: bool) -> XapiStatement | None:
    """The rollout's statement by id: not voided, or with ``voided`` only a voided one."""
    try:
        statement_id = str(uuid.UUID(statement_id))
    except ValueError:
        return None
    voided_clause = (
        XapiStatement.voided_by.is_not(None) if voided else XapiStatement.voided_by.is_(None)
    )
    return db.session.scalars(
        select(XapiStatement).where(
            XapiStatement.rollout_id == rollout_id,
            XapiStatement.statement_id == statement_id,
            voided_clause,
        )
    ).one_or_none()


def _page_request(
    *, rollout_id: int, query: StatementQuery, after: tuple[datetime, int] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shape of the page query (:func:`_page_statement`'s arguments) and its values."""
    values = {
        "related_agent" if query.related_agents else "agent": query.agent_key,
        "verb": query.verb[:200] if query.verb is not None else None,
        "related_activity" if query.related_activities else "activity": query.activity,
        "registration": query.registration,
    }
    params: dict[str, Any] = {"rollout_id": rollout_id, "limit": query.limit + 1}
    params.update({f"match_{name}": value for name, value in values.items() if value is not None})
    if query.related_activities and query.activity is not None:
        params["key_related_activity"] = activity_key(query.activity)
    if query.related_agents and query.agent_key is not None:
        params["key_related_agent"] = query.agent_key
    if query.since is not None:
        params["since"] = query.since
    if query.until is not None:
        params["until"] = query.until
    if after is not None:
        params["after_at"], params["after_id"] = after
    shape = {
        "conditions": tuple(name for name, value in values.items() if value is not None),
        "ascending": query.ascending,
        "since": query.since is not None,
        "until": query.until is not None,
        "after": after is not None,
    }
    return shape, params


def statement_page(
    *,
    rollout_id: int,
    query: StatementQuery,
    after: tuple[datetime, int] | None = None,
) -> tuple[list[XapiStatement], tuple[datetime, int] | None]:
    """One page of the rollout's non-voided statements matching ``query``, after the keyset
    ``after``; returns the rows and the key to continue from (None on the last page).

    A statement whose object is a StatementRef also meets the agent, verb and activity
    conditions, each on its own, when a statement it targets does, through any chain of
    targets (Communication §2.1.3, "Filter Conditions for StatementRefs"); since, until and
    the order apply to the targeting statement itself. Such a page is two keyset queries
    (direct matches, and the statements that reach a matching one through their targets,
    found by walking back from the matching statements) merged in one statement.
    """
    shape, params = _page_request(rollout_id=rollout_id, query=query, after=after)
    rows = list(db.session.scalars(_page_statement(**shape), params))
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    return rows, (rows[-1].stored_at, rows[-1].id)


class TextPage(NamedTuple):
    """A page of statements in their exact form, as JSON text."""

    #: the statements, comma-separated: the inside of the response's array
    statements: str
    #: the newest statement's stored time (the response's Last-Modified), None when empty
    newest: datetime | None
    #: the key to continue from (None on the last page)
    next_key: tuple[datetime, int] | None


def text_page(
    *,
    rollout_id: int,
    query: StatementQuery,
    authority_json: str,
    after: tuple[datetime, int] | None = None,
) -> TextPage:
    """:func:`statement_page` in the exact format, as JSON text (:func:`as_xapi_text` of each
    statement, ``authority_json`` the LRS's authority).

    One round trip in autocommit through the driver, the statement compiled once: a page is
    the request's only statement (no transaction to begin and end). Each row stays as the
    driver gives it; only the rows that give the page's keys become aware times."""
    shape, params = _page_request(rollout_id=rollout_id, query=query, after=after)
    rows = autocommit_rows(_page_statement(**shape, as_text=True), **params)
    if not rows:
        return TextPage("", None, None)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    text = ",".join([as_xapi_text(*columns, authority_json=authority_json) for _, *columns in rows])
    newest = _STORED.process_result_value(rows[-1 if query.ascending else 0][1], None)
    next_key = (_STORED.process_result_value(rows[-1][1], None), rows[-1][0]) if more else None
    return TextPage(text, newest, next_key)


#: the column each filter compares (on the statement, or on a statement it targets)
_MATCH_COLUMNS = {
    "agent": "actor_key",
    "verb": "verb",
    "activity": "activity_iri",
    "registration": "registration",
}


def _form_from_json() -> ColumnElement[int]:
    """The :class:`ExactForm` of a row stored without one, read from its JSON (each member
    asked parses the whole text: five times a row)."""

    def given(name: str) -> ColumnElement[bool]:
        # a statement holds no JSON null: NULL is "absent"
        return XapiStatement.payload[name].as_string().is_not(None)

    stored_id = func.coalesce(XapiStatement.payload["id"].as_string(), "")
    return (
        case((given("timestamp"), int(ExactForm.TIMESTAMP)), else_=0)
        + case((given("version"), int(ExactForm.VERSION)), else_=0)
        + case(
            (
                or_(given("stored"), given("authority"), stored_id != XapiStatement.statement_id),
                int(ExactForm.PARSE),
            ),
            else_=0,
        )
    )


#: what a page read as text gives of each statement: its row's key, its id, the stored JSON
#: as text, and its :class:`ExactForm` (written with the statement; read from the JSON only
#: for a row stored without it: COALESCE evaluates its second argument only then)
TEXT_COLUMNS = (
    XapiStatement.id,
    XapiStatement.stored_at,
    XapiStatement.statement_id,
    cast(XapiStatement.payload, Text).label("payload_text"),
    func.coalesce(XapiStatement.exact_form, _form_from_json()).label("exact_form"),
)


#: the stored time's column type: reads the driver's value of a stored time (naive UTC;
#: SQLite's text) as an aware UTC datetime
_STORED = XapiStatement.__table__.c.stored_at.type


@functools.lru_cache(maxsize=64)
def _page_statement(
    conditions: tuple[str, ...],
    *,
    ascending: bool,
    since: bool,
    until: bool,
    after: bool,
    as_text: bool = False,
) -> Select[Any]:
    """The page query for one shape of request, values as bound parameters: built once per
    process and shape (building the StatementRef form costs more than running it).

    With conditions, the page merges the direct matches (a keyset query) with the
    statements that reach a matching one through their StatementRef targets, found one of
    two ways, whichever the direct matches call for (both give the same page):

    - the direct matches fill the page (a broad filter, a verb): only a targeting statement
      between the keyset and the last direct match can be on it, so the targeting statements
      of that window (``ix_xapi_statement_rollout_ref_stored``) are walked forward through
      their targets (:func:`_onward`);
    - they do not (a narrow filter, an agent): walked backward from the matching statements
      (:func:`_reaching`).

    The other way is behind a condition on the direct matches' count that the database
    evaluates once, before it (PostgreSQL: a one-time filter), so only one is run.
    """
    base = _base(since=since, until=until, after=after, ascending=ascending)
    columns: tuple[Any, ...] = TEXT_COLUMNS if as_text else (XapiStatement,)
    if not conditions:
        return _ordered(select(*columns).where(*base), ascending)
    direct = _ordered(
        select(XapiStatement.id, XapiStatement.stored_at).where(
            *base, *(_match(XapiStatement, c) for c in conditions)
        ),
        ascending,
    ).cte("direct")
    full = select(func.count()).select_from(direct).scalar_subquery() == bindparam(
        "limit", type_=Integer
    )
    # the last direct match's key: no targeting statement past it can be on the page
    last = _ordered_by(select(direct.c.stored_at, direct.c.id), direct.c, not ascending).limit(1)
    last_key = tuple_(
        last.with_only_columns(direct.c.stored_at).scalar_subquery(),
        last.with_only_columns(direct.c.id).scalar_subquery(),
    )
    key = tuple_(XapiStatement.stored_at, XapiStatement.id)
    window = [full, key <= last_key if ascending else key >= last_key]
    onward = _onward(conditions, [*base, *window])
    backward = {c: select(_reaching(c).c.id) for c in conditions}
    targeting = [
        _targeting(base + window, conditions, onward, ascending),
        _targeting([*base, ~full], conditions, backward, ascending),
    ]
    ids = union(select(direct.c.id), *(select(t.c.id) for t in targeting)).subquery("matched")
    return _ordered(select(*columns).where(XapiStatement.id.in_(select(ids.c.id))), ascending)


def _targeting(
    where: list[ColumnElement[bool]],
    conditions: tuple[str, ...],
    reaching: dict[str, Select[Any]],
    ascending: bool,
) -> Any:
    """The page's statements (``where``) that reach a statement meeting a condition through
    their targets (``reaching``: the ids that reach each), each condition met by the
    statement itself or through its targets."""
    through = [XapiStatement.id.in_(union(*reaching.values()))]
    if len(conditions) > 1:
        through += [
            or_(_match(XapiStatement, c), XapiStatement.id.in_(reaching[c])) for c in conditions
        ]
    return _ordered(select(XapiStatement.id).where(*where, *through), ascending).subquery()


def _onward(
    conditions: tuple[str, ...], window: list[ColumnElement[bool]]
) -> dict[str, Select[Any]]:
    """For each condition, the ids of the statements of ``window`` that target another
    whose chain of StatementRef targets (voided or not) holds one meeting it: walked forward
    from each, target by target (UNION: a cycle ends)."""
    rollout = bindparam("rollout_id")
    walk = (
        select(XapiStatement.id.label("origin"), XapiStatement.statement_ref.label("target"))
        .where(*window, XapiStatement.statement_ref.is_not(None))
        .cte("onward", recursive=True)
    )
    step = aliased(XapiStatement)
    walk = walk.union(
        select(walk.c.origin, step.statement_ref)
        .join(step, (step.rollout_id == rollout) & (step.statement_id == walk.c.target))
        .where(step.statement_ref.is_not(None))
    )
    found = {}
    for condition in conditions:
        target = aliased(XapiStatement)
        found[condition] = (
            select(walk.c.origin)
            .join(target, (target.rollout_id == rollout) & (target.statement_id == walk.c.target))
            .where(_match(target, condition))
        )
    return found


def _match(entity: Any, condition: str) -> ColumnElement[bool]:
    if condition.startswith("related_"):
        # the actor and the object activity are the statement's own columns; the index holds
        # only the other agents and activities it names (most statements: none)
        kind = condition.removeprefix("related_")
        direct = getattr(entity, _MATCH_COLUMNS[kind]) == bindparam(f"match_{condition}")
        return or_(
            direct,
            entity.id.in_(
                select(XapiRelated.statement_pk).where(
                    XapiRelated.rollout_id == bindparam("rollout_id"),
                    XapiRelated.kind == kind,
                    XapiRelated.key == bindparam(f"key_{condition}"),
                )
            ),
        )
    return getattr(entity, _MATCH_COLUMNS[condition]) == bindparam(f"match_{condition}")


def _base(*, since: bool, until: bool, after: bool, ascending: bool) -> list[ColumnElement[bool]]:
    """The rollout, not voided, the time window and the keyset: always the statement's own."""
    clauses = [
        XapiStatement.rollout_id == bindparam("rollout_id"),
        XapiStatement.voided_by.is_(None),
    ]
    if since:
        clauses.append(XapiStatement.stored_at > bindparam("since"))
    if until:
        clauses.append(XapiStatement.stored_at <= bindparam("until"))
    if after:
        key = tuple_(XapiStatement.stored_at, XapiStatement.id)
        bound = tuple_(
            bindparam("after_at", type_=XapiStatement.stored_at.type),
            bindparam("after_id", type_=XapiStatement.id.type),
        )
        clauses.append(key > bound if ascending else key < bound)
    return clauses


def _ordered(stmt: Select[Any], ascending: bool) -> Select[Any]:
    return _ordered_by(stmt, XapiStatement, ascending).limit(bindparam("limit", type_=Integer))


def _ordered_by(stmt: Select[Any], columns: Any, ascending: bool) -> Select[Any]:
    """In stored order (``columns``' stored_at, then id), newest first unless ``ascending``."""
    if ascending:
        return stmt.order_by(columns.stored_at, columns.id)
    return stmt.order_by(columns.stored_at.desc(), columns.id.desc())


def _reaching(condition: str) -> CTE:
    """(id, statement_id) of each statement of the rollout, voided or not, whose chain of
    StatementRef targets holds one meeting ``condition`` (voided or not: the void of a
    completion is news to whoever asked for completions).

    Walked backward from the matching statements over ``ix_xapi_statement_rollout_ref``:
    first the statements whose target matches, then those targeting one already found, so
    the cost follows the statements near the matching ones, not every StatementRef of the
    rollout. The first step is a join the planner may start from either side (few matches
    for an agent; few targeting statements for a broad verb). UNION: a cycle ends.
    """
    rollout = bindparam("rollout_id")
    source, target = aliased(XapiStatement), aliased(XapiStatement)
    found = (
        select(source.id, source.statement_id)
        .join(
            target, (target.rollout_id == rollout) & (target.statement_id == source.statement_ref)
        )
        # IS NOT NULL, which the join implies, tells the planner how few statements target
        .where(
            source.rollout_id == rollout,
            source.statement_ref.is_not(None),
            _match(target, condition),
        )
        .cte(f"reaching_{condition}", recursive=True)
    )
    step = aliased(XapiStatement)
    return found.union(
        select(step.id, step.statement_id).join(
            found,
            (step.rollout_id == rollout)
            & step.statement_ref.is_not(None)
            & (step.statement_ref == found.c.statement_id),
        )
    )


# --- the "more" link ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    """Built once per key (a process sees one, and one more after a rotation)."""
    return URLSafeSerializer(secret_key, salt=_MORE_SALT)


def more_token(
    *, secret_key: str, rollout_id: int, query: StatementQuery, after: tuple[datetime, int]
) -> str:
    """A signed, stable token for the page after ``after`` of ``query`` for the rollout."""
    fields = {
        k: (xapi_time(v) if isinstance(v, datetime) else v)
        for k, v in asdict(query).items()
        if v is not None
    }
    return _serializer(secret_key).dumps(
        {"r": rollout_id, "q": fields, "k": [xapi_time(after[0]), after[1]]}
    )


def read_more_token(
    token: str, *, secret_key: str, rollout_id: int
) -> tuple[StatementQuery, tuple[datetime, int]]:
    """The query and keyset of a ``more`` token; XapiError(400) for a forged or foreign one."""
    try:
        data = _serializer(secret_key).loads(token)
        if data["r"] != rollout_id:
            raise ValueError("another rollout's link")
        fields = dict(data["q"])
        for name in ("since", "until"):
            if name in fields:
                fields[name] = _stored_time(fields[name])
        stored_at = _stored_time(data["k"][0])
        return StatementQuery(**fields), (stored_at, int(data["k"][1]))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise XapiError(400, "the more link is not valid for these credentials") from exc


# --- rendering ----------------------------------------------------------------------------


def as_xapi(statement: XapiStatement, *, authority: dict[str, Any]) -> dict[str, Any]:
    """The statement as stored, with the LRS's ``id``, ``stored``, ``authority`` and the
    ``timestamp`` and ``version`` defaults the spec asks for."""
    return _with_lrs_members(
        dict(statement.payload),
        statement_id=statement.statement_id,
        stored=xapi_time(statement.stored_at),
        authority=authority,
    )


def _with_lrs_members(
    body: dict[str, Any], *, statement_id: str, stored: str, authority: dict[str, Any]
) -> dict[str, Any]:
    """``body`` (a copy of the stored statement) with the LRS's ``id``, ``stored`` and
    ``authority`` and the ``timestamp`` and ``version`` defaults."""
    body["id"] = statement_id
    body["stored"] = stored
    body["authority"] = authority
    body.setdefault("timestamp", stored)
    body.setdefault("version", "1.0.0")
    return body


#: :class:`ExactForm`'s bits as plain integers (an IntFlag's ``&`` costs a call a row)
_GIVES_TIMESTAMP, _GIVES_VERSION, _MUST_PARSE = (
    int(ExactForm.TIMESTAMP),
    int(ExactForm.VERSION),
    int(ExactForm.PARSE),
)


def as_xapi_text(
    stored_at: datetime | str,
    statement_id: str,
    text: str,
    form: int,
    *,
    authority_json: str,
) -> str:
    """:func:`as_xapi` of a :data:`TEXT_COLUMNS` row (after its id), as the driver gives it,
    as JSON text: the stored text spliced and never parsed when the statement holds no
    ``stored`` or ``authority`` of its own and its ``id`` is the one stored (as the LRS
    stores it: always but for odd rows, which are parsed and serialised again).
    ``stored_at`` is naive UTC, or SQLite's text of it."""
    if isinstance(stored_at, str):  # SQLite
        stored_at = _STORED.process_result_value(stored_at, None)
    stored = xapi_time(stored_at)
    if form & _MUST_PARSE or not text.startswith("{"):
        body = _with_lrs_members(
            json.loads(text),
            statement_id=statement_id,
            stored=stored,
            authority=json.loads(authority_json),
        )
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    head = '{"authority":' + authority_json + ',"stored":"' + stored + '",'
    if not form & _GIVES_TIMESTAMP:
        head += '"timestamp":"' + stored + '",'
    if not form & _GIVES_VERSION:
        head += '"version":"1.0.0",'
    return head + text[1:]
