import re
from datetime import UTC, date, datetime

from app.auth.models import Role
from app.calls.models import CallAttendance, CallSession
from app.extensions import db
from app.masterclasses.recognition import leaderboard, opt_in_url
from app.terms.models import TermReview, Verdict
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff
from tests.masterclasses.helpers import completer


def _sessions(rollout, n=6):
    sessions = [
        CallSession(
            rollout_id=rollout.id,
            region_id=rollout.region_id,
            series_date=date(2026, 9, 10 + i),
            starts_at=datetime(2026, 9, 10 + i, 14, tzinfo=UTC),
        )
        for i in range(n)
    ]
    db.session.add_all(sessions)
    db.session.flush()
    return sessions


def _attend(enrollment, sessions):
    for session in sessions:
        db.session.add(
            CallAttendance(
                session_id=session.id, enrollment_id=enrollment.id, region_id=enrollment.region_id
            )
        )


def test_leaderboard_shows_only_opted_in_learners_ranked_with_badges(client, login_as):
    rollout = RolloutFactory()
    star = completer(rollout, leaderboard_opt_in=True)
    steady = EnrollmentFactory(rollout=rollout, leaderboard_opt_in=True)
    shy = completer(rollout)  # the best of all, but did not opt in
    other_region = EnrollmentFactory(
        rollout=RolloutFactory(region_id=region("fr").id), leaderboard_opt_in=True
    )
    for enrollment, on_track in ((star, 3), (steady, 1), (shy, 3)):
        for term in rollout.program.terms[:on_track]:
            db.session.add(
                TermReview(
                    enrollment_id=enrollment.id,
                    term_id=term.id,
                    region_id=enrollment.region_id,
                    verdict=Verdict.ON_TRACK,
                )
            )
    sessions = _sessions(rollout)
    _attend(star, sessions[:5])
    _attend(steady, sessions[:1])
    _attend(shy, sessions)
    db.session.flush()
    rows = leaderboard(region_id=region("de").id)
    assert [r.enrollment_id for r in rows] == [star.id, steady.id]
    assert (rows[0].terms_on_pace, rows[0].calls_attended) == (3, 5)
    assert {b.key for b in rows[0].badges} == {"finisher", "steady", "regular"}
    assert rows[1].badges == ()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/leaderboard").get_data(as_text=True)
    assert star.person.name in html and steady.person.name in html
    assert shy.person.name not in html and other_region.person.name not in html


def test_learner_opts_in_and_out_through_the_signed_link(client):
    rollout = RolloutFactory()
    enrollment = completer(rollout)
    db.session.commit()
    path = opt_in_url(enrollment).removeprefix("http://summit.test")
    html = client.get(path).get_data(as_text=True)
    assert "Sie erscheinen derzeit <strong>nicht</strong> in der Bestenliste" in html  # Germany
    db.session.refresh(enrollment)
    assert enrollment.leaderboard_opt_in is False  # the GET changed nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(path, data={"csrf_token": token, "choice": "in"}).status_code == 302
    db.session.refresh(enrollment)
    assert enrollment.leaderboard_opt_in is True
    assert enrollment.person.name in client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": token, "choice": "out"})
    db.session.refresh(enrollment)
    assert enrollment.leaderboard_opt_in is False
    broken = client.get(
        path.replace("/recognition/", "/recognition/x"), headers={"Accept-Language": "de-AT"}
    )
    assert broken.status_code == 404
    assert "Dieser Link ist ungültig" in broken.get_data(as_text=True)
