"""Demo data for manager sign-off: realistic allocations, and a cohort still deciding.

For each demo rollout, learners past "committed" were approved by their manager
(a few hours to a few days after committing); committed learners are pending,
declined or met with a proposal. A second German rollout of a short program
whose first term starts in four weeks has its requests still open, so the
decision page, reminders and the dashboard can be tried live
(``summit approvals link MANAGER_EMAIL --rollout lht-de`` prints a manager's link).
Idempotent: a rollout that already has allocations is left alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from app.approvals.models import AllocationStatus, ApprovalDigest, DigestKind, TimeAllocation
from app.extensions import db
from app.people.models import Person
from app.programs.models import Module, Program, Term
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus

DECLINE_REASONS = [
    "Release freeze until the end of the quarter; let's start with the next cohort.",
    "On a customer project at 120% until March.",
    "Parental leave starts next month.",
]
PROPOSAL_NOTES = ["Half of it until the migration is done", "", "Two hours, on Fridays"]
NEXT_PROGRAM = "leading-hybrid-teams"
NEXT_ROLLOUT = "lht-de"


def seed(ctx: Any) -> None:
    for rollout in ctx.rollouts.values():
        _allocations_for(rollout, ctx.rng, ctx.today)
    if "de" in ctx.rollouts:
        _open_cohort(ctx)


def _has_allocations(rollout: Rollout) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(TimeAllocation)
            .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
            .where(Enrollment.rollout_id == rollout.id)
        )
    )


def _allocations_for(rollout: Rollout, rng: Any, today: date) -> None:
    if _has_allocations(rollout):
        return
    rows = db.session.execute(
        select(Enrollment, Person.manager_id)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.state != EnrollmentState.INVITED,
            Enrollment.committed_at.is_not(None),
            Person.manager_id.is_not(None),
        )
        .order_by(Enrollment.id)
    ).all()
    hours = rollout.program.hours_per_week
    digests: dict[int, ApprovalDigest] = {}
    for enrollment, manager_id in rows:
        asked_at = enrollment.committed_at + timedelta(hours=rng.randint(1, 20))
        digest = digests.get(manager_id)
        if digest is None:
            digest = ApprovalDigest(
                region_id=rollout.region_id,
                rollout_id=rollout.id,
                manager_id=manager_id,
                day=asked_at.date(),
                kind=DigestKind.REQUEST,
                report_count=0,
                created_at=asked_at,
            )
            db.session.add(digest)
            db.session.flush()
            digests[manager_id] = digest
        digest.report_count += 1
        allocation = TimeAllocation(
            region_id=rollout.region_id,
            enrollment_id=enrollment.id,
            manager_id=manager_id,
            hours_requested=hours,
            requested_at=enrollment.committed_at,
            digest_id=digest.id,
            request_sent_at=asked_at,
        )
        if enrollment.state is EnrollmentState.COMMITTED:
            _undecided(allocation, rng, asked_at, manager_id)
        else:
            decided_at = enrollment.time_approved_at or asked_at + timedelta(days=1)
            allocation.status = AllocationStatus.APPROVED
            allocation.hours_decided = hours
            allocation.decided_at = max(decided_at, asked_at + timedelta(minutes=30))
            allocation.decided_by_id = manager_id
            allocation.decided_via = "link"
            allocation.decision_count = 1
        db.session.add(allocation)
    db.session.flush()


def _undecided(allocation: TimeAllocation, rng: Any, asked_at: datetime, manager_id: int) -> None:
    roll = rng.random()
    if roll < 0.2:
        allocation.status = AllocationStatus.DECLINED
        allocation.reason = rng.choice(DECLINE_REASONS)
    elif roll < 0.35:
        allocation.status = AllocationStatus.PROPOSED
        allocation.hours_decided = rng.choice([1.0, 1.5, 2.0])
        allocation.reason = rng.choice(PROPOSAL_NOTES) or None
    else:
        allocation.reminders_sent = rng.choice([0, 1, 1, 2])
        if allocation.reminders_sent:
            allocation.last_reminded_at = asked_at + timedelta(days=4 * allocation.reminders_sent)
        return
    allocation.decided_at = asked_at + timedelta(hours=rng.randint(2, 96))
    allocation.decided_by_id = manager_id
    allocation.decided_via = "link"
    allocation.decision_count = 1


def _open_cohort(ctx: Any) -> None:
    """A short program starting in four weeks, its German cohort waiting for managers."""
    region = ctx.regions["de"]
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == NEXT_ROLLOUT)).one_or_none()
    if rollout is not None:
        return
    program = db.session.scalars(select(Program).where(Program.slug == NEXT_PROGRAM)).one_or_none()
    if program is None:
        start = ctx.today + timedelta(days=28 - ctx.today.weekday())
        program = Program(
            slug=NEXT_PROGRAM,
            title="Leading Hybrid Teams",
            provider="LinkedIn Learning",
            course_url="https://www.linkedin.com/learning/paths/leading-hybrid-teams",
            description=(
                "Four modules for team leads: rituals, async work, feedback, and wellbeing."
            ),
            hours_per_week=2.0,
        )
        modules = [
            Module(key=f"h{i}", title=title, estimated_hours=3, position=i)
            for i, title in enumerate(
                ["Team rituals", "Async by default", "Feedback at a distance", "Wellbeing"], 1
            )
        ]
        program.modules = modules
        for n in (1, 2):
            term = Term(
                number=n,
                title=f"Term {n}",
                starts_on=start + timedelta(weeks=4 * (n - 1)),
                ends_on=start + timedelta(weeks=4 * n, days=-1),
            )
            term.required_modules = modules[: 2 * n]
            program.terms.append(term)
        db.session.add(program)
        db.session.flush()
    main = ctx.rollouts["de"]
    rollout = Rollout(
        slug=NEXT_ROLLOUT,
        program_id=program.id,
        region_id=region.id,
        status=RolloutStatus.LAUNCHED,
        cohort_start=program.starts_on,
        call_weekday=region.call_weekday,
        call_time=region.call_time or time(16, 0),
        call_duration_minutes=region.call_duration_minutes,
        sponsor_message=(
            "Half of our teams work across three sites. Leading them well is a skill we can "
            "learn: please give your leads the two hours a week."
        ),
        launched_at=datetime.combine(ctx.today - timedelta(days=6), time(8, 0), tzinfo=UTC),
        expert_id=main.expert_id,
        hr_partner_id=main.hr_partner_id,
    )
    db.session.add(rollout)
    db.session.flush()
    learners = db.session.scalars(
        select(Person)
        .where(Person.region_id == region.id, Person.manager_id.is_not(None))
        .order_by(Person.employee_id)
        .limit(14)
    ).all()
    for i, person in enumerate(learners):
        enrollment = Enrollment(
            rollout_id=rollout.id,
            region_id=region.id,
            person_id=person.id,
            invited_at=rollout.launched_at,
        )
        db.session.add(enrollment)
        if i >= 12:
            continue  # two have not committed yet
        committed = rollout.launched_at + timedelta(days=i % 5, hours=i)
        enrollment.transition(EnrollmentState.COMMITTED, at=committed)
        enrollment.goal = "Run our team's weekly rituals well across Munich and Porto"
    db.session.flush()
    _allocations_for(rollout, ctx.rng, ctx.today)
    # the first manager has decided for some of their reports; the rest still wait
    decided = 0
    for allocation in db.session.scalars(
        select(TimeAllocation)
        .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
        .where(Enrollment.rollout_id == rollout.id)
        .order_by(TimeAllocation.id)
    ):
        if allocation.status is AllocationStatus.PENDING and decided < 3:
            allocation.status = AllocationStatus.APPROVED
            allocation.hours_decided = allocation.hours_requested
            allocation.decided_at = allocation.request_sent_at + timedelta(hours=5)
            allocation.decided_by_id = allocation.manager_id
            allocation.decided_via = "link"
            allocation.decision_count = 1
            allocation.enrollment.transition(
                EnrollmentState.TIME_APPROVED, at=allocation.decided_at
            )
            decided += 1
    db.session.flush()
