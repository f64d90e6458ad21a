"""Entra ID jobs (queue "imports")."""

from __future__ import annotations

import logging

from flask import current_app

from app.auth.directory import import_directory as run_import
from app.auth.directory import mark_failed
from app.auth.models import DirectoryImport
from app.extensions import db
from app.microsoft.graph import GraphClient
from jobs.runtime import job_context

log = logging.getLogger(__name__)


def import_directory(run_id: int) -> None:
    """Run one directory import; commits after every page so its progress shows."""

    with job_context():
        run = db.session.get(DirectoryImport, run_id)
        if run is None:
            log.warning("directory import %s: no such run", run_id)
            return
        settings = current_app.extensions["summit.settings"]
        client = GraphClient(settings)
        try:
            run_import(run=run, settings=settings, client=client, on_page=db.session.commit)
        except Exception as exc:
            db.session.rollback()
            run = db.session.get(DirectoryImport, run_id)
            if run is not None:
                mark_failed(run=run, error=f"{type(exc).__name__}: {exc}")
                db.session.commit()
            log.exception("directory import %s failed", run_id)
            raise
        finally:
            client.close()
