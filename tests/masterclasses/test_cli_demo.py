from sqlalchemy import func, select

from app.extensions import db
from app.mail.models import OutboundEmail
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.rollouts.models import Enrollment
from tests.factories import RolloutFactory
from tests.masterclasses.helpers import completer, master_class


def test_sweep_command_invites_the_missed_once(runner):
    rollout = RolloutFactory()
    master_class(rollout.program)
    completer(rollout)
    db.session.commit()
    result = runner.invoke(args=["masterclasses", "sweep", "--region", "de"])
    assert result.exit_code == 0, result.output
    assert "de: 1 invited, 0 reminded, 1 goal surveys sent" in result.output
    again = runner.invoke(args=["masterclasses", "sweep", "--region", "de"])
    assert "de: 0 invited, 0 reminded, 0 goal surveys sent" in again.output


def _counts():
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(MasterClass.id))),
        db.session.scalar(select(func.count(MasterClassInvitation.id))),
        db.session.scalar(select(func.count(OutboundEmail.id))),
        db.session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.goal_reached.is_not(None))
        ),
    )


def test_demo_shows_classes_answers_and_is_idempotent():
    from app.demo.services import seed_demo

    seed_demo()
    db.session.commit()
    first = _counts()
    classes, invitations, _emails, answers = first
    assert classes == 7  # one per demo region, a face-to-face, a past and a global one
    assert invitations > 0 and answers > 0
    statuses = set(db.session.scalars(select(MasterClassInvitation.status)))
    assert {
        InvitationStatus.ACCEPTED,
        InvitationStatus.WAITLISTED,
        InvitationStatus.ATTENDED,
        InvitationStatus.NO_SHOW,
    } <= statuses
    assert db.session.scalar(select(MasterClass).where(MasterClass.region_id.is_(None)))
    seed_demo()
    db.session.commit()
    assert _counts() == first
