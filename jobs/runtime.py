"""The app context jobs run in, progress reporting, and a logger that names the job."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import get_current_job

from app.extensions import db


class NoAppContext(RuntimeError):
    """A job ran outside an app context: Summit runs jobs in ``summit worker`` (whose forked
    children keep its context), inline under the app that queued them, or in a command."""


@contextmanager
def job_context() -> Iterator[Flask]:
    """Run a job inside an app context, committing on success and rolling back on error."""

    if not has_app_context():
        raise NoAppContext("run jobs with `summit worker` (the app's context is needed)")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        yield app
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def current_job() -> Any:
    """The RQ job being run, or None (inline or called directly)."""

    return get_current_job()


def report_progress(done: int, total: int | None = None, **extra: Any) -> None:
    """Store progress in the job's meta (``job.meta["progress"]``) for a progress bar."""
    job = current_job()
    if job is None:
        return
    job.meta["progress"] = {"done": done, "total": total, **extra}
    job.save_meta()


def job_logger(name: str) -> logging.LoggerAdapter[logging.Logger]:
    """A logger whose lines carry the current job id: ``[job <id>] message``."""

    class _Adapter(logging.LoggerAdapter[logging.Logger]):
        def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
            job = current_job()
            return (f"[job {job.id}] {msg}" if job is not None else msg), kwargs

    return _Adapter(logging.getLogger(name), {})
