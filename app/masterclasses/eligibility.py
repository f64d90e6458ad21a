"""Who qualifies for a master class (set-based: one SELECT, however many learners)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select

from app.extensions import db
from app.masterclasses.models import MasterClass, MasterClassInvitation
from app.programs.models import Module, Term, term_required_module
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.terms.models import TermReview


def base_requirement_module_ids(program_id: int) -> list[int]:
    """The modules required by the end of the program's last term (the base requirements)."""

    last_term = db.session.scalars(
        select(Term.id).where(Term.program_id == program_id).order_by(Term.number.desc()).limit(1)
    ).first()
    if last_term is None:
        return list(db.session.scalars(select(Module.id).where(Module.program_id == program_id)))
    return list(
        db.session.scalars(
            select(term_required_module.c.module_id).where(
                term_required_module.c.term_id == last_term
            )
        )
    )


def qualifying_enrollments(master_class: MasterClass, *, region_id: int | None = None) -> Any:
    """A SELECT of (enrollment id, region id) for completers who qualify and have no invitation.

    Completed the program (in the class's region, or anywhere for a global class);
    with ``requires_buddy_signoff`` also a buddy sign-off on every term; a
    face-to-face class also needs every base-requirement module completed.
    """

    stmt = (
        select(Enrollment.id, Enrollment.region_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .where(
            Rollout.program_id == master_class.program_id,
            Enrollment.state == EnrollmentState.COMPLETED,
            ~exists().where(
                MasterClassInvitation.master_class_id == master_class.id,
                MasterClassInvitation.enrollment_id == Enrollment.id,
            ),
        )
    )
    if master_class.region_id is not None:
        stmt = stmt.where(Enrollment.region_id == master_class.region_id)
    if region_id is not None:
        stmt = stmt.where(Enrollment.region_id == region_id)
    if master_class.requires_buddy_signoff:
        terms = db.session.scalar(
            select(func.count(Term.id)).where(Term.program_id == master_class.program_id)
        )
        confirmed = (
            select(func.count(TermReview.id))
            .where(
                TermReview.enrollment_id == Enrollment.id,
                TermReview.buddy_confirmed_at.is_not(None),
            )
            .scalar_subquery()
        )
        stmt = stmt.where(confirmed >= max(terms or 0, 1))
    if master_class.face_to_face:
        modules = base_requirement_module_ids(master_class.program_id)
        done = (
            select(func.count(ModuleProgress.id))
            .where(
                ModuleProgress.enrollment_id == Enrollment.id,
                ModuleProgress.completed.is_(True),
                ModuleProgress.module_id.in_(modules),
            )
            .scalar_subquery()
        )
        stmt = stmt.where(done >= len(modules))
    return stmt.order_by(Enrollment.id)


def upcoming_classes(*, program_ids: Iterable[int], region_id: int, now: datetime) -> list[Any]:
    """Classes not started yet open to ``region_id`` (its own and the global ones)."""
    return list(
        db.session.scalars(
            select(MasterClass)
            .where(
                MasterClass.program_id.in_(list(program_ids)),
                MasterClass.starts_at > now,
                or_(MasterClass.region_id.is_(None), MasterClass.region_id == region_id),
            )
            .order_by(MasterClass.starts_at, MasterClass.id)
        )
    )
