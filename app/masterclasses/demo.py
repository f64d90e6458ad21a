"""Demo: a master class per demo region and a global one, invitations for the completers
(some accepted, some waitlisted, a few declined); leaderboard opt-ins and goal answers are
``app/goals/demo.py``'s.

Idempotent: classes are looked up by region and title; invitations are unique per
learner; answers and opt-ins are decided per enrollment id, so a second run
creates nothing new.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.masterclasses.services import (
    accept_invitation,
    decline_invitation,
    invite_qualifying,
    record_attendance,
)
from app.rollouts.models import Enrollment, EnrollmentState

REGIONAL = {
    "de": ("Event-driven architecture in practice", "Dr. Ingrid Falk (Chief Architect)", "Berlin"),
    "fr": ("Concevoir pour l'observabilité", "Élodie Marchand (VP Engineering)", "Paris"),
    "in": ("Scaling delivery teams", "Arvind Rao (CTO)", "Bengaluru"),
    "us": ("Security by design, from the trenches", "Dana Whitfield (CISO)", "Austin"),
}
GLOBAL_TITLE = "The engineer of the future: a conversation with our CTO"
FACE_TO_FACE_TITLE = "Architecture kata day (in person)"
PAST_TITLE = "Kick-off master class: lessons from the first finishers"


def seed(ctx: Any) -> None:

    classes: list[MasterClass] = []
    for code, (title, hosts, city) in REGIONAL.items():
        region = ctx.regions.get(code)
        if region is None or code not in ctx.rollouts:
            continue
        starts = _local(ctx.today + timedelta(days=18), time(16, 0), region.time_zone)
        classes.append(
            _ensure(
                ctx,
                region_id=region.id,
                title=title,
                hosts=hosts,
                starts_at=starts,
                join_url=f"https://meet.example.com/masterclass-{code}",
                location="",
                capacity=max(3, _completed(ctx.rollouts[code].id) // 2),
                description=f"An hour with {hosts.split(' (')[0]} for {city}'s finishers.",
            )
        )
    if "de" in ctx.rollouts:
        classes.append(
            _ensure(
                ctx,
                region_id=ctx.regions["de"].id,
                title=FACE_TO_FACE_TITLE,
                hosts="Stefan Brandt and the Berlin architecture guild",
                starts_at=_local(ctx.today + timedelta(days=40), time(9, 30), "Europe/Berlin"),
                join_url="",
                location="Berlin HQ, Spreeforum, room 4.12",
                capacity=12,
                face_to_face=True,
                duration_minutes=6 * 60,
                description="A day of architecture katas for those who did every module.",
            )
        )
    classes.append(
        _ensure(
            ctx,
            region_id=None,
            title=GLOBAL_TITLE,
            hosts="Priya Raman (CTO), Grace Hopper-Lee (L&D)",
            starts_at=_local(ctx.today + timedelta(days=32), time(15, 0), "UTC"),
            join_url="https://meet.example.com/masterclass-global",
            location="",
            capacity=40,
            description="Open to every finisher worldwide; recorded for those who cannot join.",
        )
    )
    rng = random.Random(1042)
    for master_class in classes:
        for invitation in invite_qualifying(master_class):
            _answer(invitation, rng)
    if "de" in ctx.rollouts:
        _past_class_with_attendance(ctx)


def _past_class_with_attendance(ctx: Any) -> None:
    """A class held two weeks ago in Germany, its answers and attendance as they happened."""

    region = ctx.regions["de"]
    starts = _local(ctx.today - timedelta(days=14), time(17, 0), region.time_zone)
    master_class = _ensure(
        ctx,
        region_id=region.id,
        title=PAST_TITLE,
        hosts="Stefan Brandt (expert)",
        starts_at=starts,
        join_url="https://meet.example.com/masterclass-de-kickoff",
        location="",
        capacity=8,
        description="What the first finishers learned, told by them.",
    )
    for invitation in invite_qualifying(master_class, now=starts - timedelta(days=21)):
        accept_invitation(
            invitation, actor=invitation.enrollment.person, now=starts - timedelta(days=20)
        )
    lead = next((u for u in ctx.staff.values() if Role.LOCAL_LEAD in u.roles_in(region.id)), None)
    held = db.session.scalars(
        select(MasterClassInvitation.id).where(
            MasterClassInvitation.master_class_id == master_class.id,
            MasterClassInvitation.status.in_([InvitationStatus.ACCEPTED]),
        )
    ).all()
    if held:
        record_attendance(
            master_class,
            region_id=region.id,
            attended_ids={i for i in held if i % 4},
            actor=lead,
            now=starts + timedelta(hours=3),
        )


def _local(day: Any, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def _completed(rollout_id: int) -> int:
    return len(
        db.session.scalars(
            select(Enrollment.id).where(
                Enrollment.rollout_id == rollout_id,
                Enrollment.state == EnrollmentState.COMPLETED,
            )
        ).all()
    )


def _ensure(ctx: Any, *, region_id: int | None, title: str, **values: Any) -> MasterClass:
    found = db.session.scalars(
        select(MasterClass).where(
            MasterClass.title == title,
            MasterClass.region_id.is_(None)
            if region_id is None
            else MasterClass.region_id == region_id,
        )
    ).first()
    if found is not None:
        return found
    master_class = MasterClass(
        program_id=ctx.program.id, region_id=region_id, title=title, **values
    )
    db.session.add(master_class)
    db.session.flush()
    return master_class


def _answer(invitation: Any, rng: random.Random) -> None:
    """A new invitation's demo answer: most accept (the last ones end on the waitlist)."""

    roll = rng.random()
    person = invitation.enrollment.person
    if roll < 0.75:
        accept_invitation(invitation, actor=person)
    elif roll < 0.85:
        decline_invitation(invitation, actor=person)
    assert invitation.status in set(InvitationStatus)
