"""The read cache (app.readcache): figures counted for one GET are reused by the next ones
until anything commits, so what a lead just changed shows on their next page load."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app import readcache
from app.auth.models import Role
from app.extensions import db
from app.readcache import read_cache
from app.rollouts.models import Enrollment, EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff
from tests.statements import statements_during

C, T, A = EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE


@pytest.fixture
def rollout(client, login_as):
    rollout = RolloutFactory(region_id=region("us").id, status=RolloutStatus.LAUNCHED)
    for _ in range(4):
        enrollment = EnrollmentFactory(
            rollout=rollout, invited_at=datetime(2026, 10, 1, tzinfo=UTC)
        )
        for step, state in enumerate((C, T, A)):
            enrollment.transition(state, at=datetime(2026, 10, 2, 9 + step, tzinfo=UTC))
    login_as(staff(Role.LOCAL_LEAD, "us"))  # commits
    return rollout


def _rate(client, slug: str) -> str:
    html = client.get(f"/r/us/rollouts/{slug}").get_data(as_text=True)
    return re.search(r'data-metric="completion_rate">([^<]*)<', html).group(1).strip()


def _statements(run: Callable[[], object]) -> int:
    return len(statements_during(run))


def _complete_one(rollout) -> None:
    enrollment = db.session.scalars(
        db.select(Enrollment).where(
            Enrollment.rollout_id == rollout.id, Enrollment.state == EnrollmentState.ACTIVE
        )
    ).first()
    enrollment.transition(EnrollmentState.COMPLETED, at=datetime(2026, 10, 20, tzinfo=UTC))


def test_the_second_load_reuses_the_figures(client, rollout):
    first = _statements(lambda: _rate(client, rollout.slug))
    second = _statements(lambda: _rate(client, rollout.slug))
    assert second < first


def test_a_change_shows_on_the_next_page_load(client, rollout):
    assert re.match(r"0\s?%", _rate(client, rollout.slug))
    _complete_one(rollout)
    db.session.commit()
    assert re.match(r"25\s?%", _rate(client, rollout.slug))


def test_a_commit_by_another_session_shows_too(client, rollout):
    """A job or another web process commits through its own session."""
    assert re.match(r"0\s?%", _rate(client, rollout.slug))
    db.session.commit()  # nothing pending here, the change comes from elsewhere
    with Session(db.engine) as other:
        other.execute(
            update(Enrollment)
            .where(Enrollment.rollout_id == rollout.id)
            .values(
                state=EnrollmentState.COMPLETED, completed_at=datetime(2026, 10, 20, tzinfo=UTC)
            )
        )
        other.commit()
    assert re.match(r"100\s?%", _rate(client, rollout.slug))


def test_uncommitted_changes_are_never_cached(client, rollout):
    assert re.match(r"0\s?%", _rate(client, rollout.slug))
    _complete_one(rollout)
    db.session.flush()  # the request shares this session: it sees its own change
    assert re.match(r"25\s?%", _rate(client, rollout.slug))
    db.session.rollback()
    assert re.match(r"0\s?%", _rate(client, rollout.slug))


def test_entries_expire(client, rollout, monkeypatch):
    _rate(client, rollout.slug)
    cached = _statements(lambda: _rate(client, rollout.slug))
    monkeypatch.setattr(read_cache, "ttl", 0.0)
    assert _statements(lambda: _rate(client, rollout.slug)) > cached


def test_a_warm_cache_changes_nothing_for_another_region(client, rollout, login_as):
    _rate(client, rollout.slug)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/r/us/rollouts/{rollout.slug}").status_code == 404
    assert client.get(f"/r/de/rollouts/{rollout.slug}").status_code == 404


def test_a_revoked_role_is_refused_with_a_warm_cache(client, rollout):
    from sqlalchemy import delete

    from app.auth.access import SESSION_USER_KEY
    from app.auth.models import RoleAssignment

    assert client.get(f"/r/us/approvals/{rollout.slug}").status_code == 200
    assert client.get(f"/r/us/approvals/{rollout.slug}").status_code == 200
    with client.session_transaction() as session:
        user_id = session[SESSION_USER_KEY]
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
    db.session.add(RoleAssignment(user_id=user_id, region_id=region("us").id, role=Role.SPONSOR))
    db.session.commit()
    assert client.get(f"/r/us/approvals/{rollout.slug}").status_code == 403


def test_a_region_change_shows_on_the_next_page_load(client, rollout):
    """The region row is reused per scope and epoch: a regions sync (a commit) shows."""
    us = region("us")
    name = us.name
    assert name in client.get("/r/us/").get_data(as_text=True)
    try:
        us.name = "Renamed Region"
        db.session.commit()
        assert "Renamed Region" in client.get("/r/us/").get_data(as_text=True)
    finally:
        region("us").name = name
        db.session.commit()


def test_a_commit_drops_the_older_entries(client, rollout):
    """What was counted before a commit is not kept (it may name someone since erased)."""
    _rate(client, rollout.slug)
    assert read_cache._entries
    _complete_one(rollout)
    db.session.commit()
    _rate(client, rollout.slug)
    epochs = {key[-1] for key in read_cache._entries}
    assert len(epochs) == 1


def _epoch() -> int:
    with Session(db.engine) as fresh:
        return fresh.execute(db.select(readcache.ReadEpoch.n)).scalar_one()


def test_only_a_commit_that_wrote_moves_the_epoch(rollout):
    """A scheduler tick that found nothing to do must not empty every cache; a raw
    statement of an import or a term close must."""
    before = _epoch()
    db.session.scalars(db.select(Enrollment)).all()
    db.session.commit()
    assert _epoch() == before

    db.session.connection().execute(
        update(Enrollment)
        .where(Enrollment.rollout_id == rollout.id)
        .values(leaderboard_opt_in=True)
    )
    db.session.commit()
    assert _epoch() == before + 1

    from sqlalchemy import text

    db.session.connection().execute(
        text("UPDATE enrollment SET leaderboard_opt_in = :f WHERE rollout_id = :r"),
        {"f": False, "r": rollout.id},
    )
    db.session.commit()
    assert _epoch() == before + 2

    _complete_one(rollout)
    db.session.commit()
    assert _epoch() == before + 3


def test_a_savepoint_moves_the_epoch_only_at_the_commit(rollout):
    """SQLAlchemy tells a savepoint's release as a commit: the epoch rows are not locked
    (nor moved) until the transaction itself commits, and it still counts as having
    written."""
    before = _epoch()
    with db.session.begin_nested():
        db.session.execute(
            update(Enrollment)
            .where(Enrollment.rollout_id == rollout.id)
            .values(leaderboard_opt_in=True)
            .execution_options(synchronize_session=False)
        )
    assert _epoch() == before  # another session reads the old epoch, without waiting
    assert db.session.info.get(readcache._DIRTY)  # this session's pages are not kept
    db.session.commit()
    assert _epoch() == before + 1


def test_a_read_only_commit_keeps_the_cached_figures(client, rollout):
    cold = _statements(lambda: _rate(client, rollout.slug))
    db.session.scalars(db.select(Enrollment)).all()
    db.session.commit()
    after_read = _statements(lambda: _rate(client, rollout.slug))
    _complete_one(rollout)
    db.session.commit()
    after_write = _statements(lambda: _rate(client, rollout.slug))
    assert after_read < cold and after_read < after_write


def test_mail_delivery_alone_keeps_the_epoch(rollout):
    """The outbox worker commits after every batch: those commits touch no counted table."""
    from sqlalchemy import false

    from app.mail.models import OutboundEmail

    before = _epoch()
    db.session.execute(update(OutboundEmail).where(false()).values(attempts=1))
    db.session.commit()
    assert _epoch() == before
    db.session.execute(update(OutboundEmail).where(false()).values(attempts=1))
    db.session.execute(update(Enrollment).where(false()).values(leaderboard_opt_in=True))
    db.session.commit()
    assert _epoch() == before + 1


def test_a_requests_region_is_a_clean_copy_of_its_own(app):
    """A request's first look at its region (a server's fresh session) builds the kept
    columns into a clean, persistent Region of the request's session, without a query;
    its JSON settings are its own, and a change to it is written at the commit."""
    from sqlalchemy import inspect, select

    from app.regions.models import Region
    from app.regions.queries import region_by_code

    name = region("us").name
    with app.test_request_context("/r/us/"):
        assert read_cache.active()
        region_by_code(db.session, "us")  # the columns kept
        db.session.expunge_all()
        seen: list[Region] = []
        assert _statements(lambda: seen.append(region_by_code(db.session, "us"))) == 0
        us = seen[0]
        state = inspect(us)
        assert state.persistent and not state.modified and us in db.session
        assert (us.code, us.name) == ("us", name)
        us.settings["changed"] = True  # in place, as a careless view might
        db.session.expunge_all()
        again = region_by_code(db.session, "us")
        assert again is not us and "changed" not in again.settings
        try:
            again.name = "Renamed Region"
            db.session.commit()
            db.session.expunge_all()
            assert db.session.scalar(select(Region.name).where(Region.code == "us")) == (
                "Renamed Region"
            )
        finally:
            region("us").name = name
            db.session.commit()
