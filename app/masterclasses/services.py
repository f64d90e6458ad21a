"""Master classes: who qualifies, invitations (exactly once), RSVP with capacity and
waitlist, promotion, calendar invitations, reminders and attendance.

Places are counted in ``MasterClass.seats_taken`` and only ever changed by an
atomic conditional ``UPDATE`` (``... SET seats_taken = seats_taken + 1 WHERE
seats_taken < capacity``). On PostgreSQL the second of two concurrent updates
waits for the first's row lock and re-checks the condition; on SQLite the UPDATE
is the transaction's first write and takes the database write lock (BEGIN
IMMEDIATE semantics, waiting out ``busy_timeout``). Either way two workers
accepting the last seat cannot both get it. Invitation rows change status only
through conditional UPDATEs too, so a double click never takes two places.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.masterclasses import emails
from app.masterclasses.eligibility import qualifying_enrollments, upcoming_classes
from app.masterclasses.models import (
    HOLDS_SEAT,
    InvitationStatus,
    MasterClass,
    MasterClassInvitation,
)
from app.masterclasses.signed import all_regions
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

#: statuses from which a learner may still ask for a place
_MAY_ACCEPT = (InvitationStatus.INVITED, InvitationStatus.DECLINED, InvitationStatus.WAITLISTED)


class RsvpClosed(Exception):
    """The class has started (or attendance is recorded): RSVPs no longer change anything."""


# --- invitations ------------------------------------------------------------------------


def _insert_invitations(
    master_class: MasterClass, rows: list[tuple[int, int]], now: datetime
) -> list[int]:
    """Insert the missing invitations; the unique (class, enrollment) key drops duplicates.

    Returns the ids actually inserted, so a concurrent sweep and completion handler
    invite (and email) each learner exactly once.
    """
    if not rows:
        return []
    table = MasterClassInvitation.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {
            "master_class_id": master_class.id,
            "enrollment_id": enrollment_id,
            "region_id": region_id,
            "status": InvitationStatus.INVITED,
            "invited_at": now,
        }
        for enrollment_id, region_id in rows
    ]
    stmt = (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["master_class_id", "enrollment_id"])
        .returning(table.c.id)
    )
    return list(db.session.execute(stmt).scalars())


def invite_qualifying(
    master_class: MasterClass,
    *,
    region_id: int | None = None,
    enrollment_id: int | None = None,
    now: datetime | None = None,
) -> list[MasterClassInvitation]:
    """Invite every qualifying completer not invited yet (optionally one region or learner).

    Creates invitation rows and queues one invitation email each; never invites twice.
    """
    now = now or utcnow()
    if master_class.starts_at <= now:
        return []
    stmt = qualifying_enrollments(master_class, region_id=region_id)
    if enrollment_id is not None:
        stmt = stmt.where(Enrollment.id == enrollment_id)
    rows = [(e_id, r_id) for e_id, r_id in db.session.execute(stmt)]
    created: list[MasterClassInvitation] = []
    for start in range(0, len(rows), 500):
        ids = _insert_invitations(master_class, rows[start : start + 500], now)
        if not ids:
            continue
        invitations = db.session.scalars(
            select(MasterClassInvitation).where(MasterClassInvitation.id.in_(ids))
        ).all()
        for invitation in invitations:
            emails.invitation_email(invitation)
            record(
                region_id=invitation.region_id,
                action="masterclass.invited",
                obj=invitation,
                channel="system",
                data={"master_class_id": master_class.id},
            )
        created.extend(invitations)
    db.session.flush()
    if created:
        log.info("master class %s: %s invitations", master_class.id, len(created))
    return created


def invite_on_completion(enrollment: Enrollment, *, now: datetime | None = None) -> int:
    """Invite a learner who just completed to every upcoming class they qualify for.

    Creates invitations and queues their emails; returns how many were created.
    """
    now = now or utcnow()
    count = 0
    classes = upcoming_classes(
        program_ids=[enrollment.rollout.program_id], region_id=enrollment.region_id, now=now
    )
    for master_class in classes:
        count += len(invite_qualifying(master_class, enrollment_id=enrollment.id, now=now))
    return count


def due_masterclass_invitations(*, region: Region, now: datetime | None = None) -> int:
    """The daily sweep: invite anyone in ``region`` who qualifies and was missed.

    Also gives freed places to the waitlist. Creates invitations and queues emails.
    """
    now = now or utcnow()
    program_ids = db.session.scalars(
        select(Rollout.program_id).where(Rollout.region_id == region.id).distinct()
    ).all()
    count = 0
    for master_class in upcoming_classes(program_ids=program_ids, region_id=region.id, now=now):
        count += len(invite_qualifying(master_class, region_id=region.id, now=now))
        promote_waitlist(master_class_id=master_class.id, now=now)
    return count


# --- RSVP -------------------------------------------------------------------------------


def _take_seat(master_class_id: int) -> bool:
    result = db.session.execute(
        update(MasterClass)
        .where(MasterClass.id == master_class_id, MasterClass.seats_taken < MasterClass.capacity)
        .values(seats_taken=MasterClass.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _give_back_seat(master_class_id: int) -> None:
    db.session.execute(
        update(MasterClass)
        .where(MasterClass.id == master_class_id, MasterClass.seats_taken > 0)
        .values(seats_taken=MasterClass.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def _move(invitation_id: int, *, from_statuses: Iterable[InvitationStatus], **values: Any) -> bool:
    """Change one invitation only if it is still in ``from_statuses`` (atomic)."""
    result = db.session.execute(
        update(MasterClassInvitation)
        .where(
            MasterClassInvitation.id == invitation_id,
            MasterClassInvitation.status.in_(list(from_statuses)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _anyone_waiting(master_class_id: int) -> bool:
    """Whether the class has a waitlist, in every region (a global class's spans them all)."""

    with all_regions():
        return (
            db.session.scalar(
                select(MasterClassInvitation.id)
                .where(
                    MasterClassInvitation.master_class_id == master_class_id,
                    MasterClassInvitation.status == InvitationStatus.WAITLISTED,
                )
                .limit(1)
            )
            is not None
        )


def _check_open(invitation: MasterClassInvitation, now: datetime) -> None:
    if invitation.master_class.starts_at <= now or invitation.attendance_recorded_at:
        raise RsvpClosed()


def accept_invitation(
    invitation: MasterClassInvitation, *, actor: Any = None, now: datetime | None = None
) -> InvitationStatus:
    """The learner asks for a place: accepted if one is free, otherwise waitlisted.

    Takes a seat atomically; queues the confirmation with an ICS (or the waitlist
    email); audits. A second click changes nothing. Raises RsvpClosed after the start.
    """
    now = now or utcnow()
    _check_open(invitation, now)
    if invitation.status in HOLDS_SEAT or invitation.status == InvitationStatus.WAITLISTED:
        return invitation.status  # the waitlist's order decides (promote_waitlist)
    master_class_id = invitation.master_class_id
    action = None
    # nobody jumps the queue: while anyone waits, a freed place is theirs (promote_waitlist)
    # the seat UPDATE is this transaction's first write: on SQLite it takes the write lock
    if not _anyone_waiting(master_class_id) and _take_seat(master_class_id):
        if _move(
            invitation.id,
            from_statuses=_MAY_ACCEPT,
            status=InvitationStatus.ACCEPTED,
            responded_at=now,
            waitlisted_at=None,
        ):
            action = "masterclass.rsvp_accepted"
        else:
            _give_back_seat(master_class_id)  # a concurrent click of the same learner won
    elif _move(
        invitation.id,
        from_statuses=(InvitationStatus.INVITED, InvitationStatus.DECLINED),
        status=InvitationStatus.WAITLISTED,
        responded_at=now,
        waitlisted_at=now,
    ):
        action = "masterclass.rsvp_waitlisted"
    _after_status_change(invitation)
    if action == "masterclass.rsvp_accepted":
        emails.place_email(invitation, promoted=False)
    elif action is not None:
        emails.send(invitation, "masterclasses/waitlisted", key=now.isoformat())
    if action is not None:
        record(
            region_id=invitation.region_id,
            action=action,
            obj=invitation,
            actor=actor,
            channel="link",
        )
    db.session.flush()
    return invitation.status


def decline_invitation(
    invitation: MasterClassInvitation, *, actor: Any = None, now: datetime | None = None
) -> InvitationStatus:
    """The learner declines (or gives up a place or a waitlist spot).

    A freed place goes to the next on the waitlist in a job after commit (the
    waitlist of a global class spans regions). Queues a calendar cancellation when
    a place is given up; audits. A second click changes nothing.
    """
    now = now or utcnow()
    _check_open(invitation, now)
    held = invitation.status == InvitationStatus.ACCEPTED
    if invitation.status == InvitationStatus.DECLINED:
        return invitation.status
    if not _move(
        invitation.id,
        from_statuses=(
            InvitationStatus.INVITED,
            InvitationStatus.WAITLISTED,
            InvitationStatus.ACCEPTED,
        ),
        status=InvitationStatus.DECLINED,
        responded_at=now,
        waitlisted_at=None,
    ):
        _after_status_change(invitation)
        return invitation.status
    _after_status_change(invitation)
    if held:
        _give_back_seat(invitation.master_class_id)
        emails.cancellation_email(invitation, now)
        enqueue_after_commit(
            "jobs.masterclasses.promote_waitlist",
            invitation.master_class_id,
            job_id=f"masterclass-promote-{invitation.master_class_id}-{int(now.timestamp())}",
        )
    record(
        region_id=invitation.region_id,
        action="masterclass.rsvp_declined",
        obj=invitation,
        actor=actor,
        channel="link",
        data={"gave_up_place": held},
    )
    db.session.flush()
    return invitation.status


def promote_waitlist(*, master_class_id: int, now: datetime | None = None) -> list[int]:
    """Give every free place to the longest-waiting learners (by ``waitlisted_at``).

    Each promoted learner is told (email with the ICS); audited. Safe to run
    concurrently: seats and invitations change by conditional UPDATEs only.
    Returns the promoted invitation ids.
    """
    now = now or utcnow()
    master_class = db.session.get(MasterClass, master_class_id)
    if master_class is None or master_class.starts_at <= now:
        return []
    promoted: list[int] = []
    skipped: set[int] = set()
    while True:
        candidate = db.session.scalars(
            select(MasterClassInvitation.id)
            .where(
                MasterClassInvitation.master_class_id == master_class_id,
                MasterClassInvitation.status == InvitationStatus.WAITLISTED,
                MasterClassInvitation.id.not_in(skipped or {0}),
            )
            .order_by(MasterClassInvitation.waitlisted_at, MasterClassInvitation.id)
            .limit(1)
        ).first()
        if candidate is None or not _take_seat(master_class_id):
            break
        if not _move(
            candidate,
            from_statuses=(InvitationStatus.WAITLISTED,),
            status=InvitationStatus.ACCEPTED,
            promoted_at=now,
        ):
            _give_back_seat(master_class_id)
            skipped.add(candidate)
            continue
        invitation = db.session.get(MasterClassInvitation, candidate)
        assert invitation is not None
        db.session.refresh(invitation)
        emails.place_email(invitation, promoted=True)
        record(
            region_id=invitation.region_id,
            action="masterclass.promoted",
            obj=invitation,
            channel="system",
        )
        promoted.append(candidate)
    db.session.expire(master_class)
    db.session.flush()
    return promoted


def _after_status_change(invitation: MasterClassInvitation) -> None:
    db.session.refresh(invitation)
    db.session.refresh(invitation.master_class)


# --- reminders and attendance -------------------------------------------------------------


def due_masterclass_reminders(*, region: Region, now: datetime | None = None) -> int:
    """Remind learners of ``region`` holding a place in a class that starts tomorrow
    (region-local date) or sooner; once each. Queues emails; sets ``reminder_sent_at``."""
    now = now or utcnow()
    zone = ZoneInfo(region.time_zone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    day_after = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), zone)
    invitations = db.session.scalars(
        select(MasterClassInvitation)
        .join(MasterClass, MasterClass.id == MasterClassInvitation.master_class_id)
        .where(
            MasterClassInvitation.region_id == region.id,
            MasterClassInvitation.status == InvitationStatus.ACCEPTED,
            MasterClassInvitation.reminder_sent_at.is_(None),
            MasterClass.starts_at > now,
            MasterClass.starts_at < day_after.astimezone(UTC),
        )
        .order_by(MasterClassInvitation.id)
    ).all()
    for invitation in invitations:
        invitation.reminder_sent_at = now
        emails.send(invitation, "masterclasses/reminder", key="reminder")
    db.session.flush()
    return len(invitations)


def record_attendance(
    master_class: MasterClass,
    *,
    region_id: int,
    attended_ids: set[int],
    actor: Any,
    now: datetime | None = None,
) -> int:
    """Record who came (in one region): places held become attended or no-show.

    Only after the class started. Audits each change; returns how many changed.
    """
    now = now or utcnow()
    if master_class.starts_at > now:
        raise RsvpClosed()
    invitations = db.session.scalars(
        select(MasterClassInvitation).where(
            MasterClassInvitation.master_class_id == master_class.id,
            MasterClassInvitation.region_id == region_id,
            MasterClassInvitation.status.in_(list(HOLDS_SEAT)),
        )
    ).all()
    changed = 0
    for invitation in invitations:
        target = (
            InvitationStatus.ATTENDED if invitation.id in attended_ids else InvitationStatus.NO_SHOW
        )
        if invitation.status == target and invitation.attendance_recorded_at:
            continue
        invitation.status = target
        invitation.attendance_recorded_at = now
        changed += 1
        record(
            region_id=invitation.region_id,
            action=f"masterclass.{target.value}",
            obj=invitation,
            actor=actor,
            channel="web",
        )
    db.session.flush()
    return changed


# --- creating and editing -----------------------------------------------------------------


def save_master_class(
    *, master_class: MasterClass | None, values: dict[str, Any], actor: Any
) -> MasterClass:
    """Create or update a master class from validated ``values``; audits.

    A changed date, duration or place raises the calendar SEQUENCE and re-sends the
    ICS to everyone holding a place; a raised capacity goes to the waitlist.
    """
    creating = master_class is None
    if master_class is None:
        master_class = MasterClass(**values)
        db.session.add(master_class)
        changed_schedule = False
    else:
        watched = ("starts_at", "duration_minutes", "location", "join_url", "title")
        changed_schedule = any(getattr(master_class, k) != values[k] for k in watched)
        for key, value in values.items():
            setattr(master_class, key, value)
        if changed_schedule:
            master_class.sequence += 1
    db.session.flush()
    record(
        region_id=master_class.region_id,
        action="masterclass.created" if creating else "masterclass.updated",
        obj=master_class,
        actor=actor,
        channel="web",
    )
    if changed_schedule:
        for invitation in db.session.scalars(
            select(MasterClassInvitation).where(
                MasterClassInvitation.master_class_id == master_class.id,
                MasterClassInvitation.status == InvitationStatus.ACCEPTED,
            )
        ):
            emails.place_email(invitation, promoted=False, update=True)
    if not creating:
        enqueue_after_commit("jobs.masterclasses.promote_waitlist", master_class.id)
    return master_class
