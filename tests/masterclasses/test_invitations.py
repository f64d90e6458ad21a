from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.language import person_locale
from app.mail.rendering import render_email
from app.mail.services import DELIVERY_JOB, display_name, message_id_for
from app.masterclasses.emails import context_for
from app.masterclasses.invitations import (
    due_masterclass_invitations,
    invite_completers,
    invite_qualifying,
)
from app.masterclasses.models import InvitationStatus
from app.programs.models import Term
from app.progress.models import ModuleProgress
from app.rollouts.signals import enrollment_completed
from app.tasks import PENDING_KEY
from app.terms.models import TermReview
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region
from tests.masterclasses.helpers import completer, emails, invitations, master_class
from tests.statements import statements_during


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


def _people(rollout, specs):
    return [
        completer(rollout, person=PersonFactory(region_id=region(code).id, **fields))
        for code, fields in specs
    ]


def test_each_bulk_invitation_email_is_the_one_rendered_for_its_learner_alone():
    """The outbox rows of a bulk invite (one rendering per language and zone, filled with
    each learner's name and links) read byte for byte as queue_email's of that learner."""
    rollout = RolloutFactory()
    mc = master_class(rollout.program, region_code=None, location="Berlin <HQ> & co")
    learners = _people(
        rollout,
        [
            ("de", {"name": 'Zoé "Z" <Müller> & Söhne'}),
            ("de", {"name": "Ana", "locale": "fr_BE", "time_zone": "America/New_York"}),
            ("fr", {"name": "Jean"}),
            ("de", {"name": "Sven", "locale": "sv_SE"}),
            ("de", {"name": "Emi", "locale": "ja_JP", "time_zone": "Asia/Tokyo"}),
        ],
    )
    with time_machine.travel(datetime.now(UTC), tick=False):
        assert invite_completers(mc) == len(learners)
        by_enrollment = {i.enrollment_id: i for i in invitations(mc)}
        for enrollment in learners:
            invitation = by_enrollment[enrollment.id]
            person = enrollment.person
            [email] = [
                e
                for e in emails("masterclasses/invitation")
                if e.idempotency_key == f"masterclasses/invitation/{invitation.id}/"
            ]
            locale = person_locale(person, person.region)
            expected = render_email(
                "masterclasses/invitation",
                locale=locale,
                context=context_for(invitation),
                time_zone=region(rollout.region.code).time_zone,
            )
            assert email.subject == display_name(expected.subject)
            assert email.text_body == expected.text
            assert email.html_body == expected.html
            assert email.locale == locale
            assert email.to_name == display_name(person.name)
            assert email.to_address == person.email
            assert email.person_id == person.id
            assert email.region_id == enrollment.region_id
            assert email.message_id == message_id_for(email.idempotency_key)
    assert {e.locale for e in emails("masterclasses/invitation")} == {
        "de_DE",
        "fr_BE",
        "fr_FR",
        "ja_JP",
    }


def test_invited_and_audited_once_each_across_pages():
    rollout = RolloutFactory()
    mc = master_class(rollout.program)
    learners = [completer(rollout) for _ in range(5)]
    assert invite_qualifying(mc, enrollment_id=learners[2].id)  # one already invited
    assert invite_completers(mc, page=2) == 4
    assert invite_completers(mc, page=2) == 0
    assert sorted(i.enrollment_id for i in invitations(mc)) == [e.id for e in learners]
    assert len(emails("masterclasses/invitation")) == 5
    audited = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "masterclass.invited")
    ).all()
    assert sorted(audited) == [i.id for i in invitations(mc)]


def test_statements_and_delivery_jobs_do_not_grow_with_the_completers():
    few, many = RolloutFactory(), RolloutFactory()
    few_class, many_class = master_class(few.program), master_class(many.program)
    for rollout, n in ((few, 2), (many, 12)):
        for _ in range(n):
            completer(rollout)
    db.session.commit()

    def invite(mc):
        counted = []
        seen = statements_during(lambda: counted.append(invite_completers(mc)))
        jobs = [j for j in db.session.info.get(PENDING_KEY, []) if j.func == DELIVERY_JOB]
        db.session.commit()
        return counted[0], len(seen), len(jobs)

    invited_few, statements_few, jobs_few = invite(few_class)
    invited_many, statements_many, jobs_many = invite(many_class)
    assert (invited_few, invited_many) == (2, 12)
    assert statements_many == statements_few <= 6
    assert jobs_few == jobs_many == 1
    assert len(emails("masterclasses/invitation")) == 14
