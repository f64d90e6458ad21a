"""The app context jobs run in: the worker's own, or a fresh one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def worker_app() -> Flask:
    """The app a job uses when no app context is active (one per worker process)."""
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


@contextmanager
def job_context() -> Iterator[Flask]:
    """Run a job inside an app context, committing on success and rolling back on error."""
    from app.extensions import db

    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            yield app
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return
    app = worker_app()
    with app.app_context():
        try:
            yield app
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
