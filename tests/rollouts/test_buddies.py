"""Buddy pairing: roster-named first, then mutual requests, then automatic pairs."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.rollouts.buddies import BuddyError, move_learner, pair_buddies, swap_buddies
from app.rollouts.models import EnrollmentState
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff


def _committed(rollout, manager, **kw):  # type: ignore[no-untyped-def]
    person_kw = {k: kw.pop(k) for k in ("time_zone", "employee_id", "email") if k in kw}
    return EnrollmentFactory(
        rollout=rollout,
        person=PersonFactory(manager=manager, **person_kw),
        state=EnrollmentState.COMMITTED,
        goal="Learn things",
        **kw,
    )


def _groups(enrollments) -> list[set[int]]:  # type: ignore[no-untyped-def]
    by: dict[int, set[int]] = {}
    for e in enrollments:
        by.setdefault(e.buddy_group, set()).add(e.id)
    return sorted(by.values(), key=min)


def test_named_buddies_first_then_different_managers() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    a = _committed(rollout, m1, employee_id="A-1", roster_buddy="a-4")  # roster: one side is enough
    b = _committed(rollout, m1, employee_id="A-2", requested_buddy="a-3@example.com")
    c = _committed(rollout, m1, employee_id="A-3", email="a-3@example.com", requested_buddy="A-2")
    d = _committed(rollout, m1, employee_id="A-4")
    # one-sided, and A-6 asked for anyone ("pair me"): honoured
    e = _committed(rollout, m1, employee_id="A-5", requested_buddy="A-6")
    f = _committed(rollout, m2, employee_id="A-6")
    g = _committed(rollout, m2, employee_id="A-7")
    h = _committed(rollout, m1, employee_id="A-8")
    pair_buddies(region=rollout.region, rollout=rollout)
    groups = _groups([a, b, c, d, e, f, g, h])
    assert {a.id, d.id} in groups and {b.id, c.id} in groups and {e.id, f.id} in groups
    # automatic: h (manager m1) paired with g (manager m2)
    assert {g.id, h.id} in groups
    for group in groups:
        assert len(group) == 2


def test_a_one_sided_request_to_someone_who_named_another_is_not_forced() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    a = _committed(rollout, m1, employee_id="B-1", requested_buddy="B-2")
    b = _committed(rollout, m2, employee_id="B-2", requested_buddy="B-3")
    c = _committed(rollout, m1, employee_id="B-3", requested_buddy="B-2")
    d = _committed(rollout, m2, employee_id="B-4")
    pair_buddies(region=rollout.region, rollout=rollout)
    groups = _groups([a, b, c, d])
    assert {b.id, c.id} in groups and {a.id, d.id} in groups


def test_odd_count_makes_one_trio_and_same_time_zone_preferred() -> None:
    rollout = RolloutFactory()
    managers = [PersonFactory() for _ in range(3)]
    berlin = [_committed(rollout, managers[i % 3]) for i in range(4)]
    kolkata = [_committed(rollout, managers[i % 3], time_zone="Asia/Kolkata") for i in range(3)]
    pair_buddies(region=rollout.region, rollout=rollout)
    everyone = berlin + kolkata
    sizes = Counter(len(g) for g in _groups(everyone))
    assert sizes == {2: 2, 3: 1}
    zone = {e.id: e.person.time_zone for e in everyone}
    for group in _groups(everyone):
        if len(group) == 2:
            assert len({zone[i] for i in group}) == 1
    for group in _groups(berlin):
        members = [e for e in berlin if e.id in group]
        if len(members) == 2:
            assert members[0].person.manager_id != members[1].person.manager_id


def test_pairing_again_pairs_only_newcomers_and_mails_both_sides(run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory()
    m = PersonFactory()
    first = [_committed(rollout, m) for _ in range(2)]
    pair_buddies(region=rollout.region, rollout=rollout)
    run_jobs()
    [intro] = smtp_sink.to(first[0].person.email)
    assert first[1].person.name in intro.get_body(("plain",)).get_content()
    late = _committed(rollout, m)
    invited = EnrollmentFactory(rollout=rollout, state=EnrollmentState.INVITED)
    pair_buddies(region=rollout.region, rollout=rollout)
    assert late.buddy_group == first[0].buddy_group  # the odd newcomer joins a pair: a trio
    assert invited.buddy_group is None
    run_jobs()
    assert len(smtp_sink.to(late.person.email)) == 1
    assert len(smtp_sink.to(first[0].person.email)) == 2  # re-introduced to the trio
    assert pair_buddies(region=rollout.region, rollout=rollout) == []


def test_lead_swaps_two_learners() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    people = [_committed(rollout, m1 if i % 2 else m2) for i in range(4)]
    pair_buddies(region=rollout.region, rollout=rollout)
    a = people[0]
    partner = next(p for p in people if p.buddy_group == a.buddy_group and p.id != a.id)
    other = next(p for p in people if p.buddy_group != a.buddy_group)
    with pytest.raises(BuddyError):
        swap_buddies(region=rollout.region, rollout=rollout, first=a, second=partner, actor=None)
    old = a.buddy_group
    swap_buddies(region=rollout.region, rollout=rollout, first=a, second=other, actor=None)
    db.session.flush()
    assert other.buddy_group == old and partner.buddy_group == old


def _decline_time(enrollment, status=AllocationStatus.DECLINED):  # type: ignore[no-untyped-def]
    allocation = TimeAllocation(
        enrollment_id=enrollment.id,
        region_id=enrollment.region_id,
        manager_id=enrollment.person.manager_id,
        hours_requested=3.0,
        status=status,
    )
    db.session.add(allocation)
    db.session.flush()
    return allocation


def test_two_who_named_each_other_share_a_group_even_when_one_was_paired_first() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    a = _committed(rollout, m1, employee_id="C-1", requested_buddy="C-2")
    early = _committed(rollout, m2, employee_id="C-9")
    pair_buddies(region=rollout.region, rollout=rollout)  # C-2 has not committed yet
    assert a.buddy_group is not None and a.buddy_group == early.buddy_group
    b = _committed(rollout, m2, employee_id="C-2", requested_buddy="c-1")
    pair_buddies(region=rollout.region, rollout=rollout)
    assert b.buddy_group == a.buddy_group


def test_declined_time_keeps_a_learner_out_of_pairing_and_pairing_again_moves_them_out() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    people = [_committed(rollout, m1 if i % 2 else m2) for i in range(4)]
    pair_buddies(region=rollout.region, rollout=rollout)
    declined = people[0]
    partner = next(p for p in people if p.buddy_group == declined.buddy_group and p != declined)
    _decline_time(declined)
    newcomer = _committed(rollout, m1)
    pair_buddies(region=rollout.region, rollout=rollout)
    assert declined.buddy_group is None
    # the partner left alone is paired again (with the newcomer)
    assert partner.buddy_group is not None and partner.buddy_group == newcomer.buddy_group
    held = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "buddies.held_out")
    ).all()
    assert len(held) == 1
    # a learner declined before the first pairing is not paired; once approved, they are
    later = _committed(rollout, m2)
    allocation = _decline_time(later)
    lone = _committed(rollout, m1)
    pair_buddies(region=rollout.region, rollout=rollout)
    assert later.buddy_group is None
    allocation.status = AllocationStatus.APPROVED
    pair_buddies(region=rollout.region, rollout=rollout)
    assert later.buddy_group is not None
    assert lone.buddy_group is not None


def test_the_lead_moves_a_learner_to_another_group_or_out_of_pairing() -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    people = [_committed(rollout, m1 if i % 2 else m2) for i in range(4)]
    pair_buddies(region=rollout.region, rollout=rollout)
    a = people[0]
    other = next(p for p in people if p.buddy_group != a.buddy_group)
    with pytest.raises(BuddyError):
        move_learner(
            region=rollout.region,
            rollout=rollout,
            enrollment=a,
            group=other.buddy_group,
            reason="",
            actor=None,
        )
    move_learner(
        region=rollout.region,
        rollout=rollout,
        enrollment=a,
        group=other.buddy_group,
        reason="Same project team",
        actor=None,
    )
    assert a.buddy_group == other.buddy_group
    move_learner(
        region=rollout.region,
        rollout=rollout,
        enrollment=a,
        group=None,
        reason="On leave",
        actor=None,
    )
    assert a.buddy_group is None and a.pairing_paused
    _committed(rollout, m1)
    pair_buddies(region=rollout.region, rollout=rollout)
    assert a.buddy_group is None  # out of pairing until the lead moves them in again
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "buddies.moved")
    ).all()[-1]
    assert event.data["reason"] == "On leave" and event.data["to"] is None


def test_buddies_page_lists_groups_by_name_and_the_lead_fixes_them(  # type: ignore[no-untyped-def]
    client, login_as, csrf_token
) -> None:
    rollout = RolloutFactory()
    m1, m2 = PersonFactory(), PersonFactory()
    people = [_committed(rollout, m1 if i % 2 else m2) for i in range(4)]
    pair_buddies(region=rollout.region, rollout=rollout)
    waiting = _committed(rollout, m1)
    _decline_time(waiting)
    code = rollout.region.code
    page = f"/r/{code}/rollouts/{rollout.slug}/buddies"
    move = f"{page}/move"
    login_as(staff(Role.LOCAL_LEAD, code))
    html = client.get(page).get_data(as_text=True)
    a = people[0]
    other = next(p for p in people if p.buddy_group != a.buddy_group)
    partner = next(p for p in people if p.buddy_group == a.buddy_group and p != a)
    first, second = sorted([a.person.name, partner.person.name], key=str.casefold)
    number = sorted({p.buddy_group for p in people}).index(a.buddy_group) + 1
    assert f'<li id="group-{number}">Group {number}: ' in html
    assert first in html and second in html
    assert waiting.person.name in html and "declined" in html
    token = csrf_token(page)
    assert client.post(move, data={"learner": a.id, "group": other.buddy_group}).status_code == 400
    # no reason: refused, nothing moved
    form = {"csrf_token": token, "learner": a.id, "group": str(other.buddy_group)}
    client.post(move, data={**form, "reason": ""})
    db.session.expire_all()
    assert a.buddy_group != other.buddy_group
    assert client.post(move, data={**form, "reason": "Same team"}).status_code == 302
    db.session.expire_all()
    assert a.buddy_group == other.buddy_group
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "buddies.moved")).one()
    assert event.data["reason"] == "Same team" and event.actor_id is not None
    # another region's learner: 404
    foreign = _committed(RolloutFactory(region_id=region("fr").id), PersonFactory())
    db.session.commit()
    bad = {"csrf_token": token, "learner": foreign.id, "group": "out", "reason": "Not mine"}
    assert client.post(move, data=bad).status_code == 404
    # an expert may look but not move
    login_as(staff(Role.EXPERT, code))
    form["csrf_token"] = csrf_token(page)
    assert client.post(move, data={**form, "group": "out", "reason": "x" * 5}).status_code == 403
    db.session.expire_all()
    assert a.buddy_group == other.buddy_group
