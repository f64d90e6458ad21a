"""Who is invited to a region's master class: the learners who completed (on completion, or
in the daily sweep), once each, with the invitation email in the outbox.

Set-based, page by page (:data:`PAGE` learners): one keyset SELECT of the qualifying
learners with what their email needs, one ``INSERT … SELECT … ON CONFLICT DO NOTHING
RETURNING`` of their invitations (only the rows this run inserted get an email, so a
concurrent sweep and completion handler invite each learner once), one multi-row INSERT of
the outbox rows (rendered once per language and zone) and one of the audit events. A fixed
number of statements a page and no ORM objects: the memory of a page, whatever the number of
completers. One delivery job after commit; the outbox's workers deliver.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.audit.models import AuditEvent
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboundEmail
from app.mail.services import schedule_delivery
from app.masterclasses import emails
from app.masterclasses.eligibility import qualifying_enrollments, upcoming_classes
from app.masterclasses.models import (
    InvitationStatus,
    MasterClass,
    MasterClassInvitation,
)
from app.masterclasses.services import promote_waitlist
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout

log = logging.getLogger(__name__)

#: learners a page: each page is four statements (select, invitations, outbox, audit)
PAGE = 500


def _dialect_insert() -> Any:
    dialect = db.session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _insert_invitations(
    master_class: MasterClass, enrollment_ids: list[int], now: datetime
) -> dict[int, int]:
    """Insert the missing invitations (``INSERT … SELECT`` of the page's enrollments: one
    cached statement); the unique (class, enrollment) key drops duplicates.

    Returns {enrollment id: invitation id} of the rows actually inserted, so a concurrent
    sweep and completion handler invite (and email) each learner exactly once.
    """
    if not enrollment_ids:
        return {}
    table = MasterClassInvitation.__table__
    source = select(
        literal(master_class.id),
        Enrollment.id,
        Enrollment.region_id,
        literal(InvitationStatus.INVITED.value, table.c.status.type),
        literal(now, table.c.invited_at.type),
    ).where(Enrollment.id.in_(enrollment_ids))
    stmt = (
        _dialect_insert()(table)
        .from_select(
            ["master_class_id", "enrollment_id", "region_id", "status", "invited_at"], source
        )
        .on_conflict_do_nothing(index_elements=["master_class_id", "enrollment_id"])
        .returning(table.c.enrollment_id, table.c.id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _invitees(
    master_class: MasterClass, *, region_id: int | None, enrollment_id: int | None
) -> Any:
    """The qualifying learners (keyset on the enrollment id) with what their email needs."""
    home, invited_in = aliased(Region), aliased(Region)
    stmt = qualifying_enrollments(master_class, region_id=region_id)
    if enrollment_id is not None:
        stmt = stmt.where(Enrollment.id == enrollment_id)
    return (
        stmt.join(Person, Person.id == Enrollment.person_id)
        .join(home, home.id == Person.region_id)
        .join(invited_in, invited_in.id == Enrollment.region_id)
        .add_columns(
            invited_in.locale,
            invited_in.time_zone,
            Person.id,
            Person.email,
            Person.name,
            Person.locale,
            Person.time_zone,
            home.locale,
            home.time_zone,
        )
    )


def _invite_pages(
    master_class: MasterClass,
    *,
    region_id: int | None,
    enrollment_id: int | None,
    now: datetime,
    page: int = PAGE,
) -> Iterator[list[int]]:
    """Invite page by page; yields the ids of each page's new invitations. Flushes."""
    if master_class.starts_at <= now:
        return
    candidates = _invitees(master_class, region_id=region_id, enrollment_id=enrollment_id)
    mails = emails.InvitationEmails(master_class)
    outbox = _dialect_insert()(OutboundEmail).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    after, queued, stamp = 0, False, utcnow()
    while True:
        rows = (
            db.session.execute(candidates.where(Enrollment.id > after).limit(page)).tuples().all()
        )
        if not rows:
            break
        after = rows[-1][0]
        created = _insert_invitations(master_class, [r[0] for r in rows], now)
        if created:
            invitees = [
                emails.Invitee(created[r[0]], r[0], r[1], *r[2:]) for r in rows if r[0] in created
            ]
            outbox_rows = [row for i in invitees if (row := mails.row(i, now)) is not None]
            if outbox_rows:
                db.session.execute(outbox, outbox_rows)
                queued = True
            db.session.execute(
                insert(AuditEvent),
                [
                    {
                        "at": stamp,
                        "region_id": i.region_id,
                        "actor_type": "system",
                        "actor_id": None,
                        "actor_label": "Summit",
                        "action": "masterclass.invited",
                        "object_type": MasterClassInvitation.__tablename__,
                        "object_id": i.invitation_id,
                        "channel": "system",
                        "data": {"master_class_id": master_class.id},
                    }
                    for i in invitees
                ],
            )
            yield sorted(created.values())
        if len(rows) < page:
            break
    if queued:
        schedule_delivery()
    db.session.flush()


def invite_completers(
    master_class: MasterClass,
    *,
    region_id: int | None = None,
    enrollment_id: int | None = None,
    now: datetime | None = None,
    page: int = PAGE,
) -> int:
    """Invite every qualifying completer not invited yet (optionally one region or learner);
    returns how many. Queues one invitation email each; never invites twice. Memory and
    statements per ``page`` of learners, whatever the number of completers. Flushes."""
    now = now or utcnow()
    count = 0
    for ids in _invite_pages(
        master_class, region_id=region_id, enrollment_id=enrollment_id, now=now, page=page
    ):
        count += len(ids)
    if count:
        log.info("master class %s: %s invitations", master_class.id, count)
    return count


def invite_qualifying(
    master_class: MasterClass,
    *,
    region_id: int | None = None,
    enrollment_id: int | None = None,
    now: datetime | None = None,
) -> list[MasterClassInvitation]:
    """:func:`invite_completers`, returning the new invitations (in id order) for callers
    that act on each (the demo, tests): a list as long as the learners invited."""
    now = now or utcnow()
    ids = [
        invitation_id
        for page in _invite_pages(
            master_class, region_id=region_id, enrollment_id=enrollment_id, now=now
        )
        for invitation_id in page
    ]
    if ids:
        log.info("master class %s: %s invitations", master_class.id, len(ids))
    return [
        invitation
        for start in range(0, len(ids), PAGE)
        for invitation in db.session.scalars(
            select(MasterClassInvitation)
            .where(MasterClassInvitation.id.in_(ids[start : start + PAGE]))
            .order_by(MasterClassInvitation.id)
        )
    ]


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
        count += invite_completers(master_class, enrollment_id=enrollment.id, now=now)
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
        count += invite_completers(master_class, region_id=region.id, now=now)
        promote_waitlist(master_class_id=master_class.id, now=now)
    return count
