"""ScheduledRun: the database's guard that a recurring job runs once per slot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ScheduledRun(Base):
    """One row per (recurring job, region, slot): a second scheduler, or a second
    tick, cannot insert it again, so nothing is enqueued twice. The row, not Redis,
    says whether the run is done: an unfinished run whose job Redis lost is
    enqueued again under the same id."""

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("name", "scope", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Recurring entry's name in jobs/schedule.py
    name: Mapped[str] = mapped_column(String(80))
    #: the region code, or "global" for jobs that run once for everyone
    scope: Mapped[str] = mapped_column(String(32))
    #: the slot's local start, e.g. "2026-11-23T07:00" in the region's zone
    slot: Mapped[str] = mapped_column(String(32))
    #: the RQ job id it was enqueued with (deterministic: name:scope:slot)
    job_id: Mapped[str] = mapped_column(String(200))
    #: the job's arguments (region id and slot instant), to enqueue it again
    args: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: when RQ accepted the job (NULL: the enqueue failed, the next tick tries again)
    enqueued_at: Mapped[datetime | None]
    #: when the job finished; NULL and its job gone from Redis: the tick enqueues it again
    done_at: Mapped[datetime | None]
