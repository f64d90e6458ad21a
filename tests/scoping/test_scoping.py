"""Region scoping: one mechanism, proven for every region-owned model and every route."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.auth.models import Role
from app.db import RegionScoped
from app.extensions import db
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout
from app.scoping import set_region_scope
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff


def _region_scoped_models():
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, RegionScoped)),
        key=lambda c: c.__name__,
    )


@pytest.fixture
def two_regions():
    de, fr = region("de"), region("fr")
    de_enrollment = EnrollmentFactory(rollout=RolloutFactory(region_id=de.id))
    fr_enrollment = EnrollmentFactory(rollout=RolloutFactory(region_id=fr.id))
    db.session.commit()
    return de, fr, de_enrollment, fr_enrollment


def test_select_get_count_and_join_are_scoped(two_regions):
    de, _fr, de_enr, fr_enr = two_regions
    de_id, de_enr_id, fr_enr_id = de.id, de_enr.id, fr_enr.id
    de_person_id, de_rollout_id = de_enr.person_id, de_enr.rollout_id
    db.session.remove()  # a request starts with an empty identity map
    set_region_scope(db.session, [de_id])
    assert [e.id for e in db.session.scalars(select(Enrollment))] == [de_enr_id]
    assert db.session.get(Enrollment, fr_enr_id) is None
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    joined = db.session.scalars(select(Person).join(Enrollment, Enrollment.person_id == Person.id))
    assert [p.id for p in joined] == [de_person_id]
    alias = aliased(Rollout)
    assert db.session.scalars(select(alias.id)).all() == [de_rollout_id]
    assert [r.code for r in db.session.scalars(select(Region))] == ["de"]


def test_lazy_load_of_another_regions_row_finds_nothing(two_regions):
    de, fr, _de_enr, _fr_enr = two_regions
    # a learner of region de whose manager works in region fr
    manager = PersonFactory(region_id=fr.id)
    learner = PersonFactory(region_id=de.id, manager_id=None)
    db.session.flush()
    learner.manager_id = manager.id
    db.session.commit()
    de_id, learner_id = de.id, learner.id
    db.session.remove()  # a request starts with an empty identity map
    set_region_scope(db.session, [de_id])
    loaded = db.session.get(Person, learner_id)
    assert loaded is not None
    assert loaded.manager is None


def test_orm_update_and_delete_are_scoped(two_regions):
    from sqlalchemy import delete, update

    de, _fr, de_enr, fr_enr = two_regions
    set_region_scope(db.session, [de.id])
    db.session.execute(update(Enrollment).values(goal="changed"))
    db.session.execute(delete(Enrollment).where(Enrollment.id == fr_enr.id))
    set_region_scope(db.session, None)
    db.session.expire_all()
    assert db.session.get(Enrollment, fr_enr.id).goal is None
    assert db.session.get(Enrollment, de_enr.id).goal == "changed"


@pytest.mark.parametrize("model", _region_scoped_models(), ids=lambda m: m.__name__)
def test_every_region_owned_model_is_filtered(model, two_regions):
    """The criteria are added when the session executes: check the SQL actually sent."""
    from sqlalchemy import event

    de, *_ = two_regions
    captured: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append(statement)

    set_region_scope(db.session, [de.id])
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        db.session.execute(select(model)).close()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert any(re.search(rf"{model.__tablename__}\.region_id IN", s) for s in captured), captured


def test_no_scope_outside_requests_sees_everything(two_regions):
    set_region_scope(db.session, None)
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 2


def test_anonymous_request_sees_no_region(app, two_regions):
    from app.scoping import region_scope

    with app.test_request_context("/healthz"):
        app.preprocess_request()
        assert region_scope(db.session) == ()
        assert db.session.scalars(select(Enrollment)).all() == []


def test_global_admin_sees_every_region(client, login_as, two_regions):
    login_as(staff(Role.GLOBAL_ADMIN))
    html = client.get("/").get_data(as_text=True)
    assert "Germany" in html and "France" in html
