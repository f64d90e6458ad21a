"""Confirming a free rider, safely: what it will do and to whom (before), the
confirmation itself with its reason (its emails held in the outbox for a grace period),
and its withdrawal within that grace period (the held emails cancelled)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.audit.services import record
from app.calls.invitations import rejoin_learner
from app.db import utcnow
from app.extensions import db
from app.language import gettext, language_of
from app.mail.models import OutboundEmail
from app.mail.services import cancel_held_emails, hold_emails, queue_email
from app.programs.models import Term
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState
from app.rollouts.signals import enrollment_left
from app.tasks import settings
from app.terms.common import ReviewError, _locale
from app.terms.models import TermClose, TermReview, Verdict

log = logging.getLogger(__name__)


def grace() -> timedelta:
    """How long a confirmation may be withdrawn (``SUMMIT_UNDO_GRACE_MINUTES``)."""
    return timedelta(minutes=settings().undo_grace_minutes)


@dataclass(frozen=True)
class ConfirmationPreview:
    """What confirming a candidate will do, shown before the lead confirms."""

    learner_name: str
    learner_language: str
    #: the manager's name and language; None when the roster names no manager
    manager: tuple[str, str] | None
    modules_done: int
    modules_expected: int
    grace_minutes: int


def confirmation_preview(*, region: Region, review: TermReview) -> ConfirmationPreview:
    """Who confirming ``review`` removes and emails, in which language. Changes nothing."""
    enrollment = db.session.get(Enrollment, review.enrollment_id)
    assert enrollment is not None
    learner = enrollment.person
    manager = learner.manager
    return ConfirmationPreview(
        learner_name=learner.name,
        learner_language=language_of(learner.locale, region.locale),
        manager=(manager.name, language_of(manager.locale, region.locale)) if manager else None,
        modules_done=review.modules_done,
        modules_expected=review.modules_expected,
        grace_minutes=settings().undo_grace_minutes,
    )


def confirm_free_rider(
    *,
    region: Region,
    review: TermReview,
    actor: Any,
    reason: str,
    now: datetime | None = None,
) -> bool:
    """Confirm a free-rider candidate: the learner is REMOVED from the program (audited
    with who and why, ``enrollment_left`` sent) and gets a respectful email, as does their
    manager. Every email this queues (theirs, the calls' cancellation) waits in the outbox
    until the grace period ends, when :func:`withdraw_confirmation` may still take it all
    back. Returns False when this review is already confirmed (a second click changes
    nothing); raises ReviewError for another decision or a missing reason. Flushes.
    """
    now = now or utcnow()
    reason = reason.strip()
    if review.verdict is Verdict.CONFIRMED_FREE_RIDER:
        return False
    if review.verdict is not Verdict.FREE_RIDER_CANDIDATE:
        raise ReviewError(gettext("this learner was already reviewed"))
    if not reason:
        raise ReviewError(gettext("say why you confirm: the reason is kept with the decision"))
    enrollment = db.session.get(Enrollment, review.enrollment_id)
    term = db.session.get(Term, review.term_id)
    assert enrollment is not None and term is not None
    first_new = _last_email_id()
    review.verdict = Verdict.CONFIRMED_FREE_RIDER
    review.reviewed_by_id = getattr(actor, "id", None)
    review.reviewed_at = now
    review.excuse_note = reason[:2000]
    review.removed_from_state = enrollment.state.value
    review.undo_until = now + grace()
    enrollment.transition(EnrollmentState.REMOVED, at=now)
    enrollment.left_reason = f"term {term.number}: required modules not done"
    data = {"term": term.number, "reason": reason, "undo_until": review.undo_until.isoformat()}
    record(
        region_id=region.id,
        action="term.confirmed_free_rider",
        obj=review,
        actor=actor,
        channel="web",
        data=data,
    )
    record(
        region_id=region.id,
        action="enrollment.removed",
        obj=enrollment,
        actor=actor,
        channel="web",
        data={"term": term.number},
    )
    enrollment_left.send(enrollment)
    _queue_removal_emails(region=region, review=review, enrollment=enrollment, term=term, by=actor)
    db.session.flush()
    # what the receivers queued for this learner too (the calls' cancellation)
    held = list(
        db.session.scalars(
            select(OutboundEmail.id).where(
                OutboundEmail.id > first_new,
                OutboundEmail.person_id.in_(_people(enrollment)),
            )
        )
    )
    hold_emails(email_ids=held, until=review.undo_until)
    review.held_email_ids = held
    db.session.flush()
    log.info("review %s: free rider confirmed by %s", review.id, getattr(actor, "id", None))
    return True


def _last_email_id() -> int:
    db.session.flush()
    return db.session.scalar(select(OutboundEmail.id).order_by(OutboundEmail.id.desc())) or 0


def _people(enrollment: Enrollment) -> list[int]:
    learner = enrollment.person
    return [learner.id, *([learner.manager.id] if learner.manager else [])]


def _queue_removal_emails(
    *, region: Region, review: TermReview, enrollment: Enrollment, term: Term, by: Any
) -> None:
    learner = enrollment.person
    context = {
        "learner_name": learner.name,
        "program_title": enrollment.rollout.program.title,
        "term_number": term.number,
        "term_title": term.title.strip(),
        "modules_done": review.modules_done,
        "modules_expected": review.modules_expected,
        "lead_name": getattr(by, "name", "Summit"),
    }
    queue_email(
        kind="terms/removed",
        to_address=learner.email,
        to_name=learner.name,
        idempotency_key=f"terms.removed.{review.id}",
        context=context,
        locale=_locale(learner, region),
        region_id=region.id,
        person_id=learner.id,
    )
    manager = learner.manager
    if manager is not None:
        queue_email(
            kind="terms/removed_manager",
            to_address=manager.email,
            to_name=manager.name,
            idempotency_key=f"terms.removed-manager.{review.id}",
            context={**context, "manager_name": manager.name},
            locale=_locale(manager, region),
            region_id=region.id,
            person_id=manager.id,
        )


def may_withdraw(review: TermReview, now: datetime | None = None) -> bool:
    """Whether the grace period of this confirmation still runs."""
    now = now or utcnow()
    return (
        review.verdict is Verdict.CONFIRMED_FREE_RIDER
        and review.undo_until is not None
        and now < review.undo_until
    )


def withdraw_confirmation(
    *, region: Region, review: TermReview, actor: Any, note: str = "", now: datetime | None = None
) -> None:
    """Take a free-rider confirmation back within its grace period: the held emails are
    cancelled (and the sponsors' outcome, if it waited for this one), the learner is back
    in the state they were removed from, back in the calls, and the review is a candidate
    again (audited). Raises ReviewError after the grace period or when an email already
    left. Flushes."""
    now = now or utcnow()
    if review.verdict is not Verdict.CONFIRMED_FREE_RIDER or review.removed_from_state is None:
        raise ReviewError(gettext("this learner is not a confirmed free rider"))
    if not may_withdraw(review, now):
        raise ReviewError(
            gettext(
                "the grace period is over and the emails have left: the learner and their "
                "manager were told. Talk to them directly if the decision was wrong"
            )
        )
    enrollment = db.session.get(Enrollment, review.enrollment_id)
    term = db.session.get(Term, review.term_id)
    assert enrollment is not None and term is not None
    sponsor_ids = _sponsor_outcome_ids(enrollment.rollout_id, term.id)
    if not cancel_held_emails(email_ids=[*(review.held_email_ids or []), *sponsor_ids], now=now):
        raise ReviewError(
            gettext(
                "an email of this decision has already left the outbox: the learner and "
                "their manager may have been told. Talk to them directly"
            )
        )
    if sponsor_ids:
        closing = db.session.scalars(
            select(TermClose).where(
                TermClose.rollout_id == enrollment.rollout_id, TermClose.term_id == term.id
            )
        ).one()
        closing.sponsors_told_at = None
    removed_at = review.reviewed_at
    # an undo, not a transition: REMOVED has no way out in the state machine
    enrollment.state = EnrollmentState(review.removed_from_state)
    enrollment.left_at = None
    enrollment.left_reason = None
    if removed_at is not None:
        rejoin_learner(enrollment=enrollment, left_since=removed_at)
    record(
        region_id=region.id,
        action="term.confirmation_withdrawn",
        obj=review,
        actor=actor,
        channel="web",
        data={
            "term": term.number,
            "note": note.strip(),
            "restored_state": review.removed_from_state,
            "cancelled_emails": len(review.held_email_ids or []) + len(sponsor_ids),
        },
    )
    review.verdict = Verdict.FREE_RIDER_CANDIDATE
    review.reviewed_by_id = None
    review.reviewed_at = None
    review.excuse_note = None
    review.removed_from_state = None
    review.undo_until = None
    review.held_email_ids = None
    db.session.flush()
    log.info("review %s: confirmation withdrawn by %s", review.id, getattr(actor, "id", None))


def _sponsor_outcome_ids(rollout_id: int, term_id: int) -> list[int]:
    """The sponsors' outcome emails of this term (sent once every candidate was reviewed)."""
    prefix = f"terms.outcome.{rollout_id}.{term_id}."
    return list(
        db.session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.idempotency_key.startswith(prefix))
        )
    )


def hold_sponsor_outcome_until(rollout_id: int, term_id: int, now: datetime) -> datetime | None:
    """The end of the latest grace period still running among this term's confirmations:
    the sponsors' outcome waits for it (a withdrawn confirmation changes the counts)."""
    latest = db.session.scalar(
        select(func.max(TermReview.undo_until))
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .where(
            TermReview.term_id == term_id,
            Enrollment.rollout_id == rollout_id,
            TermReview.verdict == Verdict.CONFIRMED_FREE_RIDER,
        )
    )
    return latest if latest is not None and latest > now else None
