"""The recurring jobs, declared in one place: add one ``Recurring`` entry to ``RECURRING``.

``summit scheduler`` runs :func:`tick` every few seconds. A tick decides from the
database what is due: for each entry and each region, the latest slot that has
begun in the region's own time zone (DST included). If that slot has no
``ScheduledRun`` row yet, the tick inserts one (a unique constraint on name,
scope and slot) and enqueues the job with a deterministic id
``<name>-<scope>-<slot>``. So a tick missed while the scheduler was down catches
up with the latest slot, and a second scheduler enqueues nothing twice.

The row records ``enqueued_at`` and ``done_at`` (set by :func:`run_recurring`, the
wrapper every run goes through). Each tick enqueues again, under the same id, a
run of the last day that is not done and whose job Redis does not have (the
enqueue failed, Redis restarted empty): the database, not Redis, is the source
of truth. Imports whose job was lost are put back the same way
(:mod:`app.ops.recovery`).

A per-region job is called as ``func(region_id, slot_iso)``, a global one as
``func(slot_iso)``; ``slot_iso`` is the slot's start as an aware UTC ISO string,
so a retried job still knows which week or day it is for. Jobs are RQ entry
points in ``jobs/<capability>.py`` (thin: ``with job_context(): service(...)``),
retried by RQ with backoff (``RETRY``).

Example entries::

    Recurring("approvals.reminders", "jobs.approvals.send_reminders", Daily(time(9, 0))),
    Recurring("reports.weekly", "jobs.reports.build_weekly", Weekly(MONDAY, time(7, 0))),
    Recurring("privacy.retention", "jobs.privacy.purge", Daily(time(2, 30)), per_region=False),
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from rq import Retry
from rq.utils import import_attribute
from sqlalchemy import delete, select, tuple_
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.mail.dispatch import sweep
from app.ops.models import ScheduledRun
from app.ops.recovery import LIVE, RUN_WINDOW, job_statuses, lost, recover_imports
from app.regions.models import Region
from app.tasks import PendingJob, enqueue_now, get_redis, jobs_run_inline
from jobs.runtime import job_context

log = logging.getLogger(__name__)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
#: ScheduledRun rows older than this are pruned (they only guard recent slots)
KEEP_RUNS = timedelta(days=60)


class Due(Protocol):
    def latest_slot(self, now_local: datetime) -> datetime:
        """The start (local, aware) of the latest slot that has begun at ``now_local``."""


@dataclass(frozen=True)
class Daily:
    """Every day at ``at`` local time (``weekdays`` to limit it, Monday = 0)."""

    at: time
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    def latest_slot(self, now_local: datetime) -> datetime:
        day = now_local.date()
        for back in range(8):
            candidate = day - timedelta(days=back)
            if candidate.weekday() not in self.weekdays:
                continue
            start = _local(candidate, self.at, now_local.tzinfo)
            if start <= now_local:
                return start
        raise ValueError("Daily needs at least one weekday")


@dataclass(frozen=True)
class Weekly:
    """Every week on ``weekday`` (Monday = 0) at ``at`` local time."""

    weekday: int
    at: time

    def latest_slot(self, now_local: datetime) -> datetime:
        return Daily(self.at, (self.weekday,)).latest_slot(now_local)


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` minutes (slots aligned on the hour, in UTC)."""

    minutes: int

    def latest_slot(self, now_local: datetime) -> datetime:
        now = now_local.astimezone(UTC)
        since_midnight = now.hour * 60 + now.minute
        start = since_midnight - since_midnight % self.minutes
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight + timedelta(minutes=start)).astimezone(now_local.tzinfo)


def _local(day: date, at: time, tz: object) -> datetime:
    # a wall-clock time skipped by DST (02:30 on spring-forward day) runs an hour later
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)  # type: ignore[arg-type]
    return aware.astimezone(UTC).astimezone(tz)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Recurring:
    #: unique; part of the job id and of the ScheduledRun guard
    name: str
    #: dotted path of the job function in jobs/
    func: str
    due: Daily | Weekly | Every
    #: once per region (in the region's zone) or once for everyone (in UTC)
    per_region: bool = True
    queue: str = "default"
    #: a slot older than this when first seen is skipped, not run late
    catch_up: timedelta = timedelta(hours=12)
    job_timeout: int = 1800


#: THE registry. One entry per recurring job; keep each entry on its own lines.
RECURRING: list[Recurring] = [
    Recurring(
        "ops.prune_scheduled_runs", "jobs.schedule.prune_runs", Daily(time(3, 0)), per_region=False
    ),
    # onboarding: learners who have not committed (business days only, inside the job)
    Recurring("rollouts.remind_uncommitted", "jobs.rollouts.remind_uncommitted", Daily(time(9, 0))),
    # manager sign-off: one request per manager per rollout, follow-ups batched daily
    Recurring("approvals.requests", "jobs.approvals.send_requests", Every(60)),
    Recurring("approvals.reminders", "jobs.approvals.send_reminders", Daily(time(9, 0))),
    # weekly calls: the jobs act only at their local hour (09:00 prompts, 07:00 agendas)
    Recurring("calls.invitations", "jobs.calls.sync_invitations", Every(60)),
    Recurring("calls.question_prompts", "jobs.calls.send_question_prompts", Every(60)),
    Recurring("calls.agendas", "jobs.calls.send_agendas", Every(60)),
    # terms: close after the grace period, ask buddies to sign off, nudge learners behind pace
    Recurring("terms.close", "jobs.terms.close_due_terms", Daily(time(6, 0)), queue="reports"),
    Recurring("terms.buddy_signoffs", "jobs.terms.request_buddy_signoffs", Daily(time(9, 0))),
    Recurring("terms.nudge_at_risk", "jobs.terms.nudge_at_risk", Daily(time(9, 0))),
    # master classes: invite missed completers, promote waitlists, reminders, goal surveys
    Recurring("masterclasses.daily", "jobs.masterclasses.daily", Daily(time(7, 0))),
    # the weekly journey email: acts from the region's send time (decided in the job)
    Recurring("journey.weekly", "jobs.journey.send_weekly", Every(60)),
    # sponsor reports: due from Monday 08:00 in each region's zone (decided in the job)
    Recurring(
        "reports.due",
        "jobs.reports.enqueue_due_reports",
        Every(15),
        per_region=False,
        queue="reports",
    ),
    # progress connectors: each region's enabled connectors pull their platform every hour
    Recurring("progress.connectors", "jobs.connectors.sync_region", Every(60), queue="imports"),
    # personal data past the region's retention period
    Recurring("privacy.retention", "jobs.privacy.erase_expired", Daily(time(3, 30))),
]

#: RQ retries a failed recurring job this often, with these waits (seconds)
RETRY_INTERVALS = [60, 300, 900]


@dataclass(frozen=True)
class DueRun:
    entry: Recurring
    scope: str
    region_id: int | None
    slot_local: datetime

    @property
    def slot(self) -> str:
        return self.slot_local.strftime("%Y-%m-%dT%H:%M")

    @property
    def job_id(self) -> str:
        """``<name>-<scope>-<slot>`` in the characters RQ allows in an id."""
        raw = f"{self.entry.name}-{self.scope}-{self.slot}"
        return re.sub(r"[^A-Za-z0-9_-]", "_", raw)

    @property
    def args(self) -> tuple[object, ...]:
        at = self.slot_local.astimezone(UTC).isoformat()
        return (self.region_id, at) if self.entry.per_region else (at,)


def due_runs(
    now: datetime, regions: Iterable[tuple[int, str, str]], entries: Iterable[Recurring]
) -> list[DueRun]:
    """Every (entry, region) slot that has begun and is recent enough to run.

    ``regions`` are (id, code, IANA zone) triples; pure, so it is easy to test.
    """
    regions = list(regions)
    found = []
    for entry in entries:
        targets = regions if entry.per_region else [(None, "global", "UTC")]
        for region_id, code, zone in targets:
            now_local = now.astimezone(ZoneInfo(zone))
            slot = entry.due.latest_slot(now_local)
            if now_local - slot > entry.catch_up:
                continue
            found.append(DueRun(entry, code, region_id, slot))
    return found


def plan(now: datetime | None = None, entries: Iterable[Recurring] | None = None) -> list[DueRun]:
    """Record the runs that are due and not recorded yet; returns them (flushes).

    The unique constraint on ScheduledRun is the final guard: a run another
    scheduler recorded first is skipped here.
    """

    now = now or utcnow()
    regions = db.session.execute(select(Region.id, Region.code, Region.time_zone)).tuples()
    candidates = due_runs(now, regions, RECURRING if entries is None else entries)
    if not candidates:
        return []
    keys = [(c.entry.name, c.scope, c.slot) for c in candidates]
    seen = set(
        db.session.execute(
            select(ScheduledRun.name, ScheduledRun.scope, ScheduledRun.slot).where(
                tuple_(ScheduledRun.name, ScheduledRun.scope, ScheduledRun.slot).in_(keys)
            )
        ).tuples()
    )
    new = []
    for run in candidates:
        if (run.entry.name, run.scope, run.slot) in seen:
            continue
        db.session.add(
            ScheduledRun(
                name=run.entry.name,
                scope=run.scope,
                slot=run.slot,
                job_id=run.job_id,
                args=list(run.args),
            )
        )
        try:
            db.session.flush()
        except IntegrityError:  # another scheduler recorded it between our read and write
            db.session.rollback()
            return plan(now, entries)
        new.append(run)
    return new


def tick(now: datetime | None = None) -> list[DueRun]:
    """One scheduler tick: sweep the outbox, record the recurring runs now due, then
    enqueue every run not done whose job Redis lacks, and put back lost imports.

    Runs are recorded and committed first, then enqueued with deterministic job ids
    and RQ's Retry; a run whose enqueue fails stays in the database for the next tick.
    """

    with job_context():
        try:
            sweep()
        except (RedisError, OSError):
            log.warning("outbox sweep skipped: Redis cannot be reached")
        runs = plan(now)
    with job_context():
        try:
            enqueue_unfinished(now)
            _recover_imports(now)
        except (RedisError, OSError):
            log.warning("Redis cannot be reached: runs and imports wait for the next tick")
    return runs


def _recover_imports(now: datetime | None) -> None:

    if not jobs_run_inline():
        recover_imports(get_redis(), now)


def enqueue_unfinished(now: datetime | None = None) -> int:
    """Enqueue every run of the last day that is not done and whose job Redis does not
    have (never enqueued, or lost); returns how many. Commits after each."""

    now = now or utcnow()
    rows = db.session.scalars(
        select(ScheduledRun)
        .where(ScheduledRun.done_at.is_(None), ScheduledRun.created_at >= now - RUN_WINDOW)
        .order_by(ScheduledRun.id)
    ).all()
    if not rows:
        return 0
    inline = jobs_run_inline()
    connection = None if inline else get_redis()
    statuses = {} if connection is None else job_statuses(connection, [r.job_id for r in rows])
    entries = {entry.name: entry for entry in RECURRING}
    enqueued = 0
    for row in rows:
        entry = entries.get(row.name)
        if entry is None or row.args is None:
            row.done_at = now  # an entry since removed from the registry, or an old row
            db.session.commit()
            continue
        status = statuses.get(row.job_id)
        if row.enqueued_at is not None:
            if inline or status in LIVE or status is not None:
                continue  # queued, running, or failed after its retries (ops page: retry)
            assert connection is not None
            if not lost(connection, row.job_id, now):
                continue
            log.warning("run %s for %s (slot %s): its job was lost", row.name, row.scope, row.slot)
        enqueue_now(
            PendingJob(
                func="jobs.schedule.run_recurring",
                args=(row.id,),
                queue=entry.queue,
                job_id=row.job_id,
                options={
                    "job_timeout": entry.job_timeout,
                    "retry": Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                    "failure_ttl": 30 * 86400,
                    "meta": {"recurring": row.name, "scope": row.scope, "slot": row.slot},
                },
            )
        )
        row.enqueued_at = utcnow()
        db.session.commit()
        enqueued += 1
        log.info("scheduled %s for %s (slot %s)", row.name, row.scope, row.slot)
    return enqueued


def run_recurring(run_id: int) -> None:
    """Run one recorded run's job, then mark the run done (RQ retries it on error)."""

    with job_context():
        row = db.session.get(ScheduledRun, run_id)
        if row is None or row.done_at is not None:
            return
        entry = next((e for e in RECURRING if e.name == row.name), None)
        if entry is not None and row.args is not None:
            import_attribute(entry.func)(*row.args)
        row = db.session.get(ScheduledRun, run_id)
        if row is not None:
            row.done_at = utcnow()


def prune_runs(slot_iso: str) -> int:
    """Delete ScheduledRun rows older than KEEP_RUNS (they guard only recent slots)."""

    with job_context():
        cutoff = datetime.fromisoformat(slot_iso) - KEEP_RUNS
        result = db.session.execute(delete(ScheduledRun).where(ScheduledRun.created_at < cutoff))
        return int(result.rowcount or 0)
