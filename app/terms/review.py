"""The review of free-rider candidates and what goes up to sponsors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import _
from app.mail.services import hold_emails, queue_email
from app.people.models import Person
from app.programs.models import Term
from app.readcache import read_cache
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.rollouts.signals import enrollment_left
from app.terms.common import ReviewError
from app.terms.confirming import hold_sponsor_outcome_until
from app.terms.models import ExcuseReason, TermClose, TermReview, Verdict

log = logging.getLogger(__name__)


# --- review -------------------------------------------------------------------------------


def excuse(
    *,
    region: Region,
    review: TermReview,
    reason: ExcuseReason,
    note: str,
    actor: Any,
    withdraw: bool = False,
    now: datetime | None = None,
) -> TermReview:
    """Excuse a free-rider candidate (audited); with ``withdraw`` the learner also leaves the
    program as WITHDRAWN (``enrollment_left`` sent). Raises ReviewError on a second review
    and when ``note`` (why the learner is kept) is empty or blank: every caller, the web
    form, the CLI or a script, must give a reason."""
    now = now or utcnow()
    if review.verdict is not Verdict.FREE_RIDER_CANDIDATE:
        raise ReviewError(_("this learner was already reviewed"))
    if not note.strip():
        raise ReviewError(_("say why you keep this learner: a reason is required"))
    review.verdict = Verdict.EXCUSED
    review.excuse_reason = reason.value
    review.excuse_note = note.strip() or None
    review.reviewed_by_id = getattr(actor, "id", None)
    review.reviewed_at = now
    record(
        region_id=region.id,
        action="term.excused",
        obj=review,
        actor=actor,
        channel="web",
        data={"reason": reason.value, "note": note.strip(), "withdraw": withdraw},
    )
    if withdraw:
        enrollment = db.session.get(Enrollment, review.enrollment_id)
        assert enrollment is not None
        enrollment.transition(EnrollmentState.WITHDRAWN, at=now)
        enrollment.left_reason = f"{reason.label}: {note.strip()}" if note.strip() else reason.label
        record(
            region_id=region.id,
            action="enrollment.withdrawn",
            obj=enrollment,
            actor=actor,
            channel="web",
            data={"reason": reason.value},
        )
        enrollment_left.send(enrollment)
    db.session.flush()
    return review


# --- what goes up to sponsors -------------------------------------------------------------


@dataclass
class TermOutcome:
    """A term's outcome as sponsors may see it: names only under the ``named`` policy."""

    term: Term
    closed: bool
    on_track: int
    candidates: int
    excused: int
    removed: int
    #: names of removed learners; empty (never filled) under the ``aggregate`` policy
    removed_names: list[tuple[str, str]]
    names_individuals: bool
    #: reviews whose buddy sign-off was asked for and not given yet
    buddy_missing: int = 0


def term_outcome(*, region: Region, rollout: Rollout, term: Term) -> TermOutcome:
    """Counts per verdict and of missing buddy sign-offs (one grouped query) and, only
    where the region's policy names individuals, who was removed."""
    counts, buddy_missing, names, closed = _outcome_figures(
        rollout.id, term.id, region.names_individuals
    )
    return TermOutcome(
        term=term,
        closed=closed,
        on_track=counts.get(Verdict.ON_TRACK, 0),
        candidates=counts.get(Verdict.FREE_RIDER_CANDIDATE, 0),
        excused=counts.get(Verdict.EXCUSED, 0),
        removed=counts.get(Verdict.CONFIRMED_FREE_RIDER, 0),
        removed_names=names,
        names_individuals=region.names_individuals,
        buddy_missing=buddy_missing,
    )


@read_cache.cached(reads=("term_review", "term_close", "enrollment", "person"))
def _outcome_figures(
    rollout_id: int, term_id: int, named: bool
) -> tuple[dict[Verdict, int], int, list[tuple[str, str]], bool]:
    counts: dict[Verdict, int] = {}
    buddy_missing = 0
    for verdict, n, missing in db.session.execute(
        select(
            TermReview.verdict,
            func.count(),
            func.sum(
                case(
                    (
                        and_(
                            TermReview.buddy_requested_at.is_not(None),
                            TermReview.buddy_confirmed_at.is_(None),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .where(TermReview.term_id == term_id, Enrollment.rollout_id == rollout_id)
        .group_by(TermReview.verdict)
    ):
        counts[Verdict(verdict)] = n
        buddy_missing += missing or 0
    names: list[tuple[str, str]] = []
    if named:
        names = [
            (p.employee_id, p.name)
            for p in db.session.scalars(
                select(Person)
                .join(Enrollment, Enrollment.person_id == Person.id)
                .join(TermReview, TermReview.enrollment_id == Enrollment.id)
                .where(
                    TermReview.term_id == term_id,
                    Enrollment.rollout_id == rollout_id,
                    TermReview.verdict == Verdict.CONFIRMED_FREE_RIDER,
                )
                .order_by(Person.name)
            )
        ]
    closed = (
        db.session.scalar(
            select(func.count())
            .select_from(TermClose)
            .where(TermClose.rollout_id == rollout_id, TermClose.term_id == term_id)
        )
        or 0
    ) > 0
    return counts, buddy_missing, names, closed


@read_cache.cached(reads=("term_review", "enrollment", "person"))
def review_lists(rollout_id: int, term_id: int, page: int, per_page: int) -> tuple[list[Any], ...]:
    """Candidates (a page), the latest decisions and missing buddy sign-offs, as rows."""
    # the listed columns only, not three models per row (three lists of up to per_page rows)
    base = (
        select(
            TermReview.id,
            TermReview.modules_done,
            TermReview.modules_expected,
            TermReview.verdict,
            TermReview.buddy_requested_at,
            TermReview.buddy_confirmed_at,
            TermReview.at_risk_nudged_at,
            TermReview.excuse_reason,
            TermReview.excuse_note,
            TermReview.reviewed_at,
            TermReview.undo_until,
            Person.name,
            Person.employee_id,
        )
        .select_from(TermReview)
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .where(TermReview.term_id == term_id, Enrollment.rollout_id == rollout_id)
    )
    candidates = db.session.execute(
        base.where(TermReview.verdict == Verdict.FREE_RIDER_CANDIDATE)
        .order_by(Person.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    reviewed = db.session.execute(
        base.where(TermReview.verdict.in_((Verdict.EXCUSED, Verdict.CONFIRMED_FREE_RIDER)))
        .order_by(TermReview.reviewed_at.desc())
        .limit(per_page)
    ).all()
    missing_buddy = db.session.execute(
        base.where(
            TermReview.buddy_requested_at.is_not(None), TermReview.buddy_confirmed_at.is_(None)
        )
        .order_by(Person.name)
        .limit(per_page)
    ).all()
    return candidates, reviewed, missing_buddy


def tell_sponsors_if_reviewed(
    *, region: Region, rollout: Rollout, term: Term, now: datetime | None = None
) -> bool:
    """Once every candidate of a closed term is reviewed, send each subscribed sponsor the
    term's outcome (``terms/outcome``: counts, and names only under the ``named`` policy),
    once; while a confirmation of the term may still be withdrawn, the emails wait in the
    outbox until its grace period ends. Returns True when sent now. Flushes."""
    now = now or utcnow()
    closing = db.session.scalars(
        select(TermClose).where(TermClose.rollout_id == rollout.id, TermClose.term_id == term.id)
    ).one_or_none()
    if closing is None or closing.sponsors_told_at is not None:
        return False
    outcome = term_outcome(region=region, rollout=rollout, term=term)
    if outcome.candidates:
        return False
    queued = []
    for sponsor in rollout.sponsors:
        if not sponsor.subscribed:
            continue
        email = queue_email(
            kind="terms/outcome",
            to_address=sponsor.email,
            to_name=sponsor.name,
            idempotency_key=f"terms.outcome.{rollout.id}.{term.id}.{sponsor.id}",
            context={
                "sponsor_name": sponsor.name,
                "program_title": rollout.program.title,
                "region_name": region.name,
                "term_number": term.number,
                "term_title": term.title.strip(),
                "on_track": outcome.on_track,
                "excused": outcome.excused,
                "removed": outcome.removed,
                "removed_names": [name for _, name in outcome.removed_names],
                "names_individuals": outcome.names_individuals,
            },
            locale=region.locale,
            region_id=region.id,
        )
        queued.append(email.id)
    held_until = hold_sponsor_outcome_until(rollout.id, term.id, now)
    if held_until is not None:
        hold_emails(email_ids=queued, until=held_until)
    closing.sponsors_told_at = now
    record(
        region_id=region.id,
        action="term.outcome_sent",
        obj=closing,
        channel="web",
        data={"term": term.number, "named": outcome.names_individuals},
    )
    db.session.flush()
    return True
