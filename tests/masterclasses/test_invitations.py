from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.masterclasses.invitations import due_masterclass_invitations, invite_qualifying
from app.masterclasses.models import InvitationStatus
from app.programs.models import Term
from app.progress.models import ModuleProgress
from app.rollouts.signals import enrollment_completed
from app.terms.models import TermReview
from tests.factories import EnrollmentFactory, RolloutFactory, region
from tests.masterclasses.helpers import completer, emails, invitations, master_class


def test_completion_invites_exactly_once_even_with_the_sweep():
    rollout = RolloutFactory()
    mc = master_class(rollout.program)
    enrollment = completer(rollout)
    enrollment_completed.send(enrollment)
    enrollment_completed.send(enrollment)  # a repeated signal
    assert due_masterclass_invitations(region=region("de")) == 0
    [invitation] = invitations(mc)
    assert invitation.enrollment_id == enrollment.id
    assert invitation.status == InvitationStatus.INVITED
    [email] = emails("masterclasses/invitation")
    assert email.to_address == enrollment.person.email
    assert "/masterclasses/rsvp/" in email.text_body


def test_sweep_catches_missed_completers_in_its_region_only():
    de = RolloutFactory()
    fr = RolloutFactory(program=de.program, region_id=region("fr").id)
    regional = master_class(de.program)
    everyone = master_class(de.program, region_code=None, title="Global keynote")
    de_done, fr_done = completer(de), completer(fr)
    EnrollmentFactory(rollout=de)  # still invited: never qualifies
    assert due_masterclass_invitations(region=region("de")) == 2
    assert [i.enrollment_id for i in invitations(regional)] == [de_done.id]
    assert [i.enrollment_id for i in invitations(everyone)] == [de_done.id]
    assert due_masterclass_invitations(region=region("fr")) == 1
    assert {i.enrollment_id for i in invitations(everyone)} == {de_done.id, fr_done.id}
    assert due_masterclass_invitations(region=region("fr")) == 0
    assert len(emails("masterclasses/invitation")) == 3


def test_past_classes_invite_nobody():
    rollout = RolloutFactory()
    mc = master_class(rollout.program, starts_at=datetime.now(UTC) - timedelta(hours=1))
    completer(rollout)
    assert invite_qualifying(mc) == []


def test_buddy_signoff_on_every_term_when_required():
    rollout = RolloutFactory()
    mc = master_class(rollout.program, requires_buddy_signoff=True)
    enrollment = completer(rollout)
    terms = db.session.query(Term).filter_by(program_id=rollout.program.id).all()
    for term in terms[:-1]:
        db.session.add(
            TermReview(
                enrollment_id=enrollment.id,
                term_id=term.id,
                region_id=enrollment.region_id,
                buddy_confirmed_at=datetime.now(UTC),
            )
        )
    db.session.add(
        TermReview(
            enrollment_id=enrollment.id, term_id=terms[-1].id, region_id=enrollment.region_id
        )
    )
    db.session.flush()
    assert invite_qualifying(mc) == []
    db.session.query(TermReview).update({"buddy_confirmed_at": datetime.now(UTC)})
    assert [i.enrollment_id for i in invite_qualifying(mc)] == [enrollment.id]


def test_face_to_face_only_for_those_who_did_every_base_module():
    rollout = RolloutFactory()
    mc = master_class(rollout.program, face_to_face=True, location="Berlin HQ, room 4.12")
    online = master_class(rollout.program, title="Online session")
    all_done, one_missing = completer(rollout), completer(rollout)
    for module in rollout.program.modules:
        for enrollment in (all_done, one_missing):
            if enrollment is one_missing and module.key == "m6":
                continue
            db.session.add(
                ModuleProgress(
                    enrollment_id=enrollment.id,
                    module_id=module.id,
                    region_id=enrollment.region_id,
                    rollout_id=enrollment.rollout_id,
                    percent=100,
                    completed=True,
                    observed_at=datetime.now(UTC),
                    source="generic",
                )
            )
    db.session.flush()
    assert [i.enrollment_id for i in invite_qualifying(mc)] == [all_done.id]
    assert {i.enrollment_id for i in invite_qualifying(online)} == {all_done.id, one_missing.id}
