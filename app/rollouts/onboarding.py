"""Base camp: invitations to commit, the pledge, and reminders to those who have not."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.audit.services import record
from app.calendar import HolidayCalendar
from app.extensions import db
from app.language import local_date, person_locale
from app.links.services import make_action_url
from app.mail.rendering import RenderedEmail, render_email
from app.mail.services import queue_email
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.commitment import CommitError, StudySlot, resolve_buddy, set_study_slot
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.rollouts.signals import enrollment_committed
from app.rollouts.texts import call_slot
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
COMMIT_PURPOSE = "rollouts.commit"
BATCH = 1000
__all__ = ["CommitError", "commit_enrollment", "commit_url"]


def queue_invitations(*, region: Region, rollout: Rollout) -> None:
    """Queue the job that invites every learner of ``rollout`` not yet invited."""

    enqueue_after_commit(
        "jobs.rollouts.send_invitations",
        rollout.id,
        queue="default",
        job_id=f"rollout-invitations-{rollout.id}",
        job_timeout=3600,
    )


def commit_url(enrollment: Enrollment) -> str:
    return make_action_url(
        endpoint="rollouts_public.commit_page",
        purpose=COMMIT_PURPOSE,
        person_id=enrollment.person_id,
        object_id=enrollment.id,
    )


def _long_date(day: date, person: Person, region: Region) -> str:
    """A date as the reader writes it ("7. September 2026"): emails keep formatted text."""
    return local_date(day, "long", locale=person_locale(person, region))


def _email_context(enrollment: Enrollment, rollout: Rollout) -> dict[str, object]:
    program = rollout.program
    lang = person_locale(enrollment.person, rollout.region)
    return {
        "name": enrollment.person.name,
        "program_title": program.title,
        "provider": program.provider,
        "hours_per_week": program.hours_per_week,
        "call_slot": call_slot(rollout, lang),
        "cohort_start": _long_date(rollout.cohort_start, enrollment.person, rollout.region),
        "sponsor_message": rollout.sponsor_message,
        "commit_url": commit_url(enrollment),
        "region_name": rollout.region.name,
    }


def send_invitations(*, region: Region, rollout: Rollout) -> int:
    """Email every invited, not yet invited learner of a launched rollout (outbox).

    Stamps ``invited_at``; idempotent (one invitation per enrollment). Returns the count.
    """
    if rollout.status is not RolloutStatus.LAUNCHED:
        return 0
    sent = 0
    while True:
        batch = db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.region_id == region.id,
                Enrollment.invited_at.is_(None),
                Enrollment.state == EnrollmentState.INVITED,
            )
            .order_by(Enrollment.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return sent
        now = datetime.now(tz=ZoneInfo("UTC"))
        for enrollment in batch:
            person = enrollment.person
            queue_email(
                kind="rollouts/invitation",
                to_address=person.email,
                to_name=person.name,
                idempotency_key=f"rollouts/invitation:{enrollment.id}",
                context=_email_context(enrollment, rollout),
                locale=person_locale(person, region),
                region_id=region.id,
                person_id=person.id,
            )
            enrollment.invited_at = now
            sent += 1
        db.session.flush()


def load_for_commit(enrollment_id: int, person_id: int) -> Enrollment | None:
    """The enrollment a commit link names, if it still belongs to that person."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.person_id != person_id:
        return None
    return enrollment


def commit_enrollment(
    *,
    region: Region,
    enrollment: Enrollment,
    goal: str,
    buddy: str = "",
    slot: StudySlot | None = None,
) -> bool:
    """The learner pledges: goal (required), a buddy they would like (an id or a name of
    the rollout's committed learners, see :func:`app.rollouts.commitment.resolve_buddy`;
    empty: "pair me") and their weekly study slot.

    Moves the enrollment to committed, records an audit event, sends
    ``enrollment_committed`` (approvals emails the manager) and a confirmation
    email. Returns False when already committed (a second click changes nothing).
    """
    goal = goal.strip()
    if enrollment.state is not EnrollmentState.INVITED:
        return False
    if enrollment.rollout.status is not RolloutStatus.LAUNCHED:
        raise CommitError("not_open")
    if len(goal) < 5:
        raise CommitError("goal_missing")
    if len(goal) > 2000:
        raise CommitError("goal_too_long")
    chosen = resolve_buddy(enrollment, buddy)
    enrollment.goal = goal
    # the pairing matches employee ids; the page never shows one
    enrollment.requested_buddy = chosen.person.employee_id if chosen else None
    if slot is not None:
        set_study_slot(enrollment=enrollment, slot=slot)
    enrollment.transition(EnrollmentState.COMMITTED)
    person: Person = enrollment.person
    record(
        region_id=region.id,
        action="enrollment.committed",
        obj=enrollment,
        actor=person,
        channel="link",
    )
    db.session.flush()
    queue_email(
        kind="rollouts/committed",
        to_address=person.email,
        to_name=person.name,
        idempotency_key=f"rollouts/committed:{enrollment.id}",
        context={
            "name": person.name,
            "program_title": enrollment.rollout.program.title,
            "goal": goal,
            "call_slot": call_slot(
                enrollment.rollout, person_locale(person, enrollment.rollout.region)
            ),
            "cohort_start": _long_date(enrollment.rollout.cohort_start, person, region),
        },
        locale=person_locale(person, region),
        region_id=region.id,
        person_id=person.id,
    )
    enrollment_committed.send(enrollment)
    log.info("enrollment %s committed", enrollment.id)
    return True


def remind_uncommitted(*, region: Region, now: datetime) -> int:
    """Remind invited learners who have not committed, every ``reminder_cadence_days``
    business days of the region (weekends and public holidays skipped), at most
    ``escalate_after_reminders`` times (at least once). Sends nothing on a day that is
    not a business day. Queues emails; stamps the enrollments. Returns the count.
    """
    today = now.astimezone(ZoneInfo(region.time_zone)).date()
    calendar = HolidayCalendar.of(region)
    if not calendar.is_business_day(today):
        return 0
    limit = max(region.escalate_after_reminders, 1)
    zone = ZoneInfo(region.time_zone)
    sent = 0
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Enrollment)
            .join(Rollout, Rollout.id == Enrollment.rollout_id)
            .where(
                Enrollment.region_id == region.id,
                Rollout.status == RolloutStatus.LAUNCHED,
                Enrollment.state == EnrollmentState.INVITED,
                Enrollment.invited_at.is_not(None),
                Enrollment.commit_reminders_sent < limit,
                Enrollment.id > last_id,
            )
            .order_by(Enrollment.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return sent
        last_id = batch[-1].id
        for enrollment in batch:
            since = (enrollment.last_reminded_at or enrollment.invited_at).astimezone(zone).date()
            if calendar.business_days_between(since, today) < region.reminder_cadence_days:
                continue
            number = enrollment.commit_reminders_sent + 1
            person = enrollment.person
            queue_email(
                kind="rollouts/reminder",
                to_address=person.email,
                to_name=person.name,
                idempotency_key=f"rollouts/reminder:{enrollment.id}:{number}",
                context={**_email_context(enrollment, enrollment.rollout), "number": number},
                locale=person_locale(person, region),
                region_id=region.id,
                person_id=person.id,
            )
            enrollment.commit_reminders_sent = number
            enrollment.last_reminded_at = now
            sent += 1
        db.session.flush()


def preview_invitation(*, rollout: Rollout, lang: str, learner_name: str) -> RenderedEmail:
    """The invitation as learners of ``lang`` will read it (a stand-in name and no working
    link: a preview must not carry a real learner's signed link). Sends nothing."""
    region = rollout.region
    program = rollout.program
    return render_email(
        "rollouts/invitation",
        locale=lang,
        time_zone=region.time_zone,
        context={
            "name": learner_name,
            "program_title": program.title,
            "provider": program.provider,
            "hours_per_week": program.hours_per_week,
            "call_slot": call_slot(rollout, lang),
            "cohort_start": rollout.cohort_start.isoformat(),
            "sponsor_message": rollout.sponsor_message,
            "commit_url": "#preview",
            "region_name": region.name,
        },
    )
