"""How old a rollout's progress data is, and where it last came from (read side)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.progress.models import ImportStatus, ModuleProgress, ProgressImport, XapiStatement
from app.progress.signals import freshness_wanted
from app.rollouts.models import Enrollment, EnrollmentState, Rollout

#: ``[progress] max_age_days`` in a region file: a term is closed on data at most this old
#: unless the local lead confirms (the default)
DEFAULT_MAX_AGE_DAYS = 7


@dataclass(frozen=True)
class Freshness:
    """The newest progress data of a rollout: when it was true, and its channel."""

    as_of: datetime
    #: "openedx", "moodle", "linkedin", "generic", "summit" (file imports), "xapi",
    #: "openedx-sync", "moodle-sync", "lrs-sync" (connectors), or the source written on the
    #: progress rows by another channel
    source: str
    #: True for a file import, False for statements or a sync
    from_file: bool


def progress_freshness(rollout_ids: Collection[int]) -> dict[int, Freshness]:
    """Per rollout, its newest progress data: the latest finished import (its data's time),
    the latest xAPI statement received, the last successful run of a connector (its sync,
    answered by app.connectors through ``freshness_wanted``),
    else the latest progress row observed (data written by other channels: one index probe a
    rollout, not a sort of its rows). Rollouts with no progress at all are missing. Four
    statements, whatever the number of rollouts."""
    ids = list(rollout_ids)
    if not ids:
        return {}
    found: dict[int, Freshness] = {}

    def keep(rollout_id: int, fresh: Freshness) -> None:
        if fresh.as_of is None:
            return
        current = found.get(rollout_id)
        if current is None or fresh.as_of > current.as_of:
            found[rollout_id] = fresh

    ranked = (
        select(
            ProgressImport.rollout_id,
            func.coalesce(ProgressImport.data_as_of, ProgressImport.finished_at).label("as_of"),
            ProgressImport.detected_format,
            func.row_number()
            .over(
                partition_by=ProgressImport.rollout_id,
                order_by=(
                    func.coalesce(ProgressImport.data_as_of, ProgressImport.finished_at).desc(),
                    ProgressImport.id.desc(),
                ),
            )
            .label("n"),
        )
        .where(ProgressImport.rollout_id.in_(ids), ProgressImport.status == ImportStatus.DONE)
        .subquery()
    )
    for row in db.session.execute(
        select(ranked.c.rollout_id, ranked.c.as_of, ranked.c.detected_format).where(ranked.c.n == 1)
    ):
        keep(row.rollout_id, Freshness(aware(row.as_of), row.detected_format or "file", True))
    for row in db.session.execute(
        select(XapiStatement.rollout_id, func.max(XapiStatement.stored_at).label("as_of"))
        .where(XapiStatement.rollout_id.in_(ids))
        .group_by(XapiStatement.rollout_id)
    ):
        keep(row.rollout_id, Freshness(aware(row.as_of), "xapi", False))
    # the channels above progress (a connector's syncs) answer for themselves
    for _receiver, answers in freshness_wanted.send(rollout_ids=ids):
        for rollout_id, fresh in answers:
            keep(rollout_id, fresh)
    missing = [i for i in ids if i not in found]
    if missing:
        # per rollout, its newest row: one probe of (rollout_id, observed_at, id), whatever
        # the number of rows (ties on the time go to the row written last)
        inner = aliased(ModuleProgress)
        newest = (
            select(inner.id)
            .where(inner.rollout_id == Rollout.id)
            .order_by(inner.observed_at.desc(), inner.id.desc())
            .limit(1)
            .correlate(Rollout)
            .scalar_subquery()
        )
        for row in db.session.execute(
            select(Rollout.id, ModuleProgress.observed_at, ModuleProgress.source)
            .join(ModuleProgress, ModuleProgress.id == newest)
            .where(Rollout.id.in_(missing))
        ):
            keep(row.id, Freshness(aware(row.observed_at), row.source, row.source != "xapi"))
    return found


def aware(value: Any) -> Any:
    """A stored instant as an aware UTC datetime (SQLite hands some back naive or as text)."""

    if isinstance(value, str):  # SQLite hands window-function columns back as text
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def max_age(region: Any) -> timedelta:
    """How old progress may be when a term closes without the lead confirming."""
    settings = ((region.settings or {}).get("progress") or {}) if region is not None else {}
    days = settings.get("max_age_days", DEFAULT_MAX_AGE_DAYS)
    return timedelta(days=days if isinstance(days, int) else DEFAULT_MAX_AGE_DAYS)


def is_stale(fresh: Freshness | None, *, region: Any, now: datetime) -> bool:
    """No progress at all, or progress older than the region allows."""
    return fresh is None or now - fresh.as_of > max_age(region)


def as_of_text(value: datetime, *, zone: str, locale: str) -> str:
    """``Tue 1 Dec, 09:00`` / ``Di., 1. Dez., 09:00`` / ``mar. 1 déc., 09:00``: the weekday
    and date as the locale writes them (CLDR ``MMMEd``), then the time, in ``zone``."""

    local = value.astimezone(ZoneInfo(zone))
    day = format_skeleton("MMMEd", local, locale=locale)
    return f"{day}, {format_time(local, 'HH:mm', locale=locale)}"


def recent_imports(rollout_id: int, *, limit: int = 20) -> list[ProgressImport]:
    """A rollout's latest progress imports, newest first."""
    return list(
        db.session.scalars(
            select(ProgressImport)
            .where(ProgressImport.rollout_id == rollout_id)
            .order_by(ProgressImport.id.desc())
            .limit(limit)
        )
    )


def completed_learners(rollout_id: int) -> int:
    """Learners of the rollout who completed the program: the figure the rollout's
    dashboard shows (its funnel's last stage), whatever channel brought the progress."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(
                Enrollment.rollout_id == rollout_id,
                Enrollment.state == EnrollmentState.COMPLETED,
            )
        )
        or 0
    )
