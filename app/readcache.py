"""The read cache: dashboard figures and staff pages reused per process until the next
commit that wrote what they read (core layer: imports nothing of the app but ``app.db``).

The pages staff open most count thousands of learners per view. Those counts only change
when something commits, so a clean GET request may reuse what an earlier request of this
process counted. :data:`read_cache` (registered by the factory with ``init_app``) makes
that hard to get wrong:

- **the caller's region scope is part of every key**, added by the cache itself: a
  cached function does not need (and must not rely on) a ``scope`` argument, so one
  person's figures or regions are never served to someone who may see other regions;
- **arguments are plain values only** (numbers, strings, dates, enums, tuples of them):
  an ORM object, a list or a dict is refused with ``TypeError``;
- **values are immutable**: a result is frozen before it is kept or returned (lists
  become tuples, dicts read-only mappings, rows named tuples; dataclasses must be
  frozen; ORM objects are refused), so no caller can change what the next one reads;
- **each cached function declares the tables it reads** (``reads=``, checked against the
  models' metadata on first use). A commit moves the epochs (in its own transaction, so
  new rows and the new epochs become visible together) when it wrote a table something
  cached reads; a statement whose table cannot be known from its SQLAlchemy construct
  (``text()``, driver SQL, DDL) counts as writing every table. Entries are keyed by the
  epochs, so nothing outlives a relevant commit anywhere (web, job or CLI); a session
  with unflushed or uncommitted writes of its own never reads or fills the cache; entries
  also expire after :attr:`ReadCache.ttl` seconds (figures that move with the clock,
  writes made outside the application).

**Epochs per region** (issue 26). A region's pages only read that region's rows (the
scoping hook of :mod:`app.scoping` filters every region-owned model; the other tables with
a ``region_id`` are read by region or by global views only), so a commit moves:

- ``read_epoch.n``, the global epoch, always: pages of a global admin (every region) and
  anything without a region scope are keyed by it;
- ``read_epoch_region.n`` of each region it wrote, when every write's region is known:
  an ORM object's ``region_id`` (old and new, seen by the mapper events of the flush), an
  ``INSERT`` whose every row gives a ``region_id``, or a statement that declares its
  regions (``stmt.execution_options(**writes_in(region_id, ...))``: a Core ``UPDATE``,
  ``DELETE``, ``INSERT … SELECT`` or ``text()`` of one rollout);
- otherwise the row of region ``0``, "every region", which every scoped key includes:
  a write to a table without a region (programs, staff, the regions themselves), a
  ``region_id`` of NULL, a statement that declares nothing. When unsure, every region.

A scoped request's key is the "every region" epoch and the epoch of each region of its
scope: a write in region A leaves region B's kept pages and figures alone.

:meth:`ReadCache.page` keeps the five staff pages opened most whole, under the same
epoch, per staff member and roles, URL and session (its CSRF token is in the forms);
sign-in, region scope and the role check run before a kept page is served.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import cache, wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request, session
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    bindparam,
    event,
    func,
    inspect,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history
from sqlalchemy.sql.dml import Insert, UpdateBase

from app.db import Base
from app.frozen import check_plain, freeze

F = TypeVar("F", bound=Callable[..., Any])
_DIRTY = "read_cache_dirty"
_WROTE = "read_cache_wrote"
_REGIONS = "read_cache_regions"
_BULK = "summit_orm_bulk"
_ASKED = "read_cache_region_lookups"
#: rows a transaction's flushes may read back for the region of an expired object
MAX_REGION_LOOKUPS = 20
#: the execution option a statement declares the regions it writes in with (:func:`writes_in`)
REGIONS_OPTION = "summit_writes_in"
#: the region "every region": what a write counts as when its region is not known
EVERY_REGION = 0
_MISSING = object()
#: "every table": what a statement writes when its construct does not say
EVERY_TABLE = "*"
#: the tables the kept pages do not read: the mail outbox and the scheduler's run guard,
#: the most frequent writers, and the directory import's staged manager links (a page
#: reads everything else)
PAGES_DO_NOT_READ = frozenset({"outbound_email", "scheduled_run", "directory_import_manager"})
#: statements that change no row, when only the SQL text is known (``text()``)
_READ_VERBS = ("SELECT", "SHOW", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ", "BEGIN")


class ReadEpoch(Base):
    """One row: the number of commits so far (figures cached under an older one are stale)."""

    __tablename__ = "read_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class RegionEpoch(Base):
    """The commits that wrote in one region (``region_id`` 0: in every region, or in an
    unknown one). No foreign key: a region's counter outlives the region (a counter that
    went back to 0 could match a page kept before)."""

    __tablename__ = "read_epoch_region"

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


def writes_in(*region_ids: int | None) -> dict[str, tuple[int, ...]]:
    """Execution options declaring the regions a Core statement writes in (``None`` or no
    region: every region), e.g. ``update(...).execution_options(**writes_in(region_id))``."""
    if not region_ids or any(r is None for r in region_ids):
        return {REGIONS_OPTION: (EVERY_REGION,)}
    return {REGIONS_OPTION: tuple(sorted({int(r) for r in region_ids if r is not None}))}


class Epochs:
    """The epochs a request has read: the global one, "every region" and some regions'."""

    __slots__ = ("every", "n", "regions")

    def __init__(self, n: int | None, every: int | None, regions: dict[int, int]) -> None:
        self.n = n or 0
        self.every = every or 0
        self.regions = regions

    def key(self, scope: tuple[int, ...] | None) -> tuple[tuple[int, int], ...] | None:
        """The epochs ``scope`` depends on, or None when a region of it was not read."""
        if scope is None:
            return ((-1, self.n),)
        if any(r not in self.regions for r in scope):
            return None
        return ((EVERY_REGION, self.every), *((r, self.regions[r]) for r in scope))


class ReadCache:
    """Figures and pages reused until a commit wrote what they read (see the module)."""

    def __init__(self, *, ttl: float = 60.0, max_entries: int = 2048) -> None:
        #: seconds an entry is reused at most, commits aside
        self.ttl = ttl
        self.max_entries = max_entries
        #: bytes of rendered pages kept per process (least recently used go first)
        self.max_page_bytes = 32 * 1024 * 1024
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._pages: OrderedDict[tuple[Any, ...], tuple[float, bytes, int, list[Any]]] = (
            OrderedDict()
        )
        self._page_bytes = 0
        self._lock = threading.Lock()
        #: the newest epoch seen of each region (-1: the global one): entries keyed by an
        #: older one are dropped (they may hold names a commit has since erased)
        self._newest: dict[int, int] = {}
        #: cached function -> the tables it reads
        self.reads: dict[str, frozenset[str]] = {}
        self._scope: Callable[[Session], Hashable] = lambda s: None
        self._session: Callable[[], Session] | None = None

    # -- registration ---------------------------------------------------------------------

    def init_app(
        self, app: Flask, *, session: Callable[[], Session], scope: Callable[[Session], Hashable]
    ) -> None:
        """Bind to the app's session and region scope; listen to writes and commits."""
        self._session, self._scope = session, scope
        app.extensions["read_cache"] = self
        for target, name, listener in (
            (Engine, "begin", _transaction_began),
            (Engine, "before_cursor_execute", _statement),
            (Session, "before_commit", self._bump),
            (Session, "after_flush", _wrote),
            (Session, "do_orm_execute", _wrote_in_bulk),
            (Session, "after_commit", _clean),
            (Session, "after_soft_rollback", _clean),
        ):
            if not event.contains(target, name, listener):
                event.listen(target, name, listener)
        for name in ("before_insert", "before_update", "before_delete"):
            if not event.contains(Base, name, _flushed_object):
                event.listen(Base, name, _flushed_object, propagate=True)

    def read_by_something(self, tables: set[str]) -> bool:
        """Whether a commit that wrote ``tables`` may change something cached."""
        if EVERY_TABLE in tables or tables - PAGES_DO_NOT_READ:
            return True
        return any(tables & reads for reads in self.reads.values())

    def _regions_written(
        self, written: set[str] | None, by_table: dict[str, set[int]] | None
    ) -> set[int]:
        """The regions whose pages a commit may change: those of the rows it wrote in
        tables something reads (a table written without a known region: every region)."""
        if written is None or by_table is None:
            return {EVERY_REGION}
        regions: set[int] = set()
        for table in written:
            if self.read_by_something({table}):
                regions |= by_table.get(table) or {EVERY_REGION}
        return {EVERY_REGION} if not regions or EVERY_REGION in regions else regions

    def _bump(self, session: Session) -> None:
        """A commit that wrote a table something cached reads moves the epoch; a read-only
        one (a scheduler tick that found nothing to do) leaves every entry valid."""
        if not session.in_transaction() or session.in_nested_transaction():
            # a savepoint released (SQLAlchemy tells it as a commit): its writes become
            # visible with the transaction's, and are told then. Bumping here would lock the
            # epoch rows for the rest of the transaction (two term closes racing deadlocked)
            return
        session.flush()  # the epoch rows are locked only from here to the commit
        info = session.connection().info
        written = info.get(_WROTE)
        if written is not None and not self.read_by_something(written):
            return
        regions = sorted(self._regions_written(written, info.get(_REGIONS)))
        # the global row first, then the regions in order: two commits never wait on
        # each other's rows the other way round
        table = RegionEpoch.__table__
        if session.get_bind().dialect.name == "postgresql":
            # one round trip: the global UPDATE as a CTE the INSERT joins, so it runs (and
            # locks its row) before the first region row is written
            session.connection().execute(_bump_both(), {"regions": regions})
            return
        session.execute(update(ReadEpoch).where(ReadEpoch.id == 1).values(n=ReadEpoch.n + 1))
        stmt = sqlite.insert(table).values([{"region_id": r, "n": 1} for r in regions])
        # Core, on the session's connection: the ORM would take the rows for a bulk insert
        session.connection().execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.region_id], set_={"n": table.c.n + 1}
            )
        )

    # -- the epoch --------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every entry of this process (tests that empty tables behind the app)."""
        with self._lock:
            self._entries.clear()
            self._pages.clear()
            self._page_bytes = 0
            self._newest = {}

    def _advance(self, epochs: tuple[tuple[int, int], ...]) -> None:
        """Drop everything kept under epochs older than ``epochs`` (call with the lock
        held): a region's newer epoch drops what depends on that region only."""
        moved = {r: n for r, n in epochs if n > self._newest.get(r, -1)}
        if not moved:
            return
        had = bool(self._newest)
        self._newest.update(moved)
        if not had:
            return

        def stale(key: tuple[Any, ...]) -> bool:
            return any(moved.get(r, -1) > n for r, n in key[-1])

        for old in [k for k in self._entries if stale(k)]:
            del self._entries[old]
        for old in [k for k in self._pages if stale(k)]:
            self._page_bytes -= len(self._pages.pop(old)[1])

    def _outdated(self, epochs: tuple[tuple[int, int], ...]) -> bool:
        """Whether a newer epoch of one of ``epochs`` was seen (call with the lock held)."""
        return any(self._newest.get(r, -1) > n for r, n in epochs)

    def _epoch(self) -> tuple[tuple[int, int], ...] | None:
        """This request's epochs (those its region scope depends on), or None where the
        cache must not be used."""
        if self._session is None or not has_request_context():
            return None
        if request.method not in ("GET", "HEAD"):
            return None
        db_session = self._session()
        if db_session.info.get(_DIRTY) or db_session.new or db_session.dirty or db_session.deleted:
            return None
        scope = self._scope(db_session)
        epochs: Epochs | None = g.get("read_epoch")
        key = epochs.key(scope) if isinstance(epochs, Epochs) else None  # type: ignore[arg-type]
        if key is None:
            epochs = _read_epochs(db_session, scope)  # type: ignore[arg-type]
            g.read_epoch = epochs
            key = epochs.key(scope)  # type: ignore[arg-type]
        return key

    def active(self) -> bool:
        """Whether this request may use the cache (a clean GET with an epoch)."""
        return self._epoch() is not None

    # -- cached functions -------------------------------------------------------------------

    def cached(self, *, reads: Iterable[str]) -> Callable[[F], F]:
        """Reuse the function's (frozen) result for the same plain arguments and the same
        region scope until a commit wrote one of ``reads`` (or :attr:`ttl`); outside a
        clean GET request, call it every time (its result frozen all the same)."""
        tables = frozenset(reads)
        if not tables:
            raise ValueError("read cache: say which tables the function reads")

        def decorate(fn: F) -> F:
            name = f"{fn.__module__}.{fn.__qualname__}"
            self.reads[name] = tables

            checked: list[bool] = []

            @wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if not checked:  # the models are all imported by the first call
                    unknown = tables - set(Base.metadata.tables) - {EVERY_TABLE}
                    if unknown:
                        raise RuntimeError(f"read cache: {name} reads unknown {unknown}")
                    checked.append(True)
                for value in (*args, *kwargs.values()):
                    check_plain(value)
                epoch = self._epoch()
                if epoch is None:
                    return freeze(fn(*args, **kwargs))
                assert self._session is not None
                scope = self._scope(self._session())
                key = (name, scope, args, tuple(sorted(kwargs.items())), epoch)
                now = time.monotonic()
                with self._lock:
                    self._advance(epoch)
                    at, value = self._entries.get(key, (0.0, _MISSING))
                    if value is not _MISSING and now - at < self.ttl:
                        self._entries.move_to_end(key)
                        return value
                value = freeze(fn(*args, **kwargs))
                with self._lock:
                    self._entries[key] = (now, value)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
                return value

            return wrapper  # type: ignore[return-value]

        return decorate

    # -- kept pages -------------------------------------------------------------------------

    def _page_key(self) -> tuple[Any, ...] | None:
        """What a rendered staff page depends on, or None where it is rendered afresh."""
        identity = g.get("identity")
        if identity is None or "_flashes" in session:
            return None
        epoch = self._epoch()
        if epoch is None:
            return None
        assert self._session is not None
        return (
            id(current_app._get_current_object()),  # type: ignore[attr-defined]
            request.host,
            request.full_path,
            identity.id,
            identity.name,
            identity.roles,
            # the page's language: the profile's choice, else the browser's (issue 23)
            identity.locale,
            request.headers.get("Accept-Language"),
            self._scope(self._session()),
            session.get("csrf_token"),
            epoch,
        )

    def page(self, view: F) -> F:
        """Serve the page ``view`` rendered for this staff member, URL and session under
        the current epoch (and :attr:`ttl`) again; put it under the role check, so access
        is decided on every request. Only a plain 200 that left the session as it was is
        kept. Pages read every table but :data:`PAGES_DO_NOT_READ`."""
        return self._kept(view, None)

    def page_also_keyed(self, also: Callable[..., Hashable]) -> Callable[[F], F]:
        """:meth:`page` for a page that also shows rows of a table the epochs do not follow
        (:data:`PAGES_DO_NOT_READ`: the outbox moves with every email sent): ``also``,
        called with the view's arguments on every request, returns what the page shows of
        it in brief (a count and the newest change, say: one cheap statement), and the
        kept copy is served only while that answer is the same. The page's view carries
        it as ``summit_page_also``: the sign-in may fetch it in its own round trip."""

        def decorate(view: F) -> F:
            return self._kept(view, also)

        return decorate

    def _kept(self, view: F, also: Callable[..., Hashable] | None) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = self._page_key()
            if key is None:
                return view(*args, **kwargs)
            if also is not None:
                key = (also(*args, **kwargs), *key)  # the epochs stay last
            now = time.monotonic()
            with self._lock:
                self._advance(key[-1])
                kept = self._pages.get(key)
                if kept is not None and now - kept[0] < self.ttl:
                    self._pages.move_to_end(key)
                    _, body, status, headers = kept
                    return current_app.response_class(body, status=status, headers=headers)
            response: Response = current_app.make_response(view(*args, **kwargs))
            if (
                response.status_code != 200
                or response.is_streamed
                or response.direct_passthrough
                or session.modified
                or "Set-Cookie" in response.headers
                or self._epoch() is None  # the view wrote (a GET should not): not kept
            ):
                return response
            body = response.get_data()
            if len(body) * 4 > self.max_page_bytes:
                return response
            headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
            with self._lock:
                if not self._outdated(key[-1]):  # not kept if a newer epoch was seen meanwhile
                    old = self._pages.pop(key, None)
                    if old is not None:
                        self._page_bytes -= len(old[1])
                    self._pages[key] = (now, body, response.status_code, headers)
                    self._page_bytes += len(body)
                    while self._page_bytes > self.max_page_bytes:
                        _, (_, dropped, _, _) = self._pages.popitem(last=False)
                        self._page_bytes -= len(dropped)
            return response

        # the auth layer may fetch a prepared ``also`` in the sign-in's round trip
        wrapper.summit_page_also = also  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]


@cache
def _bump_both() -> Insert:
    """PostgreSQL: the global epoch and the epochs of ``regions`` (an array parameter, in
    order) moved by one statement."""
    table = RegionEpoch.__table__
    bumped = (
        update(ReadEpoch)
        .where(ReadEpoch.id == 1)
        .values(n=ReadEpoch.n + 1)
        .returning(ReadEpoch.id)
        .cte("bumped")
    )
    given = (
        func.unnest(bindparam("regions", type_=postgresql.ARRAY(Integer)))
        .table_valued("region_id")
        .render_derived()
    )
    rows = (
        select(given.c.region_id, literal(1, BigInteger))
        .select_from(given.outerjoin(bumped, true()))
        .order_by(given.c.region_id)
    )
    stmt = postgresql.insert(table).from_select(["region_id", "n"], rows).add_cte(bumped)
    return stmt.on_conflict_do_update(index_elements=[table.c.region_id], set_={"n": table.c.n + 1})


#: the one read cache of the process (registered by the factory)
read_cache = ReadCache()


# -- what a transaction wrote: from the statement's construct, not its SQL text -----------


def _transaction_began(conn: Connection) -> None:
    conn.info[_WROTE] = set()
    conn.info[_REGIONS] = {}
    conn.info[_ASKED] = 0


def _statement(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    compiled = getattr(context, "compiled", None)
    construct = getattr(compiled, "statement", None)
    if isinstance(construct, Select):
        return
    declared = getattr(context, "execution_options", {}).get(REGIONS_OPTION)
    if isinstance(construct, UpdateBase):
        table = getattr(construct, "table", None)
        name = getattr(table, "name", None)
        conn.info.setdefault(_WROTE, {EVERY_TABLE}).add(name or EVERY_TABLE)
        regions = _regions_of(conn, name or EVERY_TABLE)
        if declared is not None:
            regions.update(declared)
        elif not _flush_statement(conn, context):  # a flush's rows are told by _flushed_object
            regions.update(_inserted_regions(construct, context))
        return
    # text(), driver SQL, DDL: only the verb can be told; anything but a read is "every table"
    if statement.lstrip()[:9].upper().startswith(_READ_VERBS):
        return
    conn.info.setdefault(_WROTE, {EVERY_TABLE}).add(EVERY_TABLE)
    _regions_of(conn, EVERY_TABLE).update(declared if declared is not None else (EVERY_REGION,))


def note_write(conn: Connection, table: str, region_ids: Iterable[int | None]) -> None:
    """A write the statement hooks cannot see (a COPY through the driver's cursor):
    ``table``, in ``region_ids`` (None: a row without a region, i.e. every region)."""
    conn.info.setdefault(_WROTE, {EVERY_TABLE}).add(table)
    _regions_of(conn, table).update(EVERY_REGION if r is None else r for r in region_ids)


def _regions_of(conn: Connection, table: str) -> set[int]:
    """The regions written so far in ``table`` by this connection's transaction."""
    by_table = conn.info.get(_REGIONS)
    if by_table is None:  # a transaction that began before the cache listened: unknown
        by_table = conn.info[_REGIONS] = {EVERY_TABLE: {EVERY_REGION}}
        conn.info.setdefault(_WROTE, set()).add(EVERY_TABLE)
    return by_table.setdefault(table, set())


#: the mappers' statement caches: the unit of work (and only it, with the ORM's bulk
#: statements, which :func:`_wrote_in_bulk` marks) runs its statements with one
_flush_caches: dict[int, Any] = {}


def _flush_statement(conn: Connection, context: Any) -> bool:
    if conn.info.get(_BULK):
        return False
    options = getattr(context, "execution_options", {})
    cache = options.get("compiled_cache")
    if cache is None:
        return False
    if not _flush_caches:
        for mapper in Base.registry.mappers:
            found = mapper.base_mapper._compiled_cache
            _flush_caches[id(found)] = found
    return id(cache) in _flush_caches


def _inserted_regions(construct: Any, context: Any) -> set[int]:
    """The regions of an INSERT whose every row gives its ``region_id`` (single rows or
    executemany), else "every region" (``INSERT … SELECT``, an UPDATE or DELETE that
    declares nothing, a table without a region)."""
    table = getattr(construct, "table", None)
    if (
        not isinstance(construct, Insert)
        or construct.select is not None
        or construct._multi_values
        or table is None
        or "region_id" not in table.c
        or table.name == "region"
    ):
        return {EVERY_REGION}
    rows = getattr(context, "compiled_parameters", None) or []
    found = {row.get("region_id") for row in rows}
    if not rows or not all(isinstance(r, int) and not isinstance(r, bool) for r in found):
        return {EVERY_REGION}
    return found


def _wrote(session: Session, flush_context: Any) -> None:
    session.info[_DIRTY] = True


def _wrote_in_bulk(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    state.session.info[_DIRTY] = True
    # the ORM's bulk statements (a list of rows, or of primary keys and values) run with
    # the flush's statement cache but without its object events: while one runs, no
    # statement counts as a flush's (a flush inside it is then told by its statements)
    info = state.session.connection().info
    info[_BULK] = info.get(_BULK, 0) + 1
    try:
        return state.invoke_statement()
    finally:
        info[_BULK] -= 1


def _clean(session: Session, *args: Any) -> None:
    if session.in_nested_transaction():  # a savepoint's end: the transaction still wrote
        return
    session.info.pop(_DIRTY, None)


def _flushed_object(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    """A flush writes ``target``: its region (old and new), or every region."""
    regions = _regions_of(connection, mapper.local_table.name)
    if "region_id" not in mapper.columns or mapper.local_table.name == "region":
        regions.add(EVERY_REGION)
        return
    state = inspect(target)
    history = get_history(target, "region_id", passive=PASSIVE_NO_INITIALIZE)
    values = {*history.unchanged, *history.added, *history.deleted}
    if state.identity is not None and not history.unchanged and not history.deleted:
        # a stored row whose region was not loaded (expired since, or set without loading
        # the old one): ask the row, still as it was (SQL on the flush's connection is
        # allowed), a few times a transaction; past that, every region
        asked = connection.info[_ASKED] = connection.info.get(_ASKED, 0) + 1
        if asked > MAX_REGION_LOOKUPS:
            regions.add(EVERY_REGION)
            return
        table = mapper.local_table
        key = [col == value for col, value in zip(mapper.primary_key, state.identity, strict=True)]
        values.add(connection.execute(select(table.c.region_id).where(*key)).scalar())
    for value in values or {None}:
        regions.add(EVERY_REGION if value is None else int(value))


def _read_epochs(session: Session, scope: tuple[int, ...] | None) -> Epochs:
    """Read the epochs ``scope`` depends on (one statement)."""
    wanted = (EVERY_REGION, *(scope or ()))
    rows = session.execute(
        select(RegionEpoch.region_id, RegionEpoch.n, epoch_column()).where(
            RegionEpoch.region_id.in_(wanted)
        )
    ).all()
    found = {r: n for r, n, _ in rows}
    n = rows[0][2] if rows else session.execute(epoch_column().select()).scalar()
    return Epochs(n, found.pop(EVERY_REGION, 0), {r: found.get(r, 0) for r in scope or ()})


# -- the identity statement reads the epochs in the same round trip (app.auth.access) -----


def epoch_column() -> Any:
    """The global epoch as a column, for a statement every request runs anyway."""
    return select(ReadEpoch.n).where(ReadEpoch.id == 1).scalar_subquery()


def every_region_epoch_column() -> Any:
    """The "every region" epoch as a column (same statement)."""
    return select(RegionEpoch.n).where(RegionEpoch.region_id == EVERY_REGION).scalar_subquery()


def region_epoch_column(region_id: Any) -> Any:
    """The epoch of the region in column ``region_id`` (a role's region), as a column."""
    return select(RegionEpoch.n).where(RegionEpoch.region_id == region_id).scalar_subquery()


def note_epoch(
    n: int | None, every: int | None = None, regions: dict[int, int | None] | None = None
) -> None:
    """Keep the epochs read by that statement for this request (a region missing from
    ``regions`` is read when a scope needs it)."""
    g.read_epoch = Epochs(n, every, {r: v or 0 for r, v in (regions or {}).items()})


def clear() -> None:
    """Forget every entry of this process (tests that empty tables behind the app's back)."""
    read_cache.clear()


def active() -> bool:
    """Whether this request may use the cache (a clean GET with an epoch)."""
    return read_cache.active()


#: the page decorator under the name the route modules import
cached_page = read_cache.page
