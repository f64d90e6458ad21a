from datetime import UTC, datetime, time

import pytest
import time_machine

from app.auth.models import Role
from app.calls import services
from app.calls.models import CallQuestion, CallStatus
from app.extensions import db
from tests.calls.helpers import learner, make_rollout, sign_in
from tests.factories import staff

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_regions():
    with time_machine.travel(BEFORE_START, tick=False):
        de = make_rollout("de")
        fr = make_rollout("fr", weekday=1, at=time(14, 0))
        for rollout in (de, fr):
            enrollment = learner(rollout)
            services.generate_series(region=rollout.region, rollout=rollout, notify=False)
            session = services.sessions_of(rollout.id)[0]
            db.session.add(
                CallQuestion(
                    region_id=rollout.region_id,
                    session_id=session.id,
                    enrollment_id=enrollment.id,
                    text="q",
                )
            )
        db.session.flush()
    return de, fr


def _paths(rollout, session_id, question_id):
    base = f"/r/{rollout.region.code}/rollouts/{rollout.slug}/calls"
    return [
        ("get", base),
        ("post", f"{base}/generate"),
        ("post", f"{base}/series"),
        ("get", f"{base}/{session_id}"),
        ("post", f"{base}/{session_id}/move"),
        ("post", f"{base}/{session_id}/cancel"),
        ("post", f"{base}/{session_id}/questions/{question_id}"),
        ("post", f"{base}/{session_id}/attendance"),
        ("post", f"{base}/{session_id}/attendance/upload"),
        ("post", f"{base}/{session_id}/notes"),
    ]


def test_pages_render_for_the_local_lead(two_regions, client, login_as):
    de, _ = two_regions
    lead = staff(Role.LOCAL_LEAD, "de")
    session = services.sessions_of(de.id)[0]
    with time_machine.travel(BEFORE_START, tick=False):
        sign_in(login_as, lead)
        index = client.get(f"/r/de/rollouts/{de.slug}/calls")
        assert index.status_code == 200
        assert "Change future sessions" in index.get_data(as_text=True)
        page = client.get(f"/r/de/rollouts/{de.slug}/calls/{session.id}")
        assert page.status_code == 200
        assert "Cancel this session" in page.get_data(as_text=True)


def test_another_regions_ids_are_404(two_regions, client, login_as, csrf_token):
    de, fr = two_regions
    fr_session = services.sessions_of(fr.id)[0]
    fr_question = db.session.query(CallQuestion).filter_by(region_id=fr.region_id).one()
    de_session = services.sessions_of(de.id)[0]
    de_question = db.session.query(CallQuestion).filter_by(region_id=de.region_id).one()
    lead = staff(Role.LOCAL_LEAD, "de")
    with time_machine.travel(BEFORE_START, tick=False):
        sign_in(login_as, lead)
        token = csrf_token(f"/r/de/rollouts/{de.slug}/calls")
        # a French session id under the German rollout, and the French rollout itself
        for method, path in _paths(de, fr_session.id, fr_question.id)[4:]:
            response = getattr(client, method)(path, data={"csrf_token": token})
            assert response.status_code == 404, (method, path)
        for method, path in _paths(fr, fr_session.id, fr_question.id):
            response = getattr(client, method)(path, data={"csrf_token": token})
            assert response.status_code == 404, (method, path)
        # a German question id under another German session is a 404 too
        other = services.sessions_of(de.id)[1]
        response = client.post(
            f"/r/de/rollouts/{de.slug}/calls/{other.id}/questions/{de_question.id}",
            data={"csrf_token": token, "answered": "1"},
        )
        assert response.status_code == 404
    db.session.expire_all()
    assert fr_session.status is CallStatus.SCHEDULED and de_session.sequence == 0


def test_roles_who_may_change_what(two_regions, client, login_as, csrf_token):
    de, _ = two_regions
    session = services.sessions_of(de.id)[0]
    path = f"/r/de/rollouts/{de.slug}/calls/{session.id}"
    with time_machine.travel(BEFORE_START, tick=False):
        sign_in(login_as, staff(Role.SPONSOR, "de"))
        assert client.get(path).status_code == 200
        token = csrf_token(path)
        assert client.post(f"{path}/notes", data={"csrf_token": token}).status_code == 403
        sign_in(login_as, de.expert)
        token = csrf_token(path)
        response = client.post(f"{path}/cancel", data={"csrf_token": token})
        assert response.status_code == 403
        assert (
            client.post(f"{path}/notes", data={"csrf_token": token, "notes": "n"}).status_code
            == 302
        )
    db.session.expire_all()
    assert session.status is CallStatus.SCHEDULED and session.notes == "n"


def test_sponsors_see_no_names_where_the_region_reports_aggregates(two_regions, client, login_as):
    de, fr = two_regions  # de: aggregate, fr: named
    with time_machine.travel(BEFORE_START, tick=False):
        sign_in(login_as, staff(Role.SPONSOR, "de"))
        html = client.get(f"/r/de/rollouts/{de.slug}/calls").get_data(as_text=True)
        assert "aggregate figures only" in html and "Learner " not in html
        session = services.sessions_of(de.id)[0]
        page = client.get(f"/r/de/rollouts/{de.slug}/calls/{session.id}").get_data(as_text=True)
        assert "Learner " not in page
        sign_in(login_as, staff(Role.SPONSOR, "fr"))
        html = client.get(f"/r/fr/rollouts/{fr.slug}/calls").get_data(as_text=True)
        assert "Learner " in html
