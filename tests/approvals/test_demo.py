from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.policy import decisions_open
from app.demo.services import seed_demo
from app.extensions import db
from app.rollouts.models import Enrollment, EnrollmentState, Rollout


def counts():
    return dict(
        db.session.execute(
            select(TimeAllocation.status, func.count()).group_by(TimeAllocation.status)
        ).all()
    )


def test_demo_gives_realistic_allocations_and_an_open_cohort_idempotently():
    seed_demo(today=date(2026, 11, 22))
    db.session.commit()
    first = counts()
    assert all(first.get(s, 0) > 0 for s in AllocationStatus)
    # approved allocations match enrollments past "committed"; nobody committed is approved
    approved_states = db.session.scalars(
        select(Enrollment.state)
        .join(TimeAllocation, TimeAllocation.enrollment_id == Enrollment.id)
        .where(TimeAllocation.status == AllocationStatus.APPROVED)
    ).all()
    assert EnrollmentState.COMMITTED not in approved_states
    open_cohort = db.session.scalars(select(Rollout).where(Rollout.slug == "lht-de")).one()
    assert decisions_open(
        open_cohort.program, open_cohort.region, datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    )
    seed_demo(today=date(2026, 11, 22))
    db.session.commit()
    assert counts() == first
