from datetime import UTC, datetime

from app.extensions import db
from app.progress.models import ModuleProgress


def complete(course, who, *keys, at=datetime(2026, 9, 15, 10, tzinfo=UTC)):
    enrollment = course.enrollments[who]
    for key in keys:
        db.session.add(
            ModuleProgress(
                region_id=enrollment.region_id,
                rollout_id=enrollment.rollout_id,
                enrollment_id=enrollment.id,
                module_id=course.module(key).id,
                percent=100.0,
                completed=True,
                observed_at=at,
                source="summit",
            )
        )
    db.session.flush()


def progress_imported(course, at):
    """A finished import of the rollout whose data is as of ``at`` (the freshness of its
    progress, for closing terms)."""
    from app.progress.models import ImportStatus, ProgressImport

    record = ProgressImport(
        region_id=course.rollout.region_id,
        rollout_id=course.rollout.id,
        filename="export.csv",
        status=ImportStatus.DONE,
        detected_format="openedx",
        finished_at=at,
        data_as_of=at,
    )
    db.session.add(record)
    db.session.flush()
    return record
