"""One place commits: the request is the unit of work.

The factory wraps every view of the app in :func:`commit_on_return`
(``register_transaction`` in ``app/__init__.py``, after the blueprints are registered),
so no view can forget it and none writes ``commit()`` itself:

- the view **returns** (a page, a redirect, a form shown again): the request's
  transaction commits, once, after the view. A GET (HEAD, OPTIONS) never changes state,
  so it never commits, except in a view marked :func:`writes_on_get` (the sign-in
  callback, where the identity provider sends the browser back with a GET);
- anything **escapes** the view (``abort``, ``LinkInvalid`` / ``LinkExpired``, a domain
  error left to an error handler, a bug): nothing is committed, and the session is rolled
  back when the app context ends (Flask-SQLAlchemy's teardown);
- a view that turns a domain error into an answer of its own (a flash and a redirect, the
  form shown again with the reason) calls :func:`refuse` or :func:`rollback` first: what
  the service flushed before refusing is undone, and the commit after the view has
  nothing to write. Nothing is ever half-applied.

Services flush, never commit; the CLI commands and the job wrappers own their own
commits. Jobs queued with :func:`app.tasks.enqueue_after_commit` reach RQ from an
``after_commit`` listener, so only after this commit, and a rollback drops them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, flash, g, redirect, request
from werkzeug.wrappers import Response

from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
_ROLLED_BACK = "summit_rolled_back"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_get(view: F) -> F:
    """Mark the rare view that must keep what it writes on a GET (a protocol's redirect)."""
    view.summit_writes_on_get = True  # type: ignore[attr-defined]
    return view


def commit_on_return(view: F) -> F:
    """Commit the request's transaction when ``view`` returns (unless it rolled back)."""
    if getattr(view, "summit_commits", False):
        return view
    on_get = getattr(view, "summit_writes_on_get", False)

    @wraps(view)
    def committing(*args: Any, **kwargs: Any) -> Any:
        g.pop(_ROLLED_BACK, None)
        result = view(*args, **kwargs)
        rolled_back = g.pop(_ROLLED_BACK, False)
        if not rolled_back and (on_get or request.method not in SAFE_METHODS):
            db.session.commit()
        return result

    committing.summit_commits = True  # type: ignore[attr-defined]
    return committing  # type: ignore[return-value]


def rollback() -> None:
    """Undo what this request flushed so far; the commit after the view writes nothing
    (unless the view changes something again afterwards, on purpose)."""
    db.session.rollback()
    g.setdefault(_ROLLED_BACK, True)


def refuse(message: str, to: str, *, code: int = 302, category: str = "error") -> Response:
    """The answer to a refused change: roll back, flash why, go back to ``to``."""
    rollback()
    flash(message, category)
    return redirect(to, code=code)


def flash_refusals(
    bp: Any,
    *errors: type[Exception],
    back: Callable[[], str],
    message: Callable[[Exception], str] = str,
    code: int = 302,
) -> None:
    """Answer ``errors`` raised by any view of blueprint ``bp`` with :func:`refuse`: the
    change is rolled back, the reason flashed (``message(exc)``), and the browser sent to
    ``back()`` (computed from the request's URL values). One handler instead of a
    try/rollback/flash/redirect block in every view."""

    def handler(exc: Exception) -> Response:
        return refuse(message(exc), back(), code=code)

    for error in errors:
        bp.register_error_handler(error, handler)


def init_app(app: Flask) -> None:
    """Wrap every view registered so far (call after the blueprints are registered)."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = commit_on_return(view)
