"""Dashboard figures and staff pages memoised per process until the next commit, anywhere.

The pages staff open most count thousands of learners per view (funnels, trends, the
approval and review figures). Those counts only change when something commits, so a
GET request may reuse what an earlier request of this process counted, as long as no
commit happened since:

- every Session commit that wrote (ORM flush, Core or text() DML) first bumps
  ``read_epoch.n`` in its own transaction, so new
  figures and the new epoch become visible together (no window where a reader sees the
  new epoch with old rows, or caches old rows under a new epoch);
- a GET request reads the epoch once (first use), and :func:`memoised` functions are
  keyed by their arguments and that epoch; a session with unflushed or uncommitted
  writes of its own never reads or fills the cache;
- entries also expire after :data:`TTL` seconds: figures that move with the clock (the
  age of a pending request) and writes that bypass the application (psql) show within it.

Region scoping is unchanged: the memoised functions take the region or rollout a view
has already loaded through :mod:`app.scoping`, and are computed under the same scope.

:func:`cached_page` goes one step further for the staff pages opened most (overview,
dashboard, approval list, review, archive): the rendered page is kept under the same
epoch, for the same signed-in staff member with the same roles, the same URL and the
same session (its CSRF token is in the page's forms). Sign-in, region scoping and the
role check still run on every request before a kept page is served; a request with a
flashed message waiting, or whose rendering changed the session, is never kept.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, has_request_context, request, session
from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.db import Base

F = TypeVar("F", bound=Callable[..., Any])
#: seconds an entry is reused at most, commits aside
TTL = 60.0
#: entries kept per process (least recently used go first)
MAX_ENTRIES = 2048
_DIRTY = "read_cache_dirty"
_MISSING = object()

#: bytes of rendered pages kept per process (least recently used go first)
MAX_PAGE_BYTES = 32 * 1024 * 1024

_entries: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
#: rendered pages: key -> (time kept, body, status, headers)
_pages: OrderedDict[tuple[Any, ...], tuple[float, bytes, int, list[tuple[str, str]]]] = (
    OrderedDict()
)
_page_bytes = [0]
_lock = threading.Lock()
#: the newest epoch this process has seen: entries of older ones are dropped, not kept
#: until evicted (they may hold names a commit has since erased)
_newest = [0]


class ReadEpoch(Base):
    """One row: the number of commits so far (figures cached under an older one are stale)."""

    __tablename__ = "read_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


#: statements that change no row (anything else counts as a write, the safe direction)
_READS = ("SELECT", "SHOW", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ", "BEGIN")
#: the table a plain DML statement writes; any other statement counts as writing "*"
_DML = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)
#: tables no cached figure reads: a commit that writes only these (mail delivery, the
#: scheduler's run guard: the most frequent writers) keeps every cached figure
UNCACHED_TABLES = frozenset({"outbound_email", "scheduled_run"})
_WROTE = "read_cache_wrote"


@event.listens_for(Engine, "begin")
def _transaction_began(conn: Connection) -> None:
    conn.info[_WROTE] = set()


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    # ORM flushes, Core and text() statements alike: a raw INSERT … SELECT of an import
    # or a term close is a write the session's own bookkeeping never sees
    if statement.lstrip()[:9].upper().startswith(_READS):
        return
    match = _DML.match(statement)
    table = match.group(1).rsplit(".", 1)[-1].lower() if match else "*"
    conn.info.setdefault(_WROTE, {"*"}).add(table)


def _transaction_wrote(session: Session) -> bool:
    """Whether this transaction wrote a table a cached figure may read."""
    written = session.connection().info.get(_WROTE)
    return written is None or bool(written - UNCACHED_TABLES)


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    """A commit that wrote something moves the epoch; a read-only one (a scheduler tick
    that found nothing to do, a page that only read) leaves every cached figure valid."""
    if not session.in_transaction():
        return
    session.flush()  # the epoch row is locked only from here to the commit
    if not _transaction_wrote(session):
        return
    session.execute(update(ReadEpoch).where(ReadEpoch.id == 1).values(n=ReadEpoch.n + 1))


@event.listens_for(Session, "after_flush")
def _wrote(session: Session, flush_context: Any) -> None:
    session.info[_DIRTY] = True


@event.listens_for(Session, "do_orm_execute")
def _wrote_in_bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _clean(session: Session, *args: Any) -> None:
    session.info.pop(_DIRTY, None)


def clear() -> None:
    """Forget every entry of this process (tests that empty tables behind the app's back)."""
    with _lock:
        _entries.clear()
        _pages.clear()
        _page_bytes[0] = 0
        _newest[0] = 0


def _advance(epoch: int) -> None:
    """Drop everything kept under older epochs (call with the lock held)."""
    if epoch > _newest[0]:
        _entries.clear()
        _pages.clear()
        _page_bytes[0] = 0
        _newest[0] = epoch


def epoch_column() -> Any:
    """The epoch as a column, for a statement every request runs anyway (the identity)."""
    return select(ReadEpoch.n).where(ReadEpoch.id == 1).scalar_subquery()


def note_epoch(value: int | None) -> None:
    """Keep the epoch read by that statement for this request."""
    g.read_epoch = value


def _epoch() -> int | None:
    """This request's epoch, or None where the cache must not be used."""
    from app.extensions import db

    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    session = db.session()
    if session.info.get(_DIRTY) or session.new or session.dirty or session.deleted:
        return None
    if "read_epoch" not in g:
        g.read_epoch = session.execute(select(ReadEpoch.n).where(ReadEpoch.id == 1)).scalar()
    return g.read_epoch


def active() -> bool:
    """Whether this request may use the cache (a clean GET with an epoch)."""
    return _epoch() is not None


def memoised(fn: F) -> F:
    """Reuse ``fn``'s result for the same (hashable) arguments until the next commit or
    :data:`TTL`; outside a clean GET request, call it every time."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        epoch = _epoch()
        if epoch is None:
            return fn(*args, **kwargs)
        key = (fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())), epoch)
        now = time.monotonic()
        with _lock:
            _advance(epoch)
            at, value = _entries.get(key, (0.0, _MISSING))
            if value is not _MISSING and now - at < TTL:
                _entries.move_to_end(key)
                return value
        value = fn(*args, **kwargs)
        with _lock:
            _entries[key] = (now, value)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return value

    return wrapper  # type: ignore[return-value]


def _page_key() -> tuple[Any, ...] | None:
    """What a rendered staff page depends on, or None where it must be rendered afresh."""
    identity = g.get("identity")
    if identity is None or "_flashes" in session:
        return None
    epoch = _epoch()
    if epoch is None:
        return None
    return (
        id(current_app._get_current_object()),  # type: ignore[attr-defined]
        request.host,
        request.full_path,
        identity.id,
        identity.name,
        identity.roles,
        session.get("csrf_token"),
        epoch,
    )


def cached_page(view: F) -> F:
    """Serve the page ``view`` rendered for this staff member, URL and session under the
    current epoch (and :data:`TTL`) again; put it under the role check, so access is
    decided on every request. Only a plain 200 that left the session as it was is kept."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _page_key()
        if key is None:
            return view(*args, **kwargs)
        now = time.monotonic()
        with _lock:
            _advance(key[-1])
            kept = _pages.get(key)
            if kept is not None and now - kept[0] < TTL:
                _pages.move_to_end(key)
                _, body, status, headers = kept
                return current_app.response_class(body, status=status, headers=headers)
        response: Response = current_app.make_response(view(*args, **kwargs))
        if (
            response.status_code != 200
            or response.is_streamed
            or response.direct_passthrough
            or session.modified
            or "Set-Cookie" in response.headers
            or _epoch() is None  # the view wrote (a GET should not): not kept
        ):
            return response
        body = response.get_data()
        if len(body) * 4 > MAX_PAGE_BYTES:
            return response
        headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
        with _lock:
            if key[-1] == _newest[0]:  # not kept if a newer epoch was seen meanwhile
                old = _pages.pop(key, None)
                if old is not None:
                    _page_bytes[0] -= len(old[1])
                _pages[key] = (now, body, response.status_code, headers)
                _page_bytes[0] += len(body)
                while _page_bytes[0] > MAX_PAGE_BYTES:
                    _, (_, dropped, _, _) = _pages.popitem(last=False)
                    _page_bytes[0] -= len(dropped)
        return response

    return wrapper  # type: ignore[return-value]
