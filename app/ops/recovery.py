"""The database is the source of truth for work: put back what Redis lost.

Every scheduler tick looks, in the database, for work that should be queued or
running and asks Redis whether its job still exists: a recurring run not done, a
progress import queued or running, a roster import queued or applying. Work whose
job has been missing for ``GRACE`` (Redis restarted empty, a worker killed before
RQ noticed) is enqueued again under its deterministic job id; an import whose
uploaded file is gone, or whose job was lost ``MAX_RECOVERIES`` times, ends
``failed`` with the reason (the ops page offers a retry). Nothing is enqueued
while Redis cannot be reached: the next tick tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from redis import Redis
from rq.job import Job
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.progress.importing import IMPORT_JOB, mark_failed
from app.progress.models import ImportStatus, ProgressImport
from app.progress.models import ImportStatus as ProgressStatus
from app.rollouts.models import ImportStatus as RosterStatus
from app.rollouts.models import RosterImport
from app.tasks import PendingJob, enqueue_after_commit, enqueue_now

log = logging.getLogger(__name__)

#: a job missing this long is lost (not merely about to be enqueued after a commit)
GRACE = timedelta(seconds=20)
#: an import whose job was lost this many times ends failed instead
MAX_RECOVERIES = 3
#: runs older than this are not enqueued again (their slot has long passed)
RUN_WINDOW = timedelta(hours=24)
#: RQ statuses of a job that is still going to run, or running
LIVE = {"queued", "started", "deferred", "scheduled"}
_MISSING = "summit:recovery:missing:"
_COUNT = "summit:recovery:count:"


@dataclass
class Recovered:
    runs: int = 0
    imports: int = 0
    failed: int = 0


def job_statuses(connection: Redis, job_ids: Iterable[str]) -> dict[str, str | None]:
    """RQ's status of each job id (None: Redis has no such job)."""

    ids = list(job_ids)
    if not ids:
        return {}
    jobs = Job.fetch_many(ids, connection=connection)
    return {
        job_id: (job.get_status(refresh=False).value if job is not None else None)
        for job_id, job in zip(ids, jobs, strict=True)
    }


def lost(connection: Redis, job_id: str, now: datetime) -> bool:
    """True once ``job_id`` has been seen missing for GRACE (the first sighting is noted)."""
    key = _MISSING + job_id
    connection.set(key, now.timestamp(), nx=True, ex=3600)
    first = float(connection.get(key) or now.timestamp())
    return now.timestamp() - first >= GRACE.total_seconds()


def _found(connection: Redis, job_id: str) -> None:
    connection.delete(_MISSING + job_id)


def _count_recovery(connection: Redis, job_id: str) -> int:
    connection.delete(_MISSING + job_id)
    count = int(connection.incr(_COUNT + job_id))
    connection.expire(_COUNT + job_id, 86400)
    return count


def recover_imports(connection: Redis, now: datetime | None = None) -> Recovered:
    """Enqueue again (or end failed) the progress and roster imports whose job is lost.
    Commits after each import it changes."""
    now = now or utcnow()
    done = Recovered()
    _progress_imports(connection, now, done)
    _roster_imports(connection, now, done)
    return done


def _progress_imports(connection: Redis, now: datetime, done: Recovered) -> None:

    rows = db.session.execute(
        select(ProgressImport.id, ProgressImport.stored_path).where(
            ProgressImport.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING])
        )
    ).all()
    db.session.commit()
    statuses = job_statuses(connection, [f"progress-import-{i}" for i, _ in rows])
    for import_id, path in rows:
        job_id = f"progress-import-{import_id}"
        if statuses[job_id] in LIVE:
            _found(connection, job_id)
            continue
        if statuses[job_id] is not None and statuses[job_id] != "failed":
            continue  # finished or stopped: the job recorded its own outcome
        if statuses[job_id] is None and not lost(connection, job_id, now):
            continue
        reason = _why_not_again(connection, job_id, path)
        if reason:
            mark_failed(import_id=import_id, reason=reason)
            db.session.commit()
            done.failed += 1
            continue
        enqueue_now(
            PendingJob(
                func=IMPORT_JOB,
                args=(import_id,),
                queue="imports",
                job_id=job_id,
                options={"job_timeout": 3600},
            )
        )
        done.imports += 1
        log.warning("progress import %s: its job was lost; enqueued again", import_id)


def _roster_imports(connection: Redis, now: datetime, done: Recovered) -> None:
    rows = db.session.execute(
        select(RosterImport.id, RosterImport.status, RosterImport.stored_path).where(
            RosterImport.status.in_([RosterStatus.QUEUED, RosterStatus.APPLYING])
        )
    ).all()
    db.session.commit()
    ids = {
        i: (f"roster-apply-{i}" if status is RosterStatus.APPLYING else f"roster-preview-{i}")
        for i, status, _ in rows
    }
    statuses = job_statuses(connection, ids.values())
    for import_id, status, path in rows:
        job_id = ids[import_id]
        if statuses[job_id] in LIVE:
            _found(connection, job_id)
            continue
        if statuses[job_id] is not None and statuses[job_id] != "failed":
            continue
        if statuses[job_id] is None and not lost(connection, job_id, now):
            continue
        reason = _why_not_again(connection, job_id, path)
        if reason:
            roster_import = db.session.get(RosterImport, import_id)
            if roster_import is not None:
                roster_import.status = RosterStatus.FAILED
                roster_import.message = reason
                roster_import.finished_at = utcnow()
                db.session.commit()
                done.failed += 1
            continue
        applying = status is RosterStatus.APPLYING
        enqueue_now(
            PendingJob(
                func="jobs.rollouts.apply_roster" if applying else "jobs.rollouts.preview_roster",
                args=(import_id, None) if applying else (import_id,),
                queue="imports",
                job_id=job_id,
                options={"job_timeout": 3600},
            )
        )
        done.imports += 1
        log.warning("roster import %s: its job was lost; enqueued again", import_id)


def _why_not_again(connection: Redis, job_id: str, path: str | None) -> str:
    """Why a lost import cannot run again ('' when it can; counts the attempt)."""
    if not path or not Path(path).is_file():
        return "The uploaded file is no longer available; upload it again."
    if _count_recovery(connection, job_id) > MAX_RECOVERIES:
        return (
            f"The import's job was lost {MAX_RECOVERIES} times (a worker killed or Redis "
            "restarted); use Retry on the operations page to run it again."
        )
    return ""


@dataclass(frozen=True)
class FailedImport:
    kind: str
    id: int
    region_id: int
    filename: str
    reason: str
    can_retry: bool


def failed_imports(limit: int = 50) -> list[FailedImport]:
    """Progress and roster imports that ended failed, newest first, for the ops page."""

    found = [
        FailedImport(
            "progress", r.id, r.region_id, r.filename, r.error or "", _exists(r.stored_path)
        )
        for r in db.session.scalars(
            select(ProgressImport)
            .where(ProgressImport.status == ProgressStatus.FAILED)
            .order_by(ProgressImport.id.desc())
            .limit(limit)
        )
    ]
    found += [
        FailedImport("roster", r.id, r.region_id, r.filename, r.message, _exists(r.stored_path))
        for r in db.session.scalars(
            select(RosterImport)
            .where(RosterImport.status == RosterStatus.FAILED)
            .order_by(RosterImport.id.desc())
            .limit(limit)
        )
    ]
    return found


def _exists(path: str | None) -> bool:
    return bool(path) and Path(str(path)).is_file()


def retry_import(*, kind: str, import_id: int) -> bool:
    """Queue a failed import again (its file must still be there); False if it cannot.
    Flushes; the job is enqueued after commit."""

    if kind == "progress":
        record = db.session.get(ProgressImport, import_id)
        if record is None or record.status is not ProgressStatus.FAILED:
            return False
        if not _exists(record.stored_path):
            return False
        record.status, record.error, record.finished_at = ProgressStatus.QUEUED, None, None
        job, args, job_id = IMPORT_JOB, (record.id,), f"progress-import-{record.id}"
    elif kind == "roster":
        roster = db.session.get(RosterImport, import_id)
        if roster is None or roster.status is not RosterStatus.FAILED:
            return False
        if not _exists(roster.stored_path):
            return False
        roster.status, roster.message, roster.finished_at = RosterStatus.QUEUED, "", None
        job, args = "jobs.rollouts.preview_roster", (roster.id,)
        job_id = f"roster-preview-{roster.id}"
    else:
        return False
    db.session.flush()
    enqueue_after_commit(job, *args, queue="imports", job_id=job_id, job_timeout=3600)
    log.info("%s import %s queued again from the ops page", kind, import_id)
    return True
