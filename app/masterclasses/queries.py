"""Read side of the master-class pages, region first."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.links.services import unscoped
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.programs.models import Program
from app.rollouts.models import Rollout


def class_in_region(class_id: int, *, region_id: int) -> MasterClass | None:
    """A class of the region, or a global one (None for anything else)."""
    return db.session.scalars(
        select(MasterClass).where(
            MasterClass.id == class_id,
            or_(MasterClass.region_id == region_id, MasterClass.region_id.is_(None)),
        )
    ).one_or_none()


def classes_of_region(region_id: int) -> list[MasterClass]:
    """The region's classes and the global ones, newest first."""
    return list(
        db.session.scalars(
            select(MasterClass)
            .where(or_(MasterClass.region_id == region_id, MasterClass.region_id.is_(None)))
            .order_by(MasterClass.starts_at.desc(), MasterClass.id)
        )
    )


def programs_for_classes(*, region_id: int, every_program: bool) -> list[Program]:
    """Programs a class can be for: those adopted in the region (all, for a global admin)."""
    stmt = select(Program).order_by(Program.title)
    if not every_program:
        stmt = stmt.where(
            Program.id.in_(select(Rollout.program_id).where(Rollout.region_id == region_id))
        )
    return list(db.session.scalars(stmt))


def status_counts(class_ids: list[int], *, region_id: int) -> dict[int, dict[str, int]]:
    """Per class, the region's invitations counted by status."""
    counts: dict[int, dict[str, int]] = {i: {} for i in class_ids}
    if not class_ids:
        return counts
    rows = db.session.execute(
        select(
            MasterClassInvitation.master_class_id,
            MasterClassInvitation.status,
            func.count(MasterClassInvitation.id),
        )
        .where(
            MasterClassInvitation.master_class_id.in_(class_ids),
            MasterClassInvitation.region_id == region_id,
        )
        .group_by(MasterClassInvitation.master_class_id, MasterClassInvitation.status)
    )
    for class_id, status, n in rows:
        counts[class_id][status.value] = n
    return counts


def invitations_page(
    master_class_id: int, *, region_id: int, limit: int, offset: int
) -> list[MasterClassInvitation]:
    """One page of a class's invitations in the region (status, waitlist order)."""
    return list(
        db.session.scalars(
            select(MasterClassInvitation)
            .where(
                MasterClassInvitation.master_class_id == master_class_id,
                MasterClassInvitation.region_id == region_id,
            )
            .order_by(
                MasterClassInvitation.status,
                MasterClassInvitation.waitlisted_at,
                MasterClassInvitation.id,
            )
            .limit(limit)
            .offset(offset)
        )
    )


def waitlist_position(invitation: MasterClassInvitation) -> int | None:
    """This learner's place on the class's waitlist (1 is next), in every region (a global
    class's waitlist spans them); None when not waiting. The order is the one
    ``promote_waitlist`` follows: ``waitlisted_at``, then id."""
    if invitation.status is not InvitationStatus.WAITLISTED or invitation.waitlisted_at is None:
        return None
    with unscoped():  # a global class's waitlist spans regions
        ahead = db.session.scalar(
            select(func.count()).where(
                MasterClassInvitation.master_class_id == invitation.master_class_id,
                MasterClassInvitation.status == InvitationStatus.WAITLISTED,
                or_(
                    MasterClassInvitation.waitlisted_at < invitation.waitlisted_at,
                    and_(
                        MasterClassInvitation.waitlisted_at == invitation.waitlisted_at,
                        MasterClassInvitation.id < invitation.id,
                    ),
                ),
            )
        )
    return (ahead or 0) + 1


def waitlist_length(master_class_id: int) -> int:
    """How many learners wait for a place in the class, in every region."""
    with unscoped():
        waiting = db.session.scalar(
            select(func.count()).where(
                MasterClassInvitation.master_class_id == master_class_id,
                MasterClassInvitation.status == InvitationStatus.WAITLISTED,
            )
        )
    return waiting or 0
