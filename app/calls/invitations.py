"""Who holds the call series in their calendar: hosts and active learners."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, select

from app.calls import emails
from app.calls.calendar import rollout_sessions
from app.calls.meetings import join_url_for
from app.calls.models import CallInvitation, CallSession, CallStatus
from app.db import utcnow
from app.extensions import db
from app.language import person_locale
from app.people.models import Person, normalise_email
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

#: learners who are invited to the calls
CALL_STATES = (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
#: learners whose invitation is withdrawn (completed learners keep theirs)
LEFT_STATES = (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)


def upcoming_sessions(rollout_id: int, now: datetime) -> list[CallSession]:
    return list(
        db.session.scalars(
            select(CallSession)
            .where(
                CallSession.rollout_id == rollout_id,
                CallSession.status == CallStatus.SCHEDULED,
                CallSession.starts_at > now,
            )
            .order_by(CallSession.starts_at)
        )
    )


def active_invitations(rollout_id: int) -> list[CallInvitation]:
    return list(
        db.session.scalars(
            select(CallInvitation)
            .where(CallInvitation.rollout_id == rollout_id, CallInvitation.left_at.is_(None))
            .order_by(CallInvitation.id)
        )
    )


def invite_attendees(
    *, region: Region, rollout: Rollout, now: datetime | None = None, notify: bool = True
) -> tuple[int, int]:
    """Bring the invitation list in line with the rollout: hosts and active learners.

    New invitees get the series (one recurring event in invite.ics, see
    ``app.calls.calendar``); learners who left the program and former hosts get a
    cancellation of what they hold.
    Returns (invited, withdrawn).
    """
    now = now or utcnow()
    upcoming = upcoming_sessions(rollout.id, now)
    current = {
        inv.email: inv
        for inv in db.session.scalars(
            select(CallInvitation).where(CallInvitation.rollout_id == rollout.id)
        )
    }
    new: list[CallInvitation] = []
    wanted_hosts: set[str] = set()
    for host in (rollout.expert, rollout.hr_partner):
        if host is None:
            continue
        email = normalise_email(host.email)
        wanted_hosts.add(email)
        if email not in current:
            inv = CallInvitation(
                region_id=region.id,
                rollout_id=rollout.id,
                notified_at=None if notify else now,
                series_sent_at=None if notify else now,
                email=email,
                name=host.name,
                staff_user_id=host.id,
                role="host",
                time_zone=region.time_zone,
                locale=region.locale,
            )
            new.append(inv)
            current[email] = inv
    # learners active in the program without an invitation (one outer join)
    rows = db.session.execute(
        select(Person)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .outerjoin(
            CallInvitation,
            and_(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.email == Person.email,
            ),
        )
        .where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.state.in_(CALL_STATES),
            CallInvitation.id.is_(None),
        )
        .order_by(Person.id)
    ).scalars()
    for person in rows:
        inv = CallInvitation(
            region_id=region.id,
            rollout_id=rollout.id,
            notified_at=None if notify else now,
            series_sent_at=None if notify else now,
            email=person.email,
            name=person.name,
            person_id=person.id,
            role="learner",
            time_zone=person.time_zone or region.time_zone,
            locale=person_locale(person, region),
        )
        new.append(inv)
    db.session.add_all(new)
    db.session.flush()
    # a learner invited before, who left then came back, is invited again
    rejoined = db.session.scalars(
        select(CallInvitation)
        .join(Enrollment, Enrollment.person_id == CallInvitation.person_id)
        .where(
            CallInvitation.rollout_id == rollout.id,
            CallInvitation.left_at.is_not(None),
            Enrollment.rollout_id == rollout.id,
            Enrollment.state.in_(CALL_STATES),
        )
    ).all()
    for inv in rejoined:
        inv.left_at = None
        inv.invited_at = now
        inv.notified_at = None if notify else now
        if not notify:
            inv.series_sent_at = now
    leaving = list(
        db.session.scalars(
            select(CallInvitation)
            .join(Enrollment, Enrollment.person_id == CallInvitation.person_id)
            .where(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.left_at.is_(None),
                Enrollment.rollout_id == rollout.id,
                Enrollment.state.in_(LEFT_STATES),
            )
        )
    )
    leaving += [
        inv
        for inv in current.values()
        if inv.role == "host" and inv.left_at is None and inv.email not in wanted_hosts
    ]
    if notify and (new or rejoined):
        enqueue_after_commit("jobs.calls.send_invitations", rollout.id, queue="default")
    sessions = rollout_sessions(rollout.id) if notify and upcoming and leaving else []
    for inv in leaving:
        inv.left_at = now
        if notify and upcoming:
            emails.send_withdrawal(
                rollout=rollout, invitee=inv, upcoming=upcoming, sessions=sessions, now=now
            )
    db.session.flush()
    if new or leaving:
        log.info(
            "rollout %s: %s invited, %s withdrawn from calls", rollout.id, len(new), len(leaving)
        )
    return len(new) + len(rejoined), len(leaving)


def send_pending_invitations(
    *, rollout: Rollout, now: datetime | None = None, batch: int = 1000
) -> int:
    """Queue the series invitation (one recurring event in invite.ics: the same UID for
    everyone, whenever they join) for up to ``batch`` invitees not yet notified; marks
    them ``notified_at`` and ``series_sent_at``. Run by a job
    (it re-enqueues itself while more remain). Returns the number queued."""
    now = now or utcnow()
    pending = list(
        db.session.scalars(
            select(CallInvitation)
            .where(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.left_at.is_(None),
                CallInvitation.notified_at.is_(None),
            )
            .order_by(CallInvitation.id)
            .limit(batch)
        )
    )
    upcoming = upcoming_sessions(rollout.id, now)
    sessions = rollout_sessions(rollout.id) if pending else []
    for inv in pending:
        emails.send_to_invitee(
            kind="calls/invitation",
            key=f"calls/invitation/{inv.id}/{int(inv.invited_at.timestamp())}",
            rollout=rollout,
            invitee=inv,
            context={
                "sessions": emails.session_lines(upcoming, inv),
                "join_url": join_url_for(rollout),
                "duration": rollout.call_duration_minutes,
                "host": inv.role == "host",
            },
            attachments=emails.series_invite(rollout, inv, sessions) if upcoming else [],
        )
        inv.notified_at = now
        inv.series_sent_at = now
    db.session.flush()
    if len(pending) == batch:
        enqueue_after_commit("jobs.calls.send_invitations", rollout.id, queue="default")
    return len(pending)


def withdraw_learner(*, enrollment: Enrollment, now: datetime | None = None) -> bool:
    """A learner left the program: cancel the calls they hold (METHOD:CANCEL of the
    series in cancel.ics) and stop inviting them. Returns False when they held no invitation."""
    now = now or utcnow()
    inv = db.session.scalars(
        select(CallInvitation).where(
            CallInvitation.rollout_id == enrollment.rollout_id,
            CallInvitation.person_id == enrollment.person_id,
            CallInvitation.left_at.is_(None),
        )
    ).one_or_none()
    if inv is None:
        return False
    inv.left_at = now
    upcoming = upcoming_sessions(enrollment.rollout_id, now)
    if upcoming:
        emails.send_withdrawal(
            rollout=enrollment.rollout,
            invitee=inv,
            upcoming=upcoming,
            sessions=rollout_sessions(enrollment.rollout_id),
            now=now,
        )
    db.session.flush()
    return True


def rejoin_learner(*, enrollment: Enrollment, left_since: datetime) -> bool:
    """Undo :func:`withdraw_learner` for a leaving taken back (a free-rider confirmation
    withdrawn within its grace period, its cancellation email cancelled with it): the
    learner holds their invitation again. Returns False when they held none."""
    inv = db.session.scalars(
        select(CallInvitation)
        .where(
            CallInvitation.rollout_id == enrollment.rollout_id,
            CallInvitation.person_id == enrollment.person_id,
            CallInvitation.left_at >= left_since,
        )
        .order_by(CallInvitation.id.desc())
        .limit(1)
    ).one_or_none()
    if inv is None:
        return False
    inv.left_at = None
    db.session.flush()
    return True
