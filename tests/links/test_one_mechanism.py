"""One signed-link mechanism: ``open_link`` verifies a token for one purpose, grants exactly
the regions of the object (and person) it names, and refuses everything else; every
purpose answers its link problems with the same pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import url_for

from app.extensions import db
from app.freshlinks.services import registry
from app.links.services import LinkExpired, LinkInvalid, make_token, open_link
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState
from app.scoping import region_scope
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region

PURPOSE = "goal-survey"
ISSUED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _enrollment(code: str = "de", person_region: str | None = None) -> Enrollment:
    rollout = RolloutFactory(region=region(code))
    person = PersonFactory(region=region(person_region or code))
    enrollment = EnrollmentFactory(rollout=rollout, person=person, state=EnrollmentState.ACTIVE)
    db.session.commit()
    return enrollment


def _token(enrollment: Enrollment, purpose: str = PURPOSE) -> str:
    return make_token(purpose=purpose, person_id=enrollment.person_id, object_id=enrollment.id)


def test_it_grants_the_objects_and_the_persons_regions_and_loads_both(app) -> None:
    enrollment = _enrollment("de", person_region="fr")
    with app.test_request_context("/"):
        link = open_link(_token(enrollment), purpose=PURPOSE, model=Enrollment, person_model=Person)
        assert link.obj.id == enrollment.id and link.person.id == enrollment.person_id
        assert link.region_id == region("de").id
        assert set(region_scope(db.session) or ()) == {region("de").id, region("fr").id}


def test_it_refuses_another_purposes_token(app) -> None:
    enrollment = _enrollment()
    with app.test_request_context("/"), pytest.raises(LinkInvalid):
        open_link(_token(enrollment, "rollouts.commit"), purpose=PURPOSE, model=Enrollment)


def test_it_refuses_an_expired_token_saying_who_it_was_for(app) -> None:
    enrollment = _enrollment()
    with time_machine.travel(ISSUED, tick=False):
        token = _token(enrollment)
    with (
        app.test_request_context("/"),
        time_machine.travel(ISSUED + timedelta(days=22), tick=False),
        pytest.raises(LinkExpired) as expired,
    ):
        open_link(token, purpose=PURPOSE, model=Enrollment, max_age=timedelta(days=21))
    assert expired.value.claims.object_id == enrollment.id


def test_it_refuses_an_object_of_another_region_than_the_urls(app) -> None:
    enrollment = _enrollment("de")
    with app.test_request_context("/"), pytest.raises(LinkInvalid):
        open_link(_token(enrollment), purpose=PURPOSE, model=Enrollment, region_id=region("fr").id)


def test_it_refuses_a_gone_object_or_an_erased_person(app) -> None:
    enrollment = _enrollment()
    gone = make_token(purpose=PURPOSE, person_id=enrollment.person_id, object_id=10**9)
    with app.test_request_context("/"), pytest.raises(LinkInvalid):
        open_link(gone, purpose=PURPOSE, model=Enrollment)
    enrollment.person.erased_at = datetime.now(UTC)
    db.session.commit()
    with app.test_request_context("/"), pytest.raises(LinkInvalid):
        open_link(_token(enrollment), purpose=PURPOSE, model=Enrollment, person_model=Person)


#: every public page a signed link opens: (purpose, endpoint, URL values besides the token)
LINK_PAGES = [
    ("approvals.decide", "approvals_public.decide", {}),
    ("rollouts.commit", "rollouts_public.commit_page", {}),
    ("buddy-signoff", "terms_public.buddy_signoff", {}),
    ("calls.question", "calls_public.question_form", {"region_id": 1}),
    ("masterclass-rsvp", "masterclasses_public.rsvp", {}),
    ("leaderboard-opt-in", "masterclasses_public.leaderboard_opt_in", {}),
    ("goal-survey", "goals_public.survey", {}),
    ("report-subscription", "reports_public.subscription", {}),
    ("report-subscription-global", "reports_public.subscription", {}),
    ("journey", "journey_public.page", {}),
    ("journey.track", "journey_public.follow", {"target": "journey"}),
]


def test_the_table_covers_every_registered_purpose(app) -> None:
    assert sorted({purpose for purpose, _, _ in LINK_PAGES}) == registry().names()


def _path(app, endpoint: str, values: dict[str, object], token: str) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        return url_for(endpoint, token=token, **values)


@pytest.mark.parametrize(("purpose", "endpoint", "values"), LINK_PAGES)
def test_every_purpose_shows_the_same_link_problem_pages(
    app, client, purpose, endpoint, values
) -> None:
    forged = _path(app, endpoint, values, "forged.token.value")
    response = client.get(forged)
    assert response.status_code == 404
    assert "<h1>This link is not valid</h1>" in response.get_data(as_text=True)

    other = "goal-survey" if purpose != "goal-survey" else "approvals.decide"
    foreign = _path(app, endpoint, values, make_token(purpose=other, person_id=1, object_id=1))
    response = client.get(foreign)
    assert response.status_code == 404
    assert "<h1>This link is not valid</h1>" in response.get_data(as_text=True)

    max_age = registry().get(purpose).max_age  # type: ignore[union-attr]
    with time_machine.travel(ISSUED, tick=False):
        token = make_token(purpose=purpose, person_id=1, object_id=1)
    with time_machine.travel(ISSUED + max_age + timedelta(days=1), tick=False):
        response = client.get(_path(app, endpoint, values, token))
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "<h1>This link has expired</h1>" in page
    assert f"/links/fresh/{purpose}/{token}" in page  # "Email me a fresh link"
