"""Read epochs per region (app.readcache, issue 26): a write in one region leaves the pages
kept for another region alone, invalidates its own region's pages and every page that
reads several regions; a write whose region is not known invalidates every page. ORM
objects, Core statements and INSERT … SELECT each say their region, or count as every
region. Whatever the order of writes and reads, no page ever shows a stale figure."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, literal, select, text, update

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role, RoleAssignment
from app.extensions import db
from app.people.models import Person
from app.readcache import writes_in
from app.rollouts.models import Enrollment, EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff
from tests.statements import statements_during

A, DONE = EnrollmentState.ACTIVE, EnrollmentState.COMPLETED
LEARNERS = 10


@pytest.fixture
def world(app, client):
    """A launched rollout of ten active learners in the US and in Germany; a lead of each,
    a lead of both and a global admin, each signed in on their own client."""
    rollouts = {}
    for code in ("us", "de"):
        rollout = RolloutFactory(region_id=region(code).id, status=RolloutStatus.LAUNCHED)
        for _ in range(LEARNERS):
            enrollment = EnrollmentFactory(
                rollout=rollout, invited_at=datetime(2026, 10, 1, tzinfo=UTC)
            )
            for step, state in enumerate(
                (EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, A)
            ):
                enrollment.transition(state, at=datetime(2026, 10, 2, 9 + step, tzinfo=UTC))
        rollouts[code] = rollout
    both = staff(Role.LOCAL_LEAD, "us")
    db.session.add(RoleAssignment(user_id=both.id, region_id=region("de").id, role=Role.LOCAL_LEAD))
    people = {
        "us lead": staff(Role.LOCAL_LEAD, "us"),
        "de lead": staff(Role.LOCAL_LEAD, "de"),
        "lead of both": both,
        "global admin": staff(Role.GLOBAL_ADMIN),
    }
    db.session.commit()
    clients = {}
    for name, user in people.items():
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        with browser.session_transaction() as session:
            session[SESSION_USER_KEY] = user.id
        clients[name] = browser
    return rollouts, clients


def _url(rollout) -> str:
    return f"/r/{'us' if rollout.region_id == region('us').id else 'de'}/rollouts/{rollout.slug}"


def _load(browser, url: str) -> tuple[int, bool]:
    """The completion rate the page shows, and whether it was a kept page (one statement:
    the sign-in's)."""
    found: list = []
    seen = statements_during(lambda: found.append(browser.get(url)))
    response = found[0]
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rate = re.search(r'data-metric="completion_rate">\s*(\d+)', html)
    return int(rate.group(1)) if rate else 0, len(seen) == 1


def _warm(world) -> None:
    rollouts, clients = world
    for browser in clients.values():
        for rollout in rollouts.values():
            if browser is clients["us lead"] and rollout is rollouts["de"]:
                continue
            if browser is clients["de lead"] and rollout is rollouts["us"]:
                continue
            _load(browser, _url(rollout))  # the session's CSRF token is made here
            _load(browser, _url(rollout))  # kept from here
            assert _load(browser, _url(rollout))[1], "the third load is a kept page"


def _kept(world, who: str, code: str) -> bool:
    rollouts, clients = world
    return _load(clients[who], _url(rollouts[code]))[1]


def _one_active(rollout) -> Enrollment:
    return db.session.scalars(
        select(Enrollment).where(Enrollment.rollout_id == rollout.id, Enrollment.state == A)
    ).first()


def _complete_orm(rollout) -> None:
    _one_active(rollout).transition(DONE, at=datetime(2026, 10, 20, tzinfo=UTC))


def _complete_core(rollout, *, declare: bool) -> None:
    stmt = (
        update(Enrollment)
        .where(Enrollment.id == _one_active(rollout).id)
        .values(state=DONE, completed_at=datetime(2026, 10, 20, tzinfo=UTC))
    )
    if declare:
        stmt = stmt.execution_options(**writes_in(rollout.region_id))
    db.session.connection().execute(stmt)


def _enroll_by_insert_select(rollout, *, declare: bool) -> None:
    """INSERT … SELECT: a copy of one enrollment of the rollout for a new person."""
    person = PersonFactory(region_id=rollout.region_id)
    db.session.flush()
    source = _one_active(rollout)
    columns = [c for c in Enrollment.__table__.c if c.name not in ("id", "person_id")]
    stmt = insert(Enrollment).from_select(
        [*(c.name for c in columns), "person_id"],
        select(*columns, literal(person.id)).where(Enrollment.id == source.id),
    )
    if declare:
        stmt = stmt.execution_options(**writes_in(rollout.region_id))
    db.session.connection().execute(stmt)


WRITES: dict[str, Callable[..., None]] = {
    "ORM": _complete_orm,
    "Core, declared": lambda r: _complete_core(r, declare=True),
    "INSERT … SELECT, declared": lambda r: _enroll_by_insert_select(r, declare=True),
}


@pytest.mark.parametrize("how", WRITES)
def test_a_write_in_one_region_keeps_the_other_regions_pages(world, how):
    rollouts, _ = world
    _warm(world)
    WRITES[how](rollouts["de"])
    db.session.commit()
    assert _kept(world, "us lead", "us"), "a German write left the US page alone"
    assert not _kept(world, "de lead", "de"), "the German page is rendered afresh"
    assert not _kept(world, "lead of both", "us"), "a page of both regions' lead moves too"
    assert not _kept(world, "global admin", "us"), "a global admin's page reads every region"
    assert _kept(world, "us lead", "us")


UNKNOWN: dict[str, Callable[[], None]] = {
    "Core, undeclared": lambda r: _complete_core(r, declare=False),
    "INSERT … SELECT, undeclared": lambda r: _enroll_by_insert_select(r, declare=False),
    "text()": lambda r: db.session.execute(
        text("UPDATE enrollment SET leaderboard_opt_in = NOT leaderboard_opt_in WHERE id = :i"),
        {"i": _one_active(r).id},
    ),
    "a table without a region": lambda r: setattr(r.program, "title", "Renamed everywhere"),
    "a region_id of NULL": lambda r: db.session.add(
        RoleAssignment(user_id=staff(Role.SPONSOR, "fr").id, region_id=None, role=Role.GLOBAL_ADMIN)
    ),
}


@pytest.mark.parametrize("how", UNKNOWN)
def test_a_write_of_unknown_region_invalidates_every_page(world, how):
    rollouts, _ = world
    _warm(world)
    UNKNOWN[how](rollouts["de"])
    db.session.commit()
    for who, code in (("us lead", "us"), ("de lead", "de"), ("global admin", "us")):
        assert not _kept(world, who, code), f"{who}: {code} rendered afresh"


def test_a_person_moved_between_regions_moves_both(world):
    _warm(world)
    person = db.session.scalars(select(Person).where(Person.region_id == region("us").id)).first()
    db.session.commit()  # expired: the flush reads the region it had from the row
    person.region_id = region("de").id
    db.session.commit()
    assert not _kept(world, "us lead", "us") and not _kept(world, "de lead", "de")


def test_an_expired_object_written_in_one_region_keeps_the_other(world):
    rollouts, _ = world
    enrollment = _one_active(rollouts["de"])
    db.session.commit()  # every loaded object expires
    _warm(world)
    enrollment.leaderboard_opt_in = not enrollment.leaderboard_opt_in
    db.session.commit()
    assert _kept(world, "us lead", "us")
    assert not _kept(world, "de lead", "de")


def test_an_insert_with_its_rows_regions_keeps_the_other_region(world):
    _warm(world)
    db.session.execute(
        insert(Person).values(
            region_id=region("de").id, employee_id="X-1", name="New Person", email="x1@example.com"
        )
    )
    db.session.commit()
    assert _kept(world, "us lead", "us")
    assert not _kept(world, "de lead", "de")


def _expected(rollout) -> int:
    rows = dict(
        db.session.execute(
            select(Enrollment.state, func.count())
            .where(Enrollment.rollout_id == rollout.id)
            .group_by(Enrollment.state)
        ).all()
    )
    total = sum(rows.values())
    return round(100 * rows.get(DONE, 0) / total) if total else 0


def test_nothing_stale_is_ever_served(world):
    """Interleaved writes of every kind in both regions and reads by every observer: each
    page shows what the database holds at that moment, and pages are kept meanwhile."""
    rollouts, clients = world
    pick = random.Random(26)
    seeing = {
        "us lead": ("us",),
        "de lead": ("de",),
        "lead of both": ("us", "de"),
        "global admin": ("us", "de"),
    }
    writes = {
        **WRITES,
        "Core, undeclared": lambda r: _complete_core(r, declare=False),
        "reopen, declared": lambda r: db.session.connection().execute(
            update(Enrollment)
            .where(Enrollment.rollout_id == r.id, Enrollment.state == DONE)
            .values(state=A, completed_at=None)
            .execution_options(**writes_in(r.region_id))
        ),
    }
    kept = 0
    for step in range(40):
        if step % 2:
            code = pick.choice(("us", "de"))
            how = pick.choice(sorted(writes))
            if how != "reopen, declared" and _one_active(rollouts[code]) is None:
                how = "reopen, declared"
            writes[how](rollouts[code])
            if pick.random() < 0.2:
                db.session.rollback()  # a refused request: nothing changes, nothing moves
            else:
                db.session.commit()
        for who in pick.sample(sorted(seeing), k=len(seeing)):
            for code in seeing[who]:
                expected = _expected(rollouts[code])
                db.session.commit()
                shown, was_kept = _load(clients[who], _url(rollouts[code]))
                assert shown == expected, f"step {step}: {who} saw {shown} % of {code}"
                kept += was_kept
    assert kept > 40, "pages were kept between the writes"


def test_a_progress_import_in_one_region_keeps_the_other_regions_pages(world):
    """The import's staging statements (temporary tables, COPY, the merge) declare the
    rollout's region: a steady stream of imports elsewhere leaves a region's pages kept."""
    import io

    from app.progress.importing import import_stream

    rollouts, _ = world
    germany = rollouts["de"]
    learners = db.session.scalars(
        select(Person.employee_id)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.rollout_id == germany.id)
    ).all()
    _warm(world)
    lines = ["employee_id,email,module,percent,completed,observed_at"] + [
        f"{employee_id},,Module {m},100,yes,2026-10-10T10:00:00Z"
        for employee_id in learners[:3]
        for m in range(1, 7)
    ]
    result = import_stream(
        region=germany.region, rollout=germany, raw=io.BytesIO("\n".join(lines).encode())
    )
    db.session.commit()
    assert result.applied == 18
    assert _kept(world, "us lead", "us")
    assert not _kept(world, "de lead", "de")
    assert _load(world[1]["de lead"], _url(germany))[0] == 30  # 3 of 10 completed


def test_an_orm_bulk_update_by_primary_key_is_not_taken_for_a_flush(world):
    """The ORM's bulk UPDATE (a list of primary keys and values) runs with the flush's
    statement cache but without its object events: its rows' regions are not known, so
    it moves every region even after a flush that wrote in one region only."""
    rollouts, _ = world
    _warm(world)
    _complete_orm(rollouts["de"])
    db.session.flush()
    american = _one_active(rollouts["us"])
    db.session.execute(update(Enrollment), [{"id": american.id, "leaderboard_opt_in": True}])
    db.session.commit()
    assert not _kept(world, "us lead", "us")


def test_many_expired_objects_count_as_every_region(world):
    """Reading back the region of an expired object is bounded per transaction: past
    MAX_REGION_LOOKUPS rows, the flush counts as writing in every region."""
    from app.readcache import MAX_REGION_LOOKUPS

    extra = RolloutFactory(region_id=region("de").id, status=RolloutStatus.LAUNCHED)
    for _ in range(MAX_REGION_LOOKUPS + 1 - LEARNERS):
        EnrollmentFactory(rollout=extra, invited_at=datetime(2026, 10, 1, tzinfo=UTC))
    german = db.session.scalars(
        select(Enrollment).where(Enrollment.region_id == region("de").id)
    ).all()
    assert len(german) > MAX_REGION_LOOKUPS
    db.session.commit()  # every loaded object expires
    _warm(world)
    for enrollment in german:
        enrollment.leaderboard_opt_in = True
    db.session.commit()
    assert not _kept(world, "us lead", "us")
