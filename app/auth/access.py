"""Who is asking, and what they may see: resolved once per request.

Deny by default: every endpoint needs a signed-in staff member unless its view
is marked :func:`public`. A signed-in staff member's queries are limited to
their regions (:mod:`app.scoping`); anonymous requests see no region-owned row
until a signed link or a credential grants one region (:func:`grant_region`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, TypeVar

from blinker import Namespace
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import Select, bindparam, select, update

from app.auth.models import EDITOR_ROLES, Role, RoleAssignment, StaffUser
from app.extensions import db
from app.readcache import (
    epoch_column,
    every_region_epoch_column,
    note_epoch,
    region_epoch_column,
)
from app.regions.queries import region_by_code
from app.scoping import set_region_scope

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_USER_KEY = "staff_user_id"
#: the staff member's ``session_version`` when this session began
SESSION_VERSION_KEY = "staff_session_version"
#: sent once per round trip of :func:`autocommit_reads` on a driver connection, outside
#: SQLAlchemy's engine events, with the SQL of its statements (``tests/statements.py``
#: counts them with the engine's)
direct_round_trip = Namespace().signal("direct-round-trip")


@dataclass(frozen=True)
class Identity:
    """The signed-in staff member as authorisation needs them: read fresh on every request
    in one statement (no ORM objects), so a revoked role or a deactivated account counts
    from the next request on. :func:`current_staff` loads the full :class:`StaffUser`
    only for views that change something on their behalf."""

    id: int
    name: str
    #: (region id, role) pairs; region id None for the global admin role
    roles: frozenset[tuple[int | None, Role]]
    #: the language chosen on the profile (None: the browser's, then the region's): every
    #: page and download of the request, not only those that load the StaffUser, follow it
    locale: str | None = None

    @property
    def is_global_admin(self) -> bool:
        return any(role is Role.GLOBAL_ADMIN for _, role in self.roles)

    def roles_in(self, region_id: int) -> set[Role]:
        """Roles held in one region (a global admin holds it everywhere)."""
        found = {role for rid, role in self.roles if rid == region_id}
        if self.is_global_admin:
            found.add(Role.GLOBAL_ADMIN)
        return found

    def region_ids(self) -> set[int]:
        return {rid for rid, _ in self.roles if rid is not None}

    def all_roles(self) -> set[Role]:
        return {role for _, role in self.roles}


def public(view: F) -> F:
    """Mark a view as reachable without staff sign-in (signed links, health, xAPI)."""
    view.summit_public = True  # type: ignore[attr-defined]
    return view


def require_role(*roles: Role) -> Callable[[F], F]:
    """Allow the view only to staff holding one of ``roles`` in the URL's region
    (or anywhere, for views without a region); a global admin always passes."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_identity()
            if user is None:
                abort(401)
            region = g.get("region")
            held = user.roles_in(region.id) if region is not None else user.all_roles()
            if Role.GLOBAL_ADMIN in held or held & set(roles):
                return view(*args, **kwargs)
            abort(403)

        return wrapped  # type: ignore[return-value]

    return decorator


def may_see_names() -> bool:
    """Whether this request may show individual learners by name in the URL's region: staff
    who run it always; sponsors only where the region's reporting policy names individuals
    (``aggregate``: some works councils forbid naming individuals to management)."""
    region = g.get("region")
    if region is None:
        return False
    return bool(g.region_roles & EDITOR_ROLES) or region.names_individuals


def current_identity() -> Identity | None:
    return g.get("identity")


def current_staff() -> StaffUser | None:
    """The signed-in staff member as a model (loaded on first use in a request)."""
    identity = g.get("identity")
    if identity is None:
        return None
    if "staff" not in g:
        g.staff = db.session.get(StaffUser, identity.id)
    return g.staff


def sign_in(user: StaffUser) -> None:
    """Start a fresh session for ``user`` (a new session, so no fixation)."""
    session.clear()
    session[SESSION_USER_KEY] = user.id
    session[SESSION_VERSION_KEY] = user.session_version
    session.permanent = True


def sign_out() -> None:
    """End this session and, server-side, every session of the same person (a copy of the
    cookie is worth nothing afterwards). Flushes; the caller commits."""
    user_id = session.get(SESSION_USER_KEY)
    session.clear()
    if user_id is not None:
        end_sessions(user_id)


def end_sessions(user_id: int) -> None:
    """Raise the person's session version: each of their sessions ends at its next request.
    Flushes (an ORM UPDATE); the caller commits."""
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id)
        .values(session_version=StaffUser.session_version + 1)
        .execution_options(synchronize_session=False)
    )


def grant_region(region_id: int) -> None:
    """Let an anonymous request (a signed link, an xAPI credential) see one region."""
    set_region_scope(db.session, [region_id])


def _load_identity(view: Callable[..., Any] | None) -> Identity | None:
    user_id = session.get(SESSION_USER_KEY)
    if user_id is None:
        return None

    # one statement in autocommit, outside the request's transaction: a page the read
    # cache serves whole then costs one round trip (no BEGIN, no ROLLBACK); the epoch is
    # read before the view's snapshot is taken, so nothing older is kept under it. A read
    # the view asks on every request (:class:`ReadWithSignIn`) goes in the same round trip.
    reads: list[tuple[Select[Any], dict[str, Any]]] = [
        (_identity_statement(), {"user_id": int(user_id)})
    ]
    also = getattr(view, "summit_page_also", None)
    also_params: dict[str, Any] | None = None
    if isinstance(also, ReadWithSignIn) and request.method in ("GET", "HEAD"):
        also_params = also.params(**(request.view_args or {}))
        reads.append((also.statement(), also_params))
    rows, *also_rows = autocommit_reads(reads)
    if also_rows:
        g.summit_read_with_sign_in = (also, also_params, also_rows[0])
    if not rows or not rows[0][1] or rows[0][2] != session.get(SESSION_VERSION_KEY, 0):
        session.clear()
        return None
    # name, active, session_version, locale, region_id, role, and the three epochs
    note_epoch(rows[0][6], rows[0][7], {r[4]: r[8] for r in rows if r[4] is not None})
    roles = frozenset((r[4], Role(r[5])) for r in rows if r[5] is not None)
    return Identity(id=user_id, name=rows[0][0], roles=roles, locale=rows[0][3])


class ReadWithSignIn:
    """A read a page asks on every request before its kept copy is served (what it shows of
    a table the read epochs do not follow), sent in the sign-in's round trip: the two
    statements go to PostgreSQL together (a pipeline), so the kept page still costs one.

    Built from a statement (built once) and a function of the view's arguments that gives
    its parameters; called with the view's arguments (as ``ReadCache.page_also_keyed``
    calls it), it answers the statement's first row: the one the sign-in fetched for this
    request, else (another request, other arguments) fetched now."""

    def __init__(
        self, statement: Callable[[], Select[Any]], params: Callable[..., dict[str, Any]]
    ) -> None:
        self.statement, self.params = statement, params
        wraps(params)(self)

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        params = self.params(*args, **kwargs)
        fetched = g.pop("summit_read_with_sign_in", None)
        if fetched is not None and fetched[0] is self and fetched[1] == params:
            return fetched[2][0]
        return autocommit_rows(self.statement(), **params)[0]


def read_with_sign_in(
    statement: Callable[[], Select[Any]],
) -> Callable[[Callable[..., dict[str, Any]]], ReadWithSignIn]:
    """Decorate the function that gives ``statement``'s parameters from a view's arguments:
    a :class:`ReadWithSignIn`, for ``read_cache.page_also_keyed``."""

    def decorate(params: Callable[..., dict[str, Any]]) -> ReadWithSignIn:
        return ReadWithSignIn(statement, params)

    return decorate


def autocommit_rows(statement: Select[Any], **params: Any) -> list[tuple[Any, ...]]:
    """Run ``statement`` (built once, so compiled once per dialect) with ``params`` on a
    pooled driver connection in autocommit: one round trip, outside the request's
    transaction, and plain tuples back.

    For the few reads asked on every request before a kept page is served (the sign-in,
    what a page shows of a table the read epochs do not follow): through the driver it
    skips the SQLAlchemy ``Connection``'s execution path (events, result machinery),
    which cost a kept page more than the round trip itself. The pool's checkout events
    (the idle ping) still run; the read cache's statement listeners have nothing to see
    in a SELECT. Values come back as the driver gives them (no result processing): ask
    for numbers and text, not for the app's own column types."""
    return autocommit_reads([(statement, params)])[0]


def autocommit_reads(
    reads: Sequence[tuple[Select[Any], dict[str, Any]]],
) -> list[list[tuple[Any, ...]]]:
    """:func:`autocommit_rows` for several statements in one round trip: on PostgreSQL a
    pipeline (each statement still its own snapshot, taken in order); SQLite is
    in-process and runs them in turn. The rows of each, in order."""
    engine = db.engine
    sent = []
    for statement, params in reads:
        sql, names, positional, constants, processors = _compiled(
            statement, engine.dialect, tuple(sorted(params))
        )
        values = {**constants, **params}
        for name, process in processors:
            values[name] = process(values[name])
        sent.append((sql, [values[n] for n in names] if positional else values))
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        was = _autocommit(driver, True)
        try:
            cursors = [pooled.cursor() for _ in sent]
            try:
                direct_round_trip.send(tuple(sql for sql, _ in sent))
                pipeline = getattr(driver, "pipeline", None)
                with pipeline() if pipeline is not None and len(sent) > 1 else nullcontext():
                    for cursor, (sql, driver_params) in zip(cursors, sent, strict=True):
                        cursor.execute(sql, driver_params)
                return [[tuple(row) for row in cursor.fetchall()] for cursor in cursors]
            finally:
                for cursor in cursors:
                    cursor.close()
        finally:
            _autocommit(driver, was)
    finally:
        pooled.close()


def _autocommit(driver: Any, on: bool) -> bool:
    """Set a driver connection's autocommit (psycopg: no round trip while idle); the old
    value. SQLite's driver opens no transaction for a SELECT: left alone."""
    if not hasattr(driver, "autocommit") or driver.__class__.__module__.startswith("sqlite3"):
        return on
    was = bool(driver.autocommit)
    if was != on:
        driver.autocommit = on
    return was


@cache
def _compiled(
    statement: Select[Any], dialect: Any, given: tuple[str, ...]
) -> tuple[
    str, tuple[str, ...], bool, dict[str, Any], tuple[tuple[str, Callable[[Any], Any]], ...]
]:
    """``statement``'s SQL for ``dialect``, its parameter names in order, whether they are
    positional, its constants (the parameters not ``given``: the epochs' fixed rows), and
    the bind processors of the given parameters that have one (a time as the column stores
    it: naive UTC, on SQLite a text of fixed form), as SQLAlchemy would apply them; the
    constants come processed."""
    compiled = statement.compile(dialect=dialect)
    constants = compiled.construct_params(dict.fromkeys(given))
    for name in given:
        del constants[name]
    names = tuple(compiled.positiontup or ()) if compiled.positional else ()
    processors = {
        name: process
        for name, bind in compiled.binds.items()
        if (process := _bind_processor(bind.type, dialect)) is not None
    }
    for name, value in constants.items():
        if name in processors:  # a JSON path on SQLite, say: processed once
            constants[name] = processors[name](value)
    given_processors = tuple((name, processors[name]) for name in given if name in processors)
    return compiled.string, names, bool(compiled.positional), constants, given_processors


def _bind_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a parameter of ``type_`` on ``dialect`` (the dialect's
    own type: SQLite's DATETIME writes the text it stores)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


@cache
def _identity_statement() -> Select[Any]:
    """Built once: the same statement every request, its compiled form cached."""

    return (
        select(
            StaffUser.name,
            StaffUser.active,
            StaffUser.session_version,
            StaffUser.locale,
            RoleAssignment.region_id,
            RoleAssignment.role,
            # the read cache's epochs, in the same round trip: the global one, "every
            # region" and each role's region (the region scope of the request)
            epoch_column().label("epoch"),
            every_region_epoch_column().label("every_region_epoch"),
            region_epoch_column(RoleAssignment.region_id).label("region_epoch"),
        )
        .select_from(StaffUser)
        .outerjoin(RoleAssignment, RoleAssignment.user_id == StaffUser.id)
        .where(StaffUser.id == bindparam("user_id"))
    )


def _before_request() -> Any:
    view = _view_function()
    g.identity = user = _load_identity(view)
    if user is None:
        set_region_scope(db.session, [])
    else:
        set_region_scope(db.session, None if user.is_global_admin else user.region_ids())
    is_public = (
        view is None or getattr(view, "summit_public", False) or request.endpoint == "static"
    )
    if user is None and not is_public:
        if request.method in SAFE_METHODS and request.accept_mimetypes.accept_html:
            return redirect(url_for("auth.sign_in_page", next=request.full_path.rstrip("?")))
        abort(401)
    _resolve_region(user)
    return None


def _view_function() -> Callable[..., Any] | None:

    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _pop_region(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.region_code = values.pop("region", None) if values else None


def _resolve_region(user: Identity | None) -> None:

    g.region = None
    code = g.get("region_code")
    if code is None:
        return
    # runs under the user's region scope: another region's code is a 404
    region = region_by_code(db.session, code)
    if region is None or user is None:
        abort(404)
    g.region = region
    g.region_roles = user.roles_in(region.id)
    if request.method not in SAFE_METHODS and not (g.region_roles & EDITOR_ROLES):
        abort(403)  # sponsors read; they never change anything


def _add_region(endpoint: str, values: dict[str, Any]) -> None:

    region = g.get("region")
    if region is None or "region" in values:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "region"):
        values["region"] = region.code


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_pop_region)
    app.url_defaults(_add_region)
    app.before_request(_before_request)

    @app.teardown_request
    def _lift_scope(exc: BaseException | None) -> None:
        # a test holding an app context shares this session after the request
        set_region_scope(db.session, None)

    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        return {
            "current_staff": g.get("identity"),
            "current_region": g.get("region"),
            "Role": Role,
        }
