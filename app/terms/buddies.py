"""Buddy sign-off: only a buddy confirms a partner's term."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import (
    select,
)

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import _
from app.links.services import make_action_url
from app.mail.services import queue_email
from app.regions.models import Region
from app.rollouts.models import Enrollment
from app.terms.common import (
    BUDDY_PURPOSE,
    BUDDY_WINDOW_DAYS,
    IN_TERM_STATES,
    ReviewError,
    _buddies,
    _launched_rollouts,
    _locale,
    ensure_reviews,
    local_today,
)
from app.terms.models import TermReview
from app.terms.pace import pace_for

log = logging.getLogger(__name__)


# --- buddy sign-off -----------------------------------------------------------------------


def due_buddy_signoffs(*, region: Region, now: datetime | None = None) -> int:
    """Daily: for each term that ended (up to three weeks ago), ask each learner's buddies to
    confirm the learner's term: queues ``terms/buddy_signoff`` with a signed link and stamps
    ``buddy_requested_at``. Returns the number of requests. Flushes.
    """
    now = now or utcnow()
    today = local_today(region, now)
    sent = 0
    for rollout in _launched_rollouts(region):
        program = rollout.program
        for term in program.terms:
            if not (term.ends_on < today <= term.ends_on + timedelta(days=BUDDY_WINDOW_DAYS)):
                continue
            pace = pace_for(program, term)
            ensure_reviews(rollout=rollout, term=term, expected=pace.required_count)
            rows = db.session.execute(
                select(TermReview, Enrollment)
                .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
                .where(
                    TermReview.term_id == term.id,
                    Enrollment.rollout_id == rollout.id,
                    Enrollment.state.in_(IN_TERM_STATES),
                    Enrollment.buddy_group.is_not(None),
                    TermReview.buddy_requested_at.is_(None),
                )
            ).all()
            buddies = _buddies(rollout.id, {e.buddy_group for _, e in rows if e.buddy_group})
            for review, enrollment in rows:
                for buddy in buddies.get(enrollment.buddy_group or -1, []):
                    if buddy.id == enrollment.id:
                        continue
                    url = make_action_url(
                        endpoint="terms_public.buddy_signoff",
                        purpose=BUDDY_PURPOSE,
                        person_id=buddy.person_id,
                        object_id=review.id,
                    )
                    queue_email(
                        kind="terms/buddy_signoff",
                        to_address=buddy.person.email,
                        to_name=buddy.person.name,
                        idempotency_key=f"terms.buddy-signoff.{review.id}.{buddy.id}",
                        context={
                            "buddy_name": buddy.person.name,
                            "learner_name": enrollment.person.name,
                            "program_title": program.title,
                            "term_number": term.number,
                            "term_title": term.title.strip(),
                            "url": url,
                        },
                        locale=_locale(buddy.person, region),
                        region_id=region.id,
                        person_id=buddy.person_id,
                    )
                    sent += 1
                review.buddy_requested_at = now
            db.session.flush()
    return sent


def buddy_of(review: TermReview, buddy_person_id: int) -> Enrollment | None:
    """The enrollment of the reviewed learner's buddy who is ``buddy_person_id``: same
    rollout, same buddy group, not the learner; None for anyone else."""
    learner = db.session.get(Enrollment, review.enrollment_id)
    assert learner is not None
    buddy = db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == learner.rollout_id,
            Enrollment.person_id == buddy_person_id,
        )
    ).one_or_none()
    if (
        buddy is None
        or buddy.id == learner.id
        or learner.buddy_group is None
        or buddy.buddy_group != learner.buddy_group
    ):
        return None
    return buddy


def confirm_buddy_term(
    *, review: TermReview, buddy_person_id: int, now: datetime | None = None
) -> Enrollment:
    """Record a buddy's confirmation of their partner's term (audited). Only an enrollment in
    the same buddy group of the same rollout counts; the learner cannot confirm themselves.
    Raises ReviewError otherwise. Flushes.
    """
    now = now or utcnow()
    buddy = buddy_of(review, buddy_person_id)
    if buddy is None:
        raise ReviewError(_("only the learner's buddy can confirm their term"))
    if review.buddy_confirmed_at is not None:
        return buddy
    review.buddy_confirmed_by_id = buddy.id
    review.buddy_confirmed_at = now
    record(
        region_id=review.region_id,
        action="term.buddy_confirmed",
        obj=review,
        actor=buddy.person,
        channel="link",
        data={"learner_enrollment": review.enrollment_id},
    )
    db.session.flush()
    return buddy
