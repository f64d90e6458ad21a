from sqlalchemy import func, select

from app.auth.models import StaffUser
from app.extensions import db
from app.people.models import Person
from app.rollouts.models import Enrollment, Rollout


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Person, StaffUser, Rollout, Enrollment)
    )


def test_demo_builds_a_realistic_organisation_once(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    first = _counts()
    people, staff_users, rollouts, _enrollments = first
    assert 380 <= people <= 420
    assert rollouts >= 4  # one per demo region, plus an open cohort for manager sign-off
    assert staff_users == 18  # 4 per region, the global admin and the global sponsor
    # a real hierarchy: every learner has a manager, who has a manager
    learner = db.session.scalars(select(Person).where(Person.employee_id == "DE-2000")).one()
    assert learner.manager is not None and learner.manager.manager is not None
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts() == first
