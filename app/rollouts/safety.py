"""Launching, closing and reopening a rollout, safely: what each will do and to whom
(counted set-based before the lead confirms), and the reopening that undoes a close."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.audit.services import record
from app.auth.models import StaffUser
from app.db import utcnow
from app.extensions import db
from app.language import gettext, language_of
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.rollouts.onboarding import queue_invitations
from app.rollouts.services import RolloutError

#: the learners whose weeks a close stops: reminders, weekly emails, calls, term reviews
IN_PROGRAM = (
    EnrollmentState.COMMITTED,
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
)


@dataclass(frozen=True)
class Audience:
    """Who an action emails: how many, and how many in each language (most first)."""

    total: int = 0
    by_language: list[tuple[str, int]] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        return [code for code, _ in self.by_language]


def invitation_audience(rollout: Rollout) -> Audience:
    """The learners launching (or reopening) emails an invitation: on the roster, invited
    state, not yet emailed; by the language their invitation is written in. One grouped
    query."""
    rows = db.session.execute(
        select(Person.locale, func.count())
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.state == EnrollmentState.INVITED,
            Enrollment.invited_at.is_(None),
        )
        .group_by(Person.locale)
    )
    counts: Counter[str] = Counter()
    for locale, n in rows:
        counts[language_of(locale, rollout.region.locale)] += n
    return Audience(total=sum(counts.values()), by_language=counts.most_common())


def pairing_audience(rollout: Rollout) -> Audience:
    """The committed learners without a buddy whom pairing puts in a group and emails an
    introduction, by language. One grouped query."""
    rows = db.session.execute(
        select(Person.locale, func.count())
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.state.in_(IN_PROGRAM),
            Enrollment.buddy_group.is_(None),
        )
        .group_by(Person.locale)
    )
    counts: Counter[str] = Counter()
    for locale, n in rows:
        counts[language_of(locale, rollout.region.locale)] += n
    return Audience(total=sum(counts.values()), by_language=counts.most_common())


@dataclass(frozen=True)
class CloseImpact:
    """What closing a rollout stops, counted before the lead confirms."""

    #: committed, time approved or active: their reminders, weekly emails, calls and term
    #: reviews stop
    in_program: int
    #: invited and not committed: their commit links stop working
    uncommitted: int
    completed: int
    #: days after closing when the rollout's personal data is erased
    retention_days: int


def close_impact(rollout: Rollout) -> CloseImpact:
    """Counts of the learners a close concerns, in one grouped query. Changes nothing."""
    in_program, uncommitted, completed = db.session.execute(
        select(
            func.coalesce(func.sum(case((Enrollment.state.in_(IN_PROGRAM), 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((Enrollment.state == EnrollmentState.INVITED, 1), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((Enrollment.state == EnrollmentState.COMPLETED, 1), else_=0)), 0
            ),
        ).where(Enrollment.rollout_id == rollout.id)
    ).one()
    return CloseImpact(
        in_program=int(in_program),
        uncommitted=int(uncommitted),
        completed=int(completed),
        retention_days=rollout.region.retention_days,
    )


def close_rollout(
    *,
    region: Region,
    rollout: Rollout,
    actor: StaffUser | None,
    reason: str,
    channel: str = "web",
    now: datetime | None = None,
) -> bool:
    """launched → closed: no more invitations, reminders, commitments, calls or term
    reviews (audited with who and why). Sends nothing. Returns False when already closed
    (a second click changes nothing); raises RolloutError for a draft or without a reason.
    """
    if rollout.status is RolloutStatus.CLOSED:
        return False
    if rollout.status is not RolloutStatus.LAUNCHED:
        raise RolloutError(gettext("Only a launched rollout can be closed."))
    reason = reason.strip()
    if not reason:
        raise RolloutError({"reason": gettext("Say why you close the rollout.")})
    rollout.status = RolloutStatus.CLOSED
    rollout.closed_at = now or utcnow()
    db.session.flush()
    record(
        region_id=region.id,
        action="rollout.closed",
        obj=rollout,
        actor=actor,
        channel=channel,
        data={"reason": reason},
    )
    return True


def reopen_rollout(
    *,
    region: Region,
    rollout: Rollout,
    actor: StaffUser | None,
    reason: str = "",
    channel: str = "web",
) -> bool:
    """closed → launched again, while its personal data is kept (audited with who and why).

    Reopening restores what closing stopped — reminders, commit links, weekly emails,
    calls, term reviews — for the learners as they were; nobody already invited is invited
    again, and learners added to the roster meanwhile get their invitation (the same job
    as at launch). Returns False when already launched (a second click); raises
    RolloutError for a draft or an erased rollout.
    """
    if rollout.status is RolloutStatus.LAUNCHED:
        return False
    if rollout.status is not RolloutStatus.CLOSED:
        raise RolloutError(gettext("Only a closed rollout can be reopened."))
    if rollout.personal_data_erased_at is not None:
        raise RolloutError(
            gettext(
                "This rollout's personal data was erased at the end of the retention "
                "period: it cannot be reopened. Adopt the program again instead."
            )
        )
    closed_at = rollout.closed_at
    rollout.status = RolloutStatus.LAUNCHED
    rollout.closed_at = None
    db.session.flush()
    record(
        region_id=region.id,
        action="rollout.reopened",
        obj=rollout,
        actor=actor,
        channel=channel,
        data={"reason": reason.strip(), "closed_at": closed_at.isoformat() if closed_at else None},
    )
    queue_invitations(region=region, rollout=rollout)
    return True
