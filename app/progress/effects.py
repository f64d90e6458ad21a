"""What new progress means for an enrollment: active on the first step, completed at the end."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, select, true, update

from app.audit.services import record
from app.extensions import db
from app.programs.models import Module
from app.progress.models import ModuleProgress
from app.readcache import writes_in
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.rollouts.signals import enrollment_completed

log = logging.getLogger(__name__)

#: states in which progress moves an enrollment on
STUDYING = (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)


def apply_progress_effects(
    *,
    region: Region,
    rollout: Rollout,
    now: datetime,
    channel: str,
    enrollment_ids: Collection[int] | None = None,
    module_count: int | None = None,
    may_activate: bool = True,
    may_complete: bool = True,
) -> tuple[int, int]:
    """Mark time-approved learners with any progress ACTIVE (one UPDATE), then move those
    who completed every module of the program to COMPLETED, audit it and send
    ``enrollment_completed`` for each. Returns (activated, completed). Flushes.

    ``enrollment_ids`` limits both to the learners a batch touched (an xAPI request):
    without it the whole rollout is looked at (an import). ``module_count``, the number of
    the program's modules when the caller has them loaded, spares counting them again;
    ``may_activate`` False, when the caller read that none of ``enrollment_ids`` is
    time-approved, spares the activation UPDATE; ``may_complete`` False, when the caller
    knows it completed no module (progress without completion), spares the completion
    aggregate (no one can have completed the program by it).
    """
    db.session.flush()
    ids = list(enrollment_ids) if enrollment_ids is not None else None
    only = Enrollment.id.in_(ids) if ids is not None else true()
    # on module_progress's own enrollment index: the aggregate then reads the batch's rows
    only_progress = ModuleProgress.enrollment_id.in_(ids) if ids is not None else true()
    # rows exist only for learners who did something (readers skip "not attempted")
    has_progress = exists().where(ModuleProgress.enrollment_id == Enrollment.id)
    activated = (
        may_activate
        and db.session.execute(
            update(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.state == EnrollmentState.TIME_APPROVED,
                only,
                has_progress,
            )
            .values(state=EnrollmentState.ACTIVE, activated_at=now)
            # a batch's few learners: "fetch" reads their ids back with the UPDATE (RETURNING)
            # and moves the loaded enrollments' state, so nothing else in the session (the
            # rollout) is reloaded; a whole rollout is expired below instead
            .execution_options(
                synchronize_session="fetch" if ids is not None else False,
                **writes_in(rollout.region_id),
            )
        ).rowcount
    )
    total = module_count
    if total is None:
        total = db.session.scalar(
            select(func.count()).select_from(Module).where(Module.program_id == rollout.program_id)
        )
    completed_ids: list[int] = []
    if total and may_complete:
        # one aggregate over the rollout's completed modules, joined (not a count per learner)
        done = (
            select(ModuleProgress.enrollment_id)
            .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.state.in_(STUDYING),
                only_progress,
                ModuleProgress.completed.is_(True),
            )
            .group_by(ModuleProgress.enrollment_id)
            .having(func.count() >= total)
        )
        completed_ids = list(db.session.scalars(done))
    if activated and ids is None:
        db.session.expire_all()
    for enrollment in (
        db.session.scalars(select(Enrollment).where(Enrollment.id.in_(completed_ids)))
        if completed_ids
        else ()
    ):
        enrollment.transition(EnrollmentState.COMPLETED, at=now)
        record(
            region_id=region.id,
            action="enrollment.completed",
            obj=enrollment,
            channel=channel,
            data={"rollout": rollout.slug},
        )
        enrollment_completed.send(enrollment)
    db.session.flush()
    if activated or completed_ids:
        log.info(
            "rollout %s: %s learners active, %s completed",
            rollout.slug,
            activated,
            len(completed_ids),
        )
    return int(activated or 0), len(completed_ids)
