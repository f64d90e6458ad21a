"""Buddies: committed learners paired within a rollout.

Order: buddies named in the roster, then buddies both learners named when they
committed, then a learner named by someone who asked to be paired with anyone ("pair
me"), then automatic pairs preferring a different manager and the same time zone. An odd
one out joins a pair (a trio). Each group gets an introduction email.

Two learners who named each other always share a group: when one of them is already in a
group, the other joins it. Learners whose manager declined their time (and nobody
approved it since) are held: not paired, and moved out of their group when pairing runs
again, until the lead resolves it (``pairing_holds``). The lead fixes groups by hand with
:func:`move_learner`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import func, select

from app.audit.services import record
from app.extensions import db
from app.language import _, person_locale
from app.mail.services import queue_email
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.rollouts.signals import pairing_holds

PAIRABLE = (EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)


class BuddyError(ValueError):
    pass


def _key(e: Enrollment) -> set[str]:
    return {e.person.employee_id.casefold(), e.person.email.casefold()}


def _zone(e: Enrollment, region: Region) -> str:
    return e.person.time_zone or region.time_zone


def held_from_pairing(rollout: Rollout) -> set[int]:
    """Ids of the rollout's enrollments that must not be paired yet (declined time)."""
    held: set[int] = set()
    for _receiver, ids in pairing_holds.send(rollout):
        held.update(ids or ())
    return held


def _name(ref: str | None) -> str:
    return (ref or "").strip().casefold()


def pair_buddies(*, region: Region, rollout: Rollout) -> list[list[Enrollment]]:
    """Put every unpaired committed learner of ``rollout`` into a buddy group.

    Sets ``buddy_group``, queues an introduction email to each member of each new or
    grown group, records an audit event. Returns the groups formed or grown.
    """
    held = held_from_pairing(rollout)
    everyone = list(
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.region_id == region.id,
                Enrollment.state.in_(PAIRABLE),
            )
            .order_by(Enrollment.id)
        )
    )
    _hold_out(region, rollout, [e for e in everyone if e.id in held], everyone)
    learners = [e for e in everyone if e.id not in held and not e.pairing_paused]
    groups: list[list[Enrollment]] = []
    # 0. two who named each other share a group: one already paired takes the other in
    in_group = {k: e for e in learners if e.buddy_group is not None for k in _key(e)}
    for e in learners:
        other = in_group.get(_name(e.requested_buddy))
        if e.buddy_group is None and other is not None and _name(other.requested_buddy) in _key(e):
            e.buddy_group = other.buddy_group
            grown = [m for m in learners if m.buddy_group == other.buddy_group]
            groups = [g for g in groups if g[0].buddy_group != other.buddy_group]
            groups.append(grown)
    unpaired = [e for e in learners if e.buddy_group is None]
    if not unpaired:
        return _commit_groups(region, rollout, groups) if groups else []
    by_ref: dict[str, Enrollment] = {}
    for e in unpaired:
        for k in _key(e):
            by_ref[k] = e
    taken: set[int] = set()

    def pair(a: Enrollment, b: Enrollment) -> None:
        groups.append([a, b])
        taken.update((a.id, b.id))

    # 1. the roster named a buddy: paired whatever the other side asked
    for e in unpaired:
        other = by_ref.get((e.roster_buddy or "").strip().casefold())
        if e.id not in taken and other and other.id != e.id and other.id not in taken:
            pair(e, other)
    # 2. both learners named each other
    for e in unpaired:
        other = by_ref.get((e.requested_buddy or "").strip().casefold())
        if (
            e.id not in taken
            and other
            and other.id != e.id
            and other.id not in taken
            and (other.requested_buddy or "").strip().casefold() in _key(e)
        ):
            pair(e, other)
    # 2b. a learner named someone who asked to be paired with anyone ("pair me")
    for e in unpaired:
        other = by_ref.get((e.requested_buddy or "").strip().casefold())
        if (
            e.id not in taken
            and other
            and other.id != e.id
            and other.id not in taken
            and not (other.requested_buddy or "").strip()
        ):
            pair(e, other)
    # 3. automatic: within a time zone, split sorted by manager so partners differ
    rest = [e for e in unpaired if e.id not in taken]
    by_zone: dict[str, list[Enrollment]] = defaultdict(list)
    for e in rest:
        by_zone[_zone(e, region)].append(e)
    leftovers: list[Enrollment] = []
    for zone in sorted(by_zone):
        leftovers.extend(_pair_apart(by_zone[zone], groups))
    leftover = _pair_apart(leftovers, groups)
    if leftover:
        odd = leftover[0]
        target = _trio_target(odd, groups, learners, region)
        if target is None:
            return _commit_groups(region, rollout, groups)  # alone: waits for the next one
        target.append(odd)
        if target not in groups:
            groups.append(target)
    return _commit_groups(region, rollout, groups)


def _hold_out(
    region: Region, rollout: Rollout, held: list[Enrollment], everyone: list[Enrollment]
) -> None:
    """Move held learners out of their groups; a partner left alone is paired again."""
    left = [e for e in held if e.buddy_group is not None]
    if not left:
        return
    numbers = {e.buddy_group for e in left}
    for e in left:
        e.buddy_group = None
    for number in numbers:
        rest = [e for e in everyone if e.buddy_group == number]
        if len(rest) == 1:
            rest[0].buddy_group = None
    db.session.flush()
    record(
        region_id=region.id,
        action="buddies.held_out",
        obj=rollout,
        channel="system",
        data={"enrollments": sorted(e.id for e in left), "why": "time declined"},
    )


def _pair_apart(people: list[Enrollment], groups: list[list[Enrollment]]) -> list[Enrollment]:
    """Pair people so that partners have different managers where possible; return the odd one."""
    ordered = sorted(people, key=lambda e: (e.person.manager_id or 0, e.id))
    half = len(ordered) // 2
    for a, b in zip(ordered[:half], ordered[half : 2 * half], strict=True):
        groups.append([a, b])
    return ordered[2 * half :]


def _trio_target(
    odd: Enrollment, groups: list[list[Enrollment]], learners: list[Enrollment], region: Region
) -> list[Enrollment] | None:
    """The pair an odd one out joins: same zone and other managers first."""
    candidates = [g for g in groups if len(g) == 2]
    existing: dict[int, list[Enrollment]] = defaultdict(list)
    for e in learners:
        if e.buddy_group is not None:
            existing[e.buddy_group].append(e)
    candidates += [g for g in existing.values() if len(g) == 2]
    if not candidates:
        return None

    def score(g: list[Enrollment]) -> tuple[int, int]:
        return (
            sum(_zone(m, region) != _zone(odd, region) for m in g),
            sum(m.person.manager_id == odd.person.manager_id for m in g),
        )

    return min(candidates, key=score)


def _commit_groups(
    region: Region, rollout: Rollout, groups: list[list[Enrollment]]
) -> list[list[Enrollment]]:
    next_group = (db.session.scalar(select(func.max(Enrollment.buddy_group))) or 0) + 1
    for group in groups:
        number = next((m.buddy_group for m in group if m.buddy_group is not None), None)
        if number is None:
            number, next_group = next_group, next_group + 1
        for member in group:
            member.buddy_group = number
        _introduce(region, rollout, group)
    db.session.flush()
    if groups:
        record(
            region_id=region.id,
            action="buddies.paired",
            obj=rollout,
            channel="system",
            data={"groups": len(groups)},
        )
    return groups


def _introduce_group(region: Region, rollout: Rollout, number: int) -> None:
    """Introduce the members of buddy group ``number`` (after a swap or a move) to each other."""
    members = db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == rollout.id, Enrollment.buddy_group == number
        )
    )
    _introduce(region, rollout, list(members))


def _introduce(region: Region, rollout: Rollout, group: list[Enrollment]) -> None:
    members = sorted(group, key=lambda m: m.id)
    signature = hashlib.sha256(",".join(str(m.id) for m in members).encode()).hexdigest()[:16]
    for member in members:
        person = member.person
        queue_email(
            kind="rollouts/buddy_intro",
            to_address=person.email,
            to_name=person.name,
            idempotency_key=f"rollouts/buddy_intro:{member.id}:{signature}",
            context={
                "name": person.name,
                "program_title": rollout.program.title,
                "buddies": [
                    {"name": o.person.name, "email": o.person.email, "goal": o.goal or ""}
                    for o in members
                    if o.id != member.id
                ],
            },
            locale=person_locale(person, region),
            region_id=region.id,
            person_id=person.id,
        )


def swap_buddies(
    *, region: Region, rollout: Rollout, first: Enrollment, second: Enrollment, actor: object
) -> None:
    """The lead swaps two learners between their buddy groups; both groups are introduced
    again (new emails to every member of the two new groups). Audited."""
    if first.rollout_id != rollout.id or second.rollout_id != rollout.id:
        raise BuddyError(_("Both learners must be in this rollout."))
    if first.buddy_group is None or second.buddy_group is None:
        raise BuddyError(_("Both learners must already have buddies."))
    if first.buddy_group == second.buddy_group:
        raise BuddyError(_("These two are already buddies; choose learners from two groups."))
    first.buddy_group, second.buddy_group = second.buddy_group, first.buddy_group
    db.session.flush()
    for number in (first.buddy_group, second.buddy_group):
        _introduce_group(region, rollout, number)
    record(
        region_id=region.id,
        action="buddies.swapped",
        obj=rollout,
        actor=actor,
        channel="web",
        data={"enrollments": [first.id, second.id]},
    )


class BuddyGroup(NamedTuple):
    """A buddy group as the lead sees it."""

    #: 1..n in the rollout, in the order the groups were formed: what people read
    number: int
    #: the stored ``Enrollment.buddy_group`` (a database-wide counter, never shown)
    key: int
    members: list[Enrollment]


def groups_by_name(rollout: Rollout) -> list[BuddyGroup]:
    """The rollout's buddy groups, numbered 1..n in the order they were formed (as
    :func:`app.rollouts.queries.buddy_group_numbers`), each group's members by name."""
    members = db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.region_id == rollout.region_id,
            Enrollment.buddy_group.is_not(None),
        )
    )
    found: dict[int, list[Enrollment]] = defaultdict(list)
    for e in members:
        found[e.buddy_group].append(e)  # type: ignore[index]
    return [
        BuddyGroup(number, key, sorted(found[key], key=lambda m: (m.person.name.casefold(), m.id)))
        for number, key in enumerate(sorted(found), start=1)
    ]


def move_learner(
    *,
    region: Region,
    rollout: Rollout,
    enrollment: Enrollment,
    group: int | None,
    reason: str,
    actor: object,
) -> None:
    """The lead moves a learner into another group of the rollout, or out of pairing
    (``group`` None: pairing leaves them alone until moved into a group again). The new
    group is introduced again; audited with who and why."""
    reason = reason.strip()
    if enrollment.rollout_id != rollout.id:
        raise BuddyError(_("Both learners must be in this rollout."))
    if len(reason) < 3:
        raise BuddyError(_("Say in a few words why you move this learner."))
    old = enrollment.buddy_group
    if group is not None:
        if not any(formed.key == group for formed in groups_by_name(rollout)):
            raise BuddyError(_("Choose a buddy group of this rollout."))
        if group == old:
            raise BuddyError(_("This learner is already in that group."))
    enrollment.buddy_group = group
    enrollment.pairing_paused = group is None
    db.session.flush()
    if group is not None:
        _introduce_group(region, rollout, group)
    record(
        region_id=region.id,
        action="buddies.moved",
        obj=enrollment,
        actor=actor,
        channel="web",
        data={"from": old, "to": group, "reason": reason[:500]},
    )
