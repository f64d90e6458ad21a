"""Progress jobs."""

from __future__ import annotations

from jobs.runtime import job_context


def run_import(import_id: int) -> None:
    """Import one uploaded progress file (queue ``imports``)."""
    from app.progress.importing import run_import as run

    with job_context():
        run(import_id=import_id)
