from datetime import UTC, datetime

from app.extensions import db
from app.progress.models import ModuleProgress


def complete(course, who, *keys, at=datetime(2026, 9, 15, 10, tzinfo=UTC)):
    enrollment = course.enrollments[who]
    for key in keys:
        db.session.add(
            ModuleProgress(
                region_id=enrollment.region_id,
                enrollment_id=enrollment.id,
                module_id=course.module(key).id,
                percent=100.0,
                completed=True,
                observed_at=at,
                source="summit",
            )
        )
    db.session.flush()
