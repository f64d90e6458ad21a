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
  models' metadata on first use). A commit moves the shared epoch (``read_epoch.n``,
  in its own transaction, so new rows and the new epoch become visible together) when
  it wrote a table something cached reads; a statement whose table cannot be known from
  its SQLAlchemy construct (``text()``, driver SQL, DDL) counts as writing every table.
  Entries are keyed by that epoch, so nothing outlives a relevant commit anywhere (web,
  job or CLI); a session with unflushed or uncommitted writes of its own never reads or
  fills the cache; entries also expire after :attr:`ReadCache.ttl` seconds (figures that
  move with the clock, writes made outside the application).

:meth:`ReadCache.page` keeps the five staff pages opened most whole, under the same
epoch, per staff member and roles, URL and session (its CSRF token is in the forms);
sign-in, region scope and the role check run before a kept page is served.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request, session
from sqlalchemy import BigInteger, Select, event, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.sql.dml import UpdateBase

from app.db import Base
from app.frozen import check_plain, freeze

F = TypeVar("F", bound=Callable[..., Any])
_DIRTY = "read_cache_dirty"
_WROTE = "read_cache_wrote"
_MISSING = object()
#: "every table": what a statement writes when its construct does not say
EVERY_TABLE = "*"
#: the tables the kept pages do not read: the mail outbox and the scheduler's run guard,
#: the most frequent writers (a page reads everything else)
PAGES_DO_NOT_READ = frozenset({"outbound_email", "scheduled_run"})
#: statements that change no row, when only the SQL text is known (``text()``)
_READ_VERBS = ("SELECT", "SHOW", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ", "BEGIN")


class ReadEpoch(Base):
    """One row: the number of commits so far (figures cached under an older one are stale)."""

    __tablename__ = "read_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


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
        #: the newest epoch seen: entries of older ones are dropped (they may hold names a
        #: commit has since erased)
        self._newest = 0
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

    def read_by_something(self, tables: set[str]) -> bool:
        """Whether a commit that wrote ``tables`` may change something cached."""
        if EVERY_TABLE in tables or tables - PAGES_DO_NOT_READ:
            return True
        return any(tables & reads for reads in self.reads.values())

    def _bump(self, session: Session) -> None:
        """A commit that wrote a table something cached reads moves the epoch; a read-only
        one (a scheduler tick that found nothing to do) leaves every entry valid."""
        if not session.in_transaction():
            return
        session.flush()  # the epoch row is locked only from here to the commit
        written = session.connection().info.get(_WROTE)
        if written is not None and not self.read_by_something(written):
            return
        session.execute(update(ReadEpoch).where(ReadEpoch.id == 1).values(n=ReadEpoch.n + 1))

    # -- the epoch --------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every entry of this process (tests that empty tables behind the app)."""
        with self._lock:
            self._entries.clear()
            self._pages.clear()
            self._page_bytes = 0
            self._newest = 0

    def _advance(self, epoch: int) -> None:
        """Drop everything kept under older epochs (call with the lock held)."""
        if epoch > self._newest:
            self._entries.clear()
            self._pages.clear()
            self._page_bytes = 0
            self._newest = epoch

    def _epoch(self) -> int | None:
        """This request's epoch, or None where the cache must not be used."""
        if self._session is None or not has_request_context():
            return None
        if request.method not in ("GET", "HEAD"):
            return None
        db_session = self._session()
        if db_session.info.get(_DIRTY) or db_session.new or db_session.dirty or db_session.deleted:
            return None
        if "read_epoch" not in g:
            g.read_epoch = db_session.execute(select(ReadEpoch.n).where(ReadEpoch.id == 1)).scalar()
        return g.read_epoch

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

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = self._page_key()
            if key is None:
                return view(*args, **kwargs)
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
                if key[-1] == self._newest:  # not kept if a newer epoch was seen meanwhile
                    old = self._pages.pop(key, None)
                    if old is not None:
                        self._page_bytes -= len(old[1])
                    self._pages[key] = (now, body, response.status_code, headers)
                    self._page_bytes += len(body)
                    while self._page_bytes > self.max_page_bytes:
                        _, (_, dropped, _, _) = self._pages.popitem(last=False)
                        self._page_bytes -= len(dropped)
            return response

        return wrapper  # type: ignore[return-value]


#: the one read cache of the process (registered by the factory)
read_cache = ReadCache()


# -- what a transaction wrote: from the statement's construct, not its SQL text -----------


def _transaction_began(conn: Connection) -> None:
    conn.info[_WROTE] = set()


def _statement(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    compiled = getattr(context, "compiled", None)
    construct = getattr(compiled, "statement", None)
    if isinstance(construct, Select):
        return
    if isinstance(construct, UpdateBase):
        table = getattr(construct, "table", None)
        name = getattr(table, "name", None)
        conn.info.setdefault(_WROTE, {EVERY_TABLE}).add(name or EVERY_TABLE)
        return
    # text(), driver SQL, DDL: only the verb can be told; anything but a read is "every table"
    if statement.lstrip()[:9].upper().startswith(_READ_VERBS):
        return
    conn.info.setdefault(_WROTE, {EVERY_TABLE}).add(EVERY_TABLE)


def _wrote(session: Session, flush_context: Any) -> None:
    session.info[_DIRTY] = True


def _wrote_in_bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_DIRTY] = True


def _clean(session: Session, *args: Any) -> None:
    session.info.pop(_DIRTY, None)


# -- the identity statement reads the epoch in the same round trip (app.auth.access) ------


def epoch_column() -> Any:
    """The epoch as a column, for a statement every request runs anyway (the identity)."""
    return select(ReadEpoch.n).where(ReadEpoch.id == 1).scalar_subquery()


def note_epoch(value: int | None) -> None:
    """Keep the epoch read by that statement for this request."""
    g.read_epoch = value


def clear() -> None:
    """Forget every entry of this process (tests that empty tables behind the app's back)."""
    read_cache.clear()


def active() -> bool:
    """Whether this request may use the cache (a clean GET with an epoch)."""
    return read_cache.active()


#: the page decorator under the name the route modules import
cached_page = read_cache.page
