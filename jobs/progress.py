"""Progress jobs."""

from __future__ import annotations

from app.extensions import db
from app.progress.importing import mark_failed, mark_running
from app.progress.importing import run_import as run
from jobs.runtime import job_context


def run_import(import_id: int) -> None:
    """Import one uploaded progress file (queue ``imports``).

    The running status is committed first, in its own short transaction: the import's
    long transaction then never holds the row its progress reporter writes from a
    second connection. An unexpected error ends the import ``failed`` with the reason
    (its file kept, so the import page offers a retry) and is raised again for RQ.
    """

    with job_context():
        if not mark_running(import_id=import_id):
            return
    try:
        with job_context():
            run(import_id=import_id)
    except Exception as exc:
        with job_context():
            db.session.rollback()
            mark_failed(import_id=import_id, reason=f"{type(exc).__name__}: {exc}")
        raise
