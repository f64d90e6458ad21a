"""Building a region's weekly report on request (the archive page's "Build now"): one job
per region and week, its progress asked of RQ here, never by the page."""

from __future__ import annotations

from app.audit.services import record
from app.auth.models import StaffUser
from app.regions.models import Region
from app.tasks import enqueue_after_commit, job_pending


def build_job_id(region_id: int, week: str) -> str:
    return f"report-build-{region_id}-{week}"


def build_running(*, region_id: int, week: str) -> bool | None:
    """Whether the build of ``week`` asked from the archive page is queued or running (None:
    no such build, or jobs run in-process)."""
    return job_pending(build_job_id(region_id, week))


def request_build(*, region: Region, week: str, actor: StaffUser | None) -> bool:
    """Queue the build of the region's report of ``week`` (nothing is sent), unless one is
    queued or running already. Records an audit event; the job reaches RQ after the
    commit. Returns whether a build was queued."""
    if build_running(region_id=region.id, week=week):
        return False
    record(
        region_id=region.id,
        action="report.build_requested",
        obj=region,
        actor=actor,
        channel="web",
        data={"week": week},
    )
    enqueue_after_commit(
        "jobs.reports.build_region_report",
        region.id,
        week,
        queue="reports",
        job_id=build_job_id(region.id, week),
        job_timeout=900,
    )
    return True
