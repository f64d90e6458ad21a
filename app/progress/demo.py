"""Demo progress: consistent with each enrollment's state (run once per rollout)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.programs.models import Module
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment, EnrollmentState

#: share of active learners who fell behind in term 1 (the free-rider candidates to review)
BEHIND = 0.15


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    modules = list(
        db.session.scalars(
            select(Module).where(Module.program_id == ctx.program.id).order_by(Module.position)
        )
    )
    if not modules:
        return
    term1 = ctx.program.terms[0] if ctx.program.terms else None
    term1_ids = {m.id for m in term1.required_modules} if term1 else set()
    rng = ctx.rng
    for rollout in ctx.rollouts.values():
        exists = db.session.scalar(
            select(func.count())
            .select_from(ModuleProgress)
            .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
            .where(Enrollment.rollout_id == rollout.id)
        )
        if exists:
            continue
        enrollments = list(
            db.session.scalars(
                select(Enrollment)
                .where(Enrollment.rollout_id == rollout.id)
                .order_by(Enrollment.id)
            )
        )
        _pair_buddies(enrollments)
        for enrollment in enrollments:
            start = enrollment.activated_at or enrollment.time_approved_at
            if enrollment.state is EnrollmentState.COMPLETED:
                done, partial = modules, None
            elif enrollment.state is EnrollmentState.ACTIVE:
                if rng.random() < BEHIND:
                    done = [m for m in modules if m.id in term1_ids][: rng.randint(0, 1)]
                else:
                    done = modules[: rng.randint(len(term1_ids), len(modules) - 1)]
                partial = modules[len(done)] if len(done) < len(modules) else None
            else:
                continue
            at = start or datetime.now(UTC) - timedelta(days=30)
            for module in done:
                at = at + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
                db.session.add(
                    ModuleProgress(
                        region_id=enrollment.region_id,
                        rollout_id=enrollment.rollout_id,
                        enrollment_id=enrollment.id,
                        module_id=module.id,
                        percent=100.0,
                        completed=True,
                        observed_at=min(at, datetime.now(UTC)),
                        source="openedx",
                    )
                )
            if partial is not None:
                db.session.add(
                    ModuleProgress(
                        region_id=enrollment.region_id,
                        rollout_id=enrollment.rollout_id,
                        enrollment_id=enrollment.id,
                        module_id=partial.id,
                        percent=float(rng.choice([10, 25, 40, 60, 80])),
                        completed=False,
                        observed_at=datetime.now(UTC) - timedelta(days=rng.randint(0, 5)),
                        source="openedx",
                    )
                )
        db.session.flush()


def _pair_buddies(enrollments: list[Enrollment]) -> None:
    """Pair learners as buddies when the roster did not (never re-pairs anyone)."""
    if any(e.buddy_group is not None for e in enrollments):
        return
    studying = [
        e
        for e in enrollments
        if e.state
        in (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE, EnrollmentState.COMPLETED)
    ]
    for i in range(0, len(studying) - 1, 2):
        studying[i].buddy_group = studying[i].id
        studying[i + 1].buddy_group = studying[i].id
