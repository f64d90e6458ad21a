"""Walk every region route: a foreign region or id is 404; sponsors never change anything."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import create_app
from app.auth.models import Role
from app.extensions import db
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff


def _region_rules() -> list[Any]:
    from tests.conftest import _static_settings

    app = create_app(_static_settings())
    return sorted(
        (r for r in app.url_map.iter_rules() if "region" in r.arguments),
        key=lambda r: (r.rule, sorted(r.methods or ())),
    )


def _fill(rule: Any, values: dict[str, Any]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(values[arg]), path)
    return path


def _objects(code: str) -> dict[str, Any]:
    """One object of region ``code`` for each URL argument name that region routes use.

    A new route with a new argument name fails the walk until it is added here.
    """
    from datetime import UTC, date, datetime

    from app.approvals.models import TimeAllocation
    from app.calls.models import CallQuestion, CallSession
    from app.masterclasses.models import MasterClass, MasterClassInvitation
    from app.reports.models import Report
    from app.roster.models import RosterImport
    from app.terms.models import TermReview

    reg = region(code)
    enrollment = EnrollmentFactory(rollout=RolloutFactory(region_id=reg.id))
    session = CallSession(
        region_id=reg.id,
        rollout_id=enrollment.rollout_id,
        series_date=date(2026, 9, 10),
        starts_at=datetime(2026, 9, 10, 14, 0, tzinfo=UTC),
    )
    db.session.add(session)
    db.session.flush()
    question = CallQuestion(
        region_id=reg.id, session_id=session.id, enrollment_id=enrollment.id, text="?"
    )
    db.session.add(question)
    master_class = MasterClass(
        program_id=enrollment.rollout.program_id,
        region_id=reg.id,
        title="Master class",
        starts_at=datetime(2026, 12, 10, 14, 0, tzinfo=UTC),
    )
    db.session.add(master_class)
    db.session.flush()
    invitation = MasterClassInvitation(
        region_id=reg.id, master_class_id=master_class.id, enrollment_id=enrollment.id
    )
    db.session.add(invitation)
    # each region has a report for a week the other has none for
    week = {"de": "2026-W40"}.get(code, "2026-W41")
    db.session.add(Report(scope="region", region_id=reg.id, week=week, html="<p>r</p>"))
    roster_import = RosterImport(
        region_id=reg.id, rollout_id=enrollment.rollout_id, filename="roster.csv", sha256="0" * 64
    )
    db.session.add(roster_import)
    manager = PersonFactory(region_id=reg.id)
    allocation = TimeAllocation(
        region_id=reg.id, enrollment_id=enrollment.id, manager_id=manager.id, hours_requested=2.0
    )
    db.session.add(allocation)
    term = enrollment.rollout.program.terms[0]
    review = TermReview(region_id=reg.id, enrollment_id=enrollment.id, term_id=term.id)
    db.session.add(review)
    db.session.commit()
    return {
        "slug": enrollment.rollout.slug,
        "rollout_id": enrollment.rollout_id,
        "enrollment_id": enrollment.id,
        "person_id": enrollment.person_id,
        "session_id": session.id,
        "question_id": question.id,
        "class_id": master_class.id,
        "invitation_id": invitation.id,
        "week": week,
        "import_id": roster_import.id,
        "allocation_id": allocation.id,
        "review_id": review.id,
        # not an id: the same term number names each region's own term
        "number": term.number,
        # not an id: a language code (the invitation's preview)
        "lang": "de",
    }


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule" in metafunc.fixturenames:
        rules = _region_rules()
        ids = [f"{'/'.join(sorted(r.methods - {'HEAD', 'OPTIONS'}))} {r.rule}" for r in rules]
        metafunc.parametrize("rule", rules, ids=ids)


def test_another_regions_url_is_404(rule, client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    values = {arg: ("x" if arg in {"slug", "token", "filename"} else 1) for arg in rule.arguments}
    values["region"] = "fr"
    path = _fill(rule, values)
    for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
        response = client.open(path, method=method, data={"csrf_token": _token(client)})
        assert response.status_code == 404, f"{method} {path} answered {response.status_code}"


def test_another_regions_ids_are_404_in_my_region(rule, client, login_as):
    """Each id of region fr, put alone among ids of my own region de, answers 404."""
    mine, foreign = _objects("de"), _objects("fr")
    args = [a for a in rule.arguments if a != "region"]
    if not args:
        pytest.skip("no object in this URL")
    missing = [a for a in args if a not in foreign]
    assert not missing, f"add an object for {missing} to _objects()"
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client)
    for arg in args:
        if mine[arg] == foreign[arg]:
            continue  # a value both regions share (a term number) proves nothing here
        path = _fill(rule, {**mine, arg: foreign[arg], "region": "de"})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"


def test_a_sponsor_cannot_change_anything(rule, client, login_as):
    writes = sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
    if not writes:
        pytest.skip("read-only route")
    login_as(staff(Role.SPONSOR, "de"))
    values = {arg: ("x" if arg in {"slug", "token", "filename"} else 1) for arg in rule.arguments}
    values["region"] = "de"
    path = _fill(rule, values)
    for method in writes:
        response = client.open(path, method=method, data={"csrf_token": _token(client)})
        assert response.status_code == 403, f"{method} {path} answered {response.status_code}"


def _token(client: Any) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)
