"""Rollouts: creating, editing, launching and closing a region's run of a program."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.audit.services import record
from app.auth.models import Role, RoleAssignment, StaffUser
from app.db import utcnow
from app.extensions import db
from app.language import _, pgettext
from app.people.models import normalise_email
from app.programs.models import Program
from app.regions.models import Region
from app.rollouts.dates import cohort_start_problem
from app.rollouts.models import Rollout, RolloutSponsor, RolloutStatus
from app.rollouts.onboarding import queue_invitations
from app.scoping import region_scope, set_region_scope

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def status_name(status: RolloutStatus) -> str:
    """A rollout's status as the reader calls it."""
    names = {
        RolloutStatus.DRAFT: pgettext("rollout", "draft"),
        RolloutStatus.LAUNCHED: pgettext("rollout", "launched"),
        RolloutStatus.CLOSED: pgettext("rollout", "closed"),
    }
    return names.get(status, str(status))


class RolloutError(ValueError):
    """A rollout change refused; ``errors`` maps field → what to do."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"status": errors}
        super().__init__("; ".join(self.errors.values()))


@dataclass
class RolloutInput:
    slug: str
    program_id: int | None
    cohort_start: date | None
    call_weekday: int | None
    call_time: time | None
    call_duration_minutes: int | None
    call_join_url: str = ""
    expert_id: int | None = None
    hr_partner_id: int | None = None
    sponsor_message: str = ""
    #: (name, email) pairs
    sponsors: list[tuple[str, str]] = field(default_factory=list)


def staff_with_role(region: Region, role: Role) -> list[StaffUser]:
    return list(
        db.session.scalars(
            select(StaffUser)
            .join(RoleAssignment, RoleAssignment.user_id == StaffUser.id)
            .where(RoleAssignment.region_id == region.id, RoleAssignment.role == role)
            .order_by(StaffUser.name)
            .options(lazyload(StaffUser.roles))  # the callers list names
        ).unique()
    )


def parse_sponsors(value: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Lines "Name <email>" or "Name, email" → pairs, and the lines that could not be read."""
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    for n, raw in enumerate(value.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^(.*?)[\s,;]*<?([^\s<>,;]+@[^\s<>,;]+)>?$", line)
        name = m.group(1).strip(" ,;") if m else ""
        email = normalise_email(m.group(2)) if m else ""
        if not m or not name or not EMAIL_RE.match(email):
            bad.append(f"line {n}")
        else:
            pairs.append((name[:200], email))
    return pairs, bad


def _slug_taken(slug: str, rollout: Rollout | None) -> bool:
    """Slugs are unique across regions: check outside the user's region scope (yes/no only)."""

    scope = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        other = db.session.scalars(select(Rollout.id).where(Rollout.slug == slug)).first()
    finally:
        set_region_scope(db.session, scope)
    return other is not None and (rollout is None or other != rollout.id)


def save_rollout(
    *, region: Region, rollout: Rollout | None, data: RolloutInput, actor: StaffUser
) -> Rollout:
    """Create or update a rollout with its sponsors. Raises RolloutError with every problem."""
    errors: dict[str, str] = {}
    if not SLUG_RE.match(data.slug):
        errors["slug"] = _("Use 2–80 lower-case letters, digits or '-', e.g. sef-de-2026.")
    else:
        if _slug_taken(data.slug, rollout):
            errors["slug"] = _("Another rollout already uses this slug; choose another.")
    program = db.session.get(Program, data.program_id) if data.program_id is not None else None
    if program is None:
        errors["program_id"] = _("Choose the program this region adopts.")
    if data.cohort_start is None:
        errors["cohort_start"] = _("Give the date the cohort starts together.")
    if data.call_weekday is None or not 0 <= data.call_weekday <= 6:
        errors["call_weekday"] = _("Choose the weekday of the weekly call.")
    if data.call_time is None:
        errors["call_time"] = _("Give the time of the weekly call (HH:MM).")
    if not data.call_duration_minutes or not 15 <= data.call_duration_minutes <= 240:
        errors["call_duration_minutes"] = _("The call lasts 15 to 240 minutes.")
    cohort = cohort_start_problem(data.cohort_start, program)
    if cohort and "cohort_start" not in errors:
        errors["cohort_start"] = cohort
    if data.call_join_url and not data.call_join_url.startswith("https://"):
        errors["call_join_url"] = _("The join link must start with https://.")
    experts = {u.id for u in staff_with_role(region, Role.EXPERT)}
    if data.expert_id is not None and data.expert_id not in experts:
        errors["expert_id"] = _("Choose an expert of this region.")
    partners = {u.id for u in staff_with_role(region, Role.HR_PARTNER)}
    if data.hr_partner_id is not None and data.hr_partner_id not in partners:
        errors["hr_partner_id"] = _("Choose an HR partner of this region.")
    if len({e for _, e in data.sponsors}) != len(data.sponsors):
        errors["sponsors"] = _("Each sponsor email may appear once.")
    if errors:
        raise RolloutError(errors)
    created = rollout is None
    if rollout is None:
        rollout = Rollout(region_id=region.id, status=RolloutStatus.DRAFT)
        db.session.add(rollout)
    elif rollout.status is RolloutStatus.LAUNCHED and data.program_id != rollout.program_id:
        raise RolloutError({"program_id": _("A launched rollout keeps its program.")})
    rollout.slug = data.slug
    rollout.program_id = data.program_id  # type: ignore[assignment]
    rollout.cohort_start = data.cohort_start  # type: ignore[assignment]
    rollout.call_weekday = data.call_weekday  # type: ignore[assignment]
    rollout.call_time = data.call_time  # type: ignore[assignment]
    rollout.call_duration_minutes = data.call_duration_minutes  # type: ignore[assignment]
    rollout.call_join_url = data.call_join_url
    rollout.expert_id = data.expert_id
    rollout.hr_partner_id = data.hr_partner_id
    rollout.sponsor_message = data.sponsor_message.strip()
    wanted = {email: name for name, email in data.sponsors}
    for sponsor in list(rollout.sponsors):
        if sponsor.email not in wanted:
            rollout.sponsors.remove(sponsor)
        else:
            sponsor.name = wanted.pop(sponsor.email)
    for email, name in wanted.items():
        rollout.sponsors.append(RolloutSponsor(region_id=region.id, name=name, email=email))
    db.session.flush()
    record(
        region_id=region.id,
        action="rollout.created" if created else "rollout.updated",
        obj=rollout,
        actor=actor,
        channel="web",
    )
    return rollout


def launch_rollout(
    *,
    region: Region,
    rollout: Rollout,
    actor: StaffUser | None,
    channel: str = "web",
    reason: str = "",
) -> None:
    """draft → launched: queues the job that invites every learner (outbox emails).
    Audited with who (and why, when given)."""

    if rollout.status is not RolloutStatus.DRAFT:
        raise RolloutError(
            _(
                "Only a draft rollout can be launched; this one is %(status)s.",
                status=status_name(rollout.status),
            )
        )
    rollout.status = RolloutStatus.LAUNCHED
    rollout.launched_at = utcnow()
    db.session.flush()
    record(
        region_id=region.id,
        action="rollout.launched",
        obj=rollout,
        actor=actor,
        channel=channel,
        data={"reason": reason.strip()} if reason.strip() else None,
    )
    queue_invitations(region=region, rollout=rollout)


def region_defaults(region: Region) -> dict[str, Any]:
    """The call slot a new rollout starts from: the region file's."""
    return {
        "call_weekday": region.call_weekday,
        "call_time": region.call_time,
        "call_duration_minutes": region.call_duration_minutes,
    }
