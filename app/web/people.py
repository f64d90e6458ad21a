"""A learner's page (per enrollment): their whole journey through a rollout, read in a
handful of set-based queries (one per kind of record, none per row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import abort, render_template
from sqlalchemy import Row, Select, bindparam, case, func, select
from sqlalchemy.orm import joinedload

from app.approvals.models import TimeAllocation
from app.auth.access import may_see_names, read_with_sign_in
from app.calls.models import CallAttendance, CallSession
from app.db import utcnow
from app.extensions import db
from app.language import N_
from app.mail.models import EmailStatus, OutboundEmail
from app.people.models import Person
from app.programs.models import Module, Term
from app.progress.models import ModuleProgress
from app.readcache import read_cache
from app.rollouts.models import Enrollment, Rollout
from app.rollouts.queries import buddy_group_number
from app.scoping import get_in_region_or_404
from app.terms.models import TermReview
from app.web.routes import bp

#: the journey's steps: (label, the enrollment's timestamp)
STEPS = (
    (N_("Invited"), "invited_at"),
    (N_("Committed"), "committed_at"),
    (N_("Time declined by the manager"), "declined_at"),
    (N_("Study time approved"), "time_approved_at"),
    (N_("Active"), "activated_at"),
    (N_("Completed"), "completed_at"),
    (N_("Left"), "left_at"),
)


@dataclass(frozen=True)
class Journey:
    enrollment: Enrollment
    steps: list[tuple[str, datetime]]
    #: the buddy group's number as people see it (1..n in the rollout), None without one
    buddy_group: int | None
    buddies: list[Person]
    decisions: list[TimeAllocation]
    calls: list[tuple[CallSession, CallAttendance | None]]
    progress: list[tuple[Module, ModuleProgress | None]]
    reviews: list[tuple[TermReview, Term]]
    #: the newest 100: subject, status, sent_at, created_at (not the bodies)
    emails: list[Row[Any]]


def journey(enrollment: Enrollment) -> Journey:
    e = enrollment
    steps = sorted(
        ((label, getattr(e, field)) for label, field in STEPS if getattr(e, field)),
        key=lambda s: s[1],
    )
    buddies: list[Person] = []
    group = None
    if e.buddy_group is not None:
        group = buddy_group_number(e.rollout_id, e.buddy_group)
        buddies = list(
            db.session.scalars(
                select(Person)
                .join(Enrollment, Enrollment.person_id == Person.id)
                .where(
                    Enrollment.rollout_id == e.rollout_id,
                    Enrollment.buddy_group == e.buddy_group,
                    Enrollment.id != e.id,
                )
                .order_by(Person.name)
            )
        )
    decisions = list(
        db.session.scalars(
            select(TimeAllocation)
            .where(TimeAllocation.enrollment_id == e.id)
            .order_by(TimeAllocation.requested_at)
        )
    )
    calls = [
        (session, attendance)
        for session, attendance in db.session.execute(
            select(CallSession, CallAttendance)
            .outerjoin(
                CallAttendance,
                (CallAttendance.session_id == CallSession.id)
                & (CallAttendance.enrollment_id == e.id),
            )
            .where(CallSession.rollout_id == e.rollout_id, CallSession.starts_at <= utcnow())
            .order_by(CallSession.starts_at)
        )
    ]
    progress = [
        (module, row)
        for module, row in db.session.execute(
            select(Module, ModuleProgress)
            .outerjoin(
                ModuleProgress,
                (ModuleProgress.module_id == Module.id) & (ModuleProgress.enrollment_id == e.id),
            )
            .where(Module.program_id == e.rollout.program_id)
            .order_by(Module.id)
        )
    ]
    reviews = [
        (review, term)
        for review, term in db.session.execute(
            select(TermReview, Term)
            .join(Term, Term.id == TermReview.term_id)
            .where(TermReview.enrollment_id == e.id)
            .order_by(Term.number)
        )
    ]
    emails = list(
        db.session.execute(
            select(
                OutboundEmail.subject,
                OutboundEmail.status,
                OutboundEmail.sent_at,
                OutboundEmail.created_at,
            )
            .where(OutboundEmail.person_id == e.person_id)
            .order_by(OutboundEmail.created_at.desc())
            .limit(100)
        )
    )
    return Journey(e, steps, group, buddies, decisions, calls, progress, reviews, emails)


@cache
def _emails_in_brief_statement() -> Select[Any]:
    """Built once: the same statement every request, its compiled form cached."""
    email, enrollment = OutboundEmail.__table__.c, Enrollment.__table__.c
    person_id = select(enrollment.person_id).where(enrollment.id == bindparam("enrollment_id"))
    return select(
        func.count(),
        func.max(email.id),
        func.count(email.sent_at),
        func.coalesce(func.sum(email.attempts), 0),
        func.count(case((email.status == EmailStatus.FAILED.value, 1))),
    ).where(email.person_id == person_id.scalar_subquery())


@read_with_sign_in(_emails_in_brief_statement)
def emails_in_brief(slug: str, enrollment_id: int) -> dict[str, Any]:
    """What the person page shows of the outbox, in brief (the read epochs do not follow
    the outbox): how many emails the enrollment's person has, the newest, how many left,
    how many tries and how many failed. Sending, failing or a new email each change it.

    Asked on every request, in autocommit in the sign-in's round trip (a pipeline with
    it, on a driver connection outside the request's transaction): a kept page then opens
    no transaction and waits for the database once. The view itself checks the region and
    the rollout (404 for another's enrollment)."""
    return {"enrollment_id": enrollment_id}


@bp.get("/r/<region>/rollouts/<slug>/learners/<int:enrollment_id>")
@read_cache.page_also_keyed(emails_in_brief)
def person(slug: str, enrollment_id: int) -> Any:
    """One learner's journey; an enrollment of another rollout or region is a 404."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if not may_see_names():
        abort(403)
    enrollment = get_in_region_or_404(
        Enrollment,
        enrollment_id,
        options=(joinedload(Enrollment.person).joinedload(Person.manager),),
    )
    if enrollment.rollout_id != rollout.id:
        abort(404)
    return render_template("rollouts/person.html", rollout=rollout, j=journey(enrollment))
