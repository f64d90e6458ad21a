"""Read side of the report archive. ``Report`` is not region-scoped (global reports have no
region): every query names its region explicitly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import load_only

from app.extensions import db
from app.reports.models import Report, ReportScope

#: what an archive list shows: not the snapshots themselves (HTML, chart, CSV, figures:
#: about 35 KB a report), which only the report's own page loads
LISTED = load_only(
    Report.id,
    Report.scope,
    Report.region_id,
    Report.week,
    Report.built_at,
    Report.sent_at,
    Report.recipients,
)


def report_of_week(week: str, *, region_id: int | None) -> Report | None:
    """The report of ``week`` (``2026-W48``) of a region, or the global one (None)."""
    scope = ReportScope.GLOBAL if region_id is None else ReportScope.REGION
    return db.session.scalars(
        select(Report).where(
            Report.scope == scope.value,
            Report.region_id.is_(None) if region_id is None else Report.region_id == region_id,
            Report.week == week.upper(),
        )
    ).one_or_none()


def archive_page(*, region_id: int | None, limit: int, offset: int) -> list[Report]:
    """A page of a region's archive (or the global one), newest week first, without the
    snapshots."""
    scope = ReportScope.GLOBAL if region_id is None else ReportScope.REGION
    return list(
        db.session.scalars(
            select(Report)
            .where(
                Report.scope == scope.value,
                Report.region_id.is_(None) if region_id is None else Report.region_id == region_id,
            )
            .options(LISTED)
            .order_by(Report.week.desc())
            .limit(limit)
            .offset(offset)
        )
    )
