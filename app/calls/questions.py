"""Questions before the call, and the notes after it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record
from app.calls import emails
from app.calls.invitations import active_invitations
from app.calls.models import CallQuestion, CallSession
from app.calls.services import questions_by_group
from app.db import utcnow
from app.extensions import db
from app.language import _, number
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
MAX_QUESTION_LENGTH = 2000


class QuestionRefused(ValueError):
    """The question cannot be taken (empty, too long, call over, not a learner)."""


def enrollment_for(session: CallSession, person_id: int) -> Enrollment | None:
    return db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == session.rollout_id, Enrollment.person_id == person_id
        )
    ).one_or_none()


def submit_question(
    *,
    region: Region,
    session: CallSession,
    person: Person,
    text: str,
    blocked: bool,
    now: datetime | None = None,
) -> CallQuestion:
    """Store a learner's question for an upcoming session (through their signed link)."""
    now = now or utcnow()
    text = text.strip()
    if not text:
        raise QuestionRefused(_("Write your question or what you are stuck on."))
    if len(text) > MAX_QUESTION_LENGTH:
        raise QuestionRefused(
            _("Keep it under %(limit)s characters.", limit=number(MAX_QUESTION_LENGTH))
        )
    if session.cancelled or session.starts_at <= now:
        raise QuestionRefused(_("This call has already taken place or was cancelled."))
    enrollment = enrollment_for(session, person.id)
    if enrollment is None:
        raise QuestionRefused(_("You are not enrolled in this program."))
    question = CallQuestion(
        region_id=region.id,
        session_id=session.id,
        enrollment_id=enrollment.id,
        text=text,
        blocked=blocked,
    )
    db.session.add(question)
    db.session.flush()
    log.info("question %s for call session %s from person %s", question.id, session.id, person.id)
    return question


def set_answered(
    *, region: Region, question: CallQuestion, answered: bool, actor: object
) -> CallQuestion:
    """Mark a question answered (or not) on the session page."""
    question.answered = answered
    question.answered_at = utcnow() if answered else None
    db.session.flush()
    record(
        region_id=region.id,
        action="calls.question_answered" if answered else "calls.question_reopened",
        obj=question,
        actor=actor,
        channel="web",
    )
    return question


def save_notes(
    *,
    region: Region,
    session: CallSession,
    notes: str,
    send: bool,
    actor: object,
    now: datetime | None = None,
) -> bool:
    """Save the host's notes; with ``send``, a job mails them with the answered
    questions to every current invitee (once per session: marks ``notes_sent_at``).
    Returns True when the sending was scheduled."""
    now = now or utcnow()
    session.notes = notes.strip() or None
    db.session.flush()
    if not send or session.notes_sent_at is not None:
        return False
    if session.starts_at > now:
        raise QuestionRefused(_("Notes go out after the call has taken place."))
    session.notes_sent_at = now
    record(
        region_id=region.id,
        action="calls.notes_sent",
        obj=session,
        actor=actor,
        channel="web",
    )
    db.session.flush()
    enqueue_after_commit("jobs.calls.send_notes", session.id, queue="default")
    return True


def send_notes(*, session: CallSession) -> int:
    """Queue the notes email (notes + answered questions) to every current invitee.

    The outbox key (session, invitee, kind) makes a rerun send nothing twice.
    Returns the number of emails queued.
    """
    rollout = session.rollout
    answered = [
        {"who": q.enrollment.person.name, "text": q.text}
        for q in questions_by_group(session.id)["answered"]
    ]
    n = 0
    for inv in active_invitations(rollout.id):
        emails.send_to_invitee(
            kind="calls/notes",
            key=f"calls/notes/{session.id}/{inv.id}",
            rollout=rollout,
            invitee=inv,
            context={
                "when": emails.when(session.starts_at, zone=inv.time_zone, locale=inv.locale),
                "notes": session.notes or "",
                "answered": answered,
            },
        )
        n += 1
    return n
