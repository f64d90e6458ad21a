"""The buddy's answer on a partner's term: confirm, not yet, or "I can't judge", with an
optional note. "Not yet" and "can't judge" reach the local lead on the term review page.
What the sign-off page shows: the term's modules and the partner's progress on them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import _
from app.people.models import Person
from app.programs.models import Term
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment
from app.terms.buddies import buddy_of as buddy_in_group
from app.terms.buddies import confirm_buddy_term
from app.terms.common import ReviewError
from app.terms.models import BuddyAnswer, TermReview

log = logging.getLogger(__name__)
NOTE_MAX = 2000
#: answers the local lead is shown on the term review
FOR_THE_LEAD = (BuddyAnswer.NOT_YET, BuddyAnswer.CANT_JUDGE)


@dataclass(frozen=True)
class ModuleStanding:
    """One module due in the term and where the partner stands on it."""

    title: str
    estimated_hours: float
    percent: float
    completed: bool


def partner_progress(learner: Enrollment, term: Term) -> list[ModuleStanding]:
    """The modules due by the end of ``term`` and ``learner``'s progress on each (only
    this learner's rows)."""
    modules = term.required_modules
    rows = {
        row.module_id: row
        for row in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.enrollment_id == learner.id,
                ModuleProgress.region_id == learner.region_id,
                ModuleProgress.module_id.in_([m.id for m in modules]),
            )
        )
    }
    return [
        ModuleStanding(
            title=m.title,
            estimated_hours=m.estimated_hours,
            percent=rows[m.id].percent if m.id in rows else 0.0,
            completed=bool(rows[m.id].completed) if m.id in rows else False,
        )
        for m in modules
    ]


def answer_buddy_term(
    *,
    review: TermReview,
    buddy_person_id: int,
    answer: BuddyAnswer,
    note: str = "",
    now: datetime | None = None,
) -> bool:
    """Record a buddy's answer on their partner's term (audited, with the note). "Confirmed"
    also counts as the sign-off (:func:`confirm_buddy_term`) and is final; "not yet" and
    "can't judge" are shown to the local lead and may later become a confirmation. Only the
    partner's buddy may answer (ReviewError). Returns False when nothing changed (the same
    answer sent twice, or the term already confirmed). Flushes."""
    now = now or utcnow()
    note = note.strip()[:NOTE_MAX]
    if review.buddy_confirmed_at is not None:
        return False
    if review.buddy_answer == answer.value and (review.buddy_note or "") == note:
        return False
    if answer is BuddyAnswer.CONFIRMED:
        buddy = confirm_buddy_term(review=review, buddy_person_id=buddy_person_id, now=now)
    else:
        buddy = buddy_of(review, buddy_person_id)
    review.buddy_answer = answer.value
    review.buddy_note = note or None
    review.buddy_answered_at = now
    record(
        region_id=review.region_id,
        action=f"term.buddy_{answer.value}",
        obj=review,
        actor=buddy.person,
        channel="link",
        # the note stays on the review, which erasure blanks
        data={"learner_enrollment": review.enrollment_id, "with_note": bool(note)},
    )
    db.session.flush()
    log.info("buddy %s answered %s on term review %s", buddy.id, answer.value, review.id)
    return True


def buddy_of(review: TermReview, buddy_person_id: int) -> Enrollment:
    """The enrollment of the learner's buddy who is ``buddy_person_id``; ReviewError when
    that person is not in the learner's buddy group."""
    buddy = buddy_in_group(review, buddy_person_id)
    if buddy is None:
        raise ReviewError(_("only the learner's buddy can answer for their term"))
    return buddy


def answers_for_the_lead(rollout_id: int, term_id: int) -> list[Any]:
    """The partners whose buddy said "not yet" or "I can't judge", with the note, newest
    first: rows of (name, buddy_answer, buddy_note, buddy_answered_at)."""
    return list(
        db.session.execute(
            select(
                Person.name,
                TermReview.buddy_answer,
                TermReview.buddy_note,
                TermReview.buddy_answered_at,
            )
            .select_from(TermReview)
            .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
            .join(Person, Person.id == Enrollment.person_id)
            .where(
                TermReview.term_id == term_id,
                Enrollment.rollout_id == rollout_id,
                TermReview.buddy_answer.in_([a.value for a in FOR_THE_LEAD]),
                TermReview.buddy_confirmed_at.is_(None),
            )
            .order_by(TermReview.buddy_answered_at.desc())
        ).all()
    )
