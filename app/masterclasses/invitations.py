"""Who is invited to a region's master class: the learners who completed (on completion, or
in the daily sweep), once each, with the invitation email in the outbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.masterclasses import emails
from app.masterclasses.eligibility import qualifying_enrollments, upcoming_classes
from app.masterclasses.models import (
    InvitationStatus,
    MasterClass,
    MasterClassInvitation,
)
from app.masterclasses.services import promote_waitlist
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout

log = logging.getLogger(__name__)


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
