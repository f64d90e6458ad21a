"""One rollout's life through the app's own services, so that every email kind is queued
the way production queues it: launch, pledges, manager requests and decisions, reminders and
escalation, buddies, expert calls, terms, master classes, the goal survey, a fresh link, a
failing connector, the weekly reports. Factory data for the people and the program; the
clock moves with time_machine. Returns nothing: the emails are in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import time_machine
from flask import current_app
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.reminders import send_due_reminders
from app.approvals.request_emails import send_due_requests
from app.approvals.services import decide
from app.auth.models import Role
from app.calls.changes import move_session
from app.calls.models import CallSession
from app.calls.questions import save_notes, submit_question
from app.calls.services import generate_series, send_agendas, send_question_prompts
from app.connectors.models import ConnectorKind
from app.connectors.services import save_connector, sync_connector
from app.extensions import db
from app.freshlinks.services import send_fresh_link
from app.goals.services import send_goal_survey
from app.journey.services import send_week
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import MasterClass, MasterClassInvitation
from app.masterclasses.services import (
    accept_invitation,
    decline_invitation,
    due_masterclass_reminders,
)
from app.progress.models import ModuleProgress
from app.reports.services import build_week
from app.rollouts.buddies import pair_buddies
from app.rollouts.models import EnrollmentState, RolloutSponsor
from app.rollouts.onboarding import (
    COMMIT_PURPOSE,
    commit_enrollment,
    commit_url,
    remind_uncommitted,
)
from app.rollouts.services import launch_rollout
from app.terms.buddies import due_buddy_signoffs
from app.terms.closing import close_term
from app.terms.confirming import confirm_free_rider
from app.terms.models import TermReview, Verdict
from app.terms.nudges import due_at_risk_nudges
from app.terms.review import tell_sponsors_if_reviewed
from app.weeks import week_label
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, RolloutFactory, staff
from tests.factories import region as region_of

#: the cohort starts on a Monday in January 2027 (terms of four weeks, see ProgramFactory)
COHORT = date(2027, 1, 11)
ZONE = "Europe/Berlin"


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """``day`` at ``hour`` in Berlin, as UTC (January: UTC+1)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=1)


def build_world(run_jobs: Callable[[], int]) -> dict[str, Any]:
    """Queue at least one email of every kind through the services (see the module doc)."""
    region = region_of("de")
    lead = staff(Role.LOCAL_LEAD, "de", name="Lea Lead", email="lea.lead@example.com")
    expert = staff(Role.EXPERT, "de", name="Eda Expert", email="eda.expert@example.com")
    staff(Role.SPONSOR, "de", name="Dora Sponsor", email="dora.sponsor@example.com")
    staff(Role.SPONSOR, None, name="Gita Global", email="gita.global@example.com")
    program = ProgramFactory(title="Software Engineer of the Future", structure=COHORT)
    rollout = RolloutFactory(
        program=program, region_id=region.id, cohort_start=COHORT, expert=expert
    )
    rollout.sponsors.append(
        RolloutSponsor(region_id=region.id, name="Dora Sponsor", email="dora.sponsor@example.com")
    )
    boss = PersonFactory(name="Bernd Chef", email="bernd.chef@example.com")
    manager = PersonFactory(name="Greta Boss", email="greta.boss@example.com", manager=boss)
    names = ["Anna Schulz", "Ben Weber", "Chloé Dubois", "Deniz Kaya", "Emil Novak"]
    learners = [
        EnrollmentFactory(
            rollout=rollout,
            person=PersonFactory(name=name, manager=manager, region_id=region.id),
        )
        for name in names
    ]
    db.session.flush()
    with time_machine.travel(at(COHORT - timedelta(days=28)), tick=False):
        launch_rollout(region=region, rollout=rollout, actor=lead, channel="web")
        run_jobs()  # rollouts/invitation
        for e in learners[:4]:
            commit_enrollment(region=region, enrollment=e, goal="Ship a service <safely>")
        send_due_requests(region=region)  # approvals/request
    allocations = list(db.session.scalars(select(TimeAllocation).order_by(TimeAllocation.id)))
    with time_machine.travel(at(COHORT - timedelta(days=27)), tick=False):
        for allocation in allocations[:3]:
            decide(
                region=region,
                allocation=allocation,
                decision=AllocationStatus.APPROVED,
                actor=manager,
                channel="web",
            )  # approvals/outcome
    # business days pass: the uncommitted learner is reminded, the pending manager escalated
    for days in range(26, 0, -1):
        with time_machine.travel(at(COHORT - timedelta(days=days)), tick=False):
            remind_uncommitted(region=region, now=datetime.now(UTC))  # rollouts/reminder
            send_due_reminders(region=region)  # approvals/escalation
    _cohort(region, rollout, learners, lead, run_jobs)
    _terms(region, rollout, learners, lead)
    _master_class(rollout, learners, run_jobs)
    _the_rest(region, rollout, learners, lead)
    return {"region": region, "rollout": rollout, "learners": learners, "lead": lead}


def _cohort(region: Any, rollout: Any, learners: list[Any], lead: Any, run_jobs: Any) -> None:
    """Week one: buddies, the approved learners start, the expert calls; week two's journey."""
    with time_machine.travel(at(COHORT), tick=False):
        for e in learners[:3]:
            e.transition(EnrollmentState.ACTIVE, at=datetime.now(UTC))
        db.session.flush()
        pair_buddies(region=region, rollout=rollout)  # rollouts/buddy_intro
        generate_series(region=region, rollout=rollout, actor=lead)  # calls/invitation
        run_jobs()
    first = db.session.scalars(
        select(CallSession)
        .where(CallSession.rollout_id == rollout.id)
        .order_by(CallSession.starts_at)
    ).first()
    assert first is not None
    day = first.starts_at.date()
    with time_machine.travel(at(day - timedelta(days=2), 9, 30), tick=False):
        send_question_prompts(region=region, now=datetime.now(UTC))  # calls/question_prompt
        submit_question(
            region=region,
            session=first,
            person=learners[0].person,
            text="How do we test a <migration>?",
            blocked=False,
        )
    with time_machine.travel(at(day, 7, 30), tick=False):
        send_agendas(region=region, now=datetime.now(UTC))  # calls/agenda
    with time_machine.travel(at(day, 18), tick=False):
        save_notes(
            region=region, session=first, notes="Slides: see the course.", send=True, actor=lead
        )  # calls/notes
        run_jobs()
        later = db.session.scalars(
            select(CallSession)
            .where(CallSession.rollout_id == rollout.id, CallSession.starts_at > first.starts_at)
            .order_by(CallSession.starts_at)
        ).first()
        move_session(
            region=region,
            session=later,
            day=later.starts_at.date() + timedelta(days=1),
            at=time(15, 0),
            note="The expert is travelling.",
            actor=lead,
        )  # calls/update
        run_jobs()
    week_two = COHORT + timedelta(days=7)
    with time_machine.travel(at(week_two, 8, 5), tick=False):
        assert send_week(region=region, week=week_label(week_two)) > 0  # journey/weekly
        run_jobs()


def _terms(region: Any, rollout: Any, learners: list[Any], lead: Any) -> None:
    """Term one: a nudge mid-term, then the close, the buddies' sign-off, the review."""
    program = rollout.program
    term = program.terms[0]
    done = learners[0]
    for module in term.required_modules:
        db.session.add(
            ModuleProgress(
                region_id=region.id,
                rollout_id=done.rollout_id,
                enrollment_id=done.id,
                module_id=module.id,
                completed=True,
                observed_at=at(COHORT + timedelta(days=3)),
                source="summit",
            )
        )
    db.session.flush()
    with time_machine.travel(at(COHORT + timedelta(days=17)), tick=False):
        due_at_risk_nudges(region=region)  # terms/at_risk, terms/at_risk_buddy
    after = term.ends_on + timedelta(days=1)
    with time_machine.travel(at(after), tick=False):
        close_term(region=region, rollout=rollout, term=term)
        due_buddy_signoffs(region=region)  # terms/buddy_signoff
        candidates = db.session.scalars(
            select(TermReview).where(
                TermReview.term_id == term.id,
                TermReview.verdict == Verdict.FREE_RIDER_CANDIDATE,
            )
        ).all()
        for review in candidates:
            confirm_free_rider(
                region=region, review=review, actor=lead, reason="No module done"
            )  # terms/removed(_manager), held for the grace period
        tell_sponsors_if_reviewed(region=region, rollout=rollout, term=term)  # terms/outcome


def _master_class(rollout: Any, learners: list[Any], run_jobs: Any) -> None:
    """Two completers, one place: accepted, waitlisted, declined, promoted, reminded."""
    finish = at(COHORT + timedelta(days=40))
    second = EnrollmentFactory(
        rollout=rollout, person=PersonFactory(name="Farah Haddad", region_id=rollout.region_id)
    )
    for state in (
        EnrollmentState.COMMITTED,
        EnrollmentState.TIME_APPROVED,
        EnrollmentState.ACTIVE,
    ):
        second.transition(state, at=finish - timedelta(days=30))
    with time_machine.travel(finish, tick=False):
        for e in (learners[0], second):
            e.transition(EnrollmentState.COMPLETED, at=finish)
            send_goal_survey(e, reason="completion")  # goals/survey
        db.session.flush()
        mc = MasterClass(
            program_id=rollout.program_id,
            region_id=rollout.region_id,
            title="Architecture with the CTO",
            hosts="Ada Lovelace",
            starts_at=finish + timedelta(days=10),
            duration_minutes=90,
            location="Munich office",
            join_url="https://meet.example.com/mc",
            capacity=1,
        )
        db.session.add(mc)
        db.session.flush()
        invite_qualifying(mc)  # masterclasses/invitation
        invitations = db.session.scalars(
            select(MasterClassInvitation)
            .where(MasterClassInvitation.master_class_id == mc.id)
            .order_by(MasterClassInvitation.id)
        ).all()
        for invitation in invitations:
            accept_invitation(invitation)  # masterclasses/accepted, then waitlisted
        decline_invitation(invitations[0])  # masterclasses/declined
        run_jobs()  # the freed place: masterclasses/promoted
    with time_machine.travel(mc.starts_at - timedelta(hours=20), tick=False):
        due_masterclass_reminders(region=region_of("de"))  # masterclasses/reminder


def _the_rest(region: Any, rollout: Any, learners: list[Any], lead: Any) -> None:
    """A fresh link, a failing connector, the weekly reports."""
    late = learners[4]
    with time_machine.travel(at(COHORT + timedelta(days=60)), tick=False):
        token = commit_url(late).rstrip("/").rsplit("/", 1)[-1]
        send_fresh_link(token=token, purpose=COMMIT_PURPOSE)  # links/fresh_link
        connector = save_connector(
            region=region,
            rollout=rollout,
            kind=ConnectorKind.OPENEDX,
            base_url="https://127.0.0.1:9",  # nothing listens on the discard port
            course_ref="course-v1:Summit+SEF+2027",
            learner_field="email",
            client_id="summit",
            secret="not-a-secret",
            enabled=True,
            actor=lead,
        )
        sync_connector(connector=connector, trigger="manual")  # connectors/failed
    week = week_label(COHORT + timedelta(days=14))
    with time_machine.travel(at(COHORT + timedelta(days=21), 8, 30), tick=False):
        build_week(week=week, send=True)  # reports/regional, reports/global
        result = current_app.test_cli_runner().invoke(
            args=["mail", "test", "--to", "lea.lead@example.com", "--locale", "de"]
        )  # mail/test
        assert result.exit_code == 0, result.output
