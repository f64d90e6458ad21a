"""The journey page matches the rows; pausing is a GET page and a POST; the weekly email's
links and pixel are measurements the region report shows (not measured under `aggregate`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.calls.models import CallAttendance, CallSession
from app.extensions import db
from app.journey import services
from app.journey.models import EventKind, JourneyEvent, JourneyPause, JourneySend
from app.journey.queries import email_figures, journey_of
from app.masterclasses.models import InvitationStatus, MasterClassInvitation
from app.progress.models import ModuleProgress
from app.reports.models import Report
from app.reports.services import build_week
from app.rollouts.models import EnrollmentState
from jobs.journey import send_weekly
from tests.factories import region
from tests.journey.helpers import complete, launched, learner, weekly_emails
from tests.masterclasses.helpers import master_class

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = "2026-W48"


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def _learner_with_history():
    rollout = launched("fr")
    me = learner(rollout, buddy_group=77, goal="Lead the migration to the new platform")
    buddy = learner(rollout, buddy_group=77)
    me.person.locale = "en_GB"  # the page speaks the learner's language
    complete(me, 1, 2, 3)
    session = CallSession(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        series_date=datetime(2026, 11, 12).date(),
        starts_at=datetime(2026, 11, 12, 15, 0, tzinfo=UTC),
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(
        CallAttendance(region_id=rollout.region_id, session_id=session.id, enrollment_id=me.id)
    )
    mc = master_class(rollout.program, region_code="fr", title="Design review with the CTO")
    db.session.add(
        MasterClassInvitation(
            region_id=rollout.region_id,
            master_class_id=mc.id,
            enrollment_id=me.id,
            status=InvitationStatus.WAITLISTED,
        )
    )
    db.session.commit()
    return rollout, me, buddy, session, mc


@time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), tick=False)
def test_journey_page_matches_the_database(client):
    rollout, me, buddy, _call, mc = _learner_with_history()
    html = client.get(_path(services.journey_url(me))).get_data(as_text=True)
    journey = journey_of(me)
    done = set(
        db.session.scalars(
            select(ModuleProgress.module_id).where(
                ModuleProgress.enrollment_id == me.id, ModuleProgress.completed.is_(True)
            )
        )
    )
    assert {m.id for m in journey.modules_done} == done
    assert "Lead the migration to the new platform" in html
    assert f"completed {len(done)} of {len(rollout.program.modules)} modules" in html
    for term in rollout.program.terms:
        assert term.title in html
    assert {title for title, flag in _flags(html) if flag == "yes"} == {
        m.title for m in rollout.program.modules if m.id in done
    }
    assert sorted(title for title, _ in _flags(html)) == sorted(
        m.title for m in rollout.program.modules
    )  # every module listed once, under the term that first requires it
    assert [m.title for m in journey.modules_due] == ["Module 4"]  # term 2 runs on 4 Dec
    assert buddy.person.name in html
    assert "12 November 2026" in html  # the call attended, in the learner's zone and locale
    assert mc.title in html and "on the waitlist" in html


def _flags(html: str) -> list[tuple[str, str]]:
    return [(t.strip(), f) for f, t in re.findall(r'<li data-done="(yes|no)">([^:<]+):', html)]


def test_pause_is_a_confirmation_page_then_a_post_and_resume_undoes_it(client):
    rollout = launched("fr")
    me = learner(rollout)
    db.session.commit()
    pause = _path(services.journey_url_for(me.id, me.person_id, "pause"))
    page = client.get(pause)
    assert page.status_code == 200
    assert db.session.scalars(select(JourneyPause)).all() == []  # a GET changes nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert client.post(pause).status_code == 400  # no CSRF token, no pause
    assert client.post(pause, data={"csrf_token": token.group(1)}).status_code == 303
    assert services.is_paused(me.id)
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 0
    resume = _path(services.journey_url_for(me.id, me.person_id, "resume"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(resume).get_data(True))
    client.post(resume, data={"csrf_token": token.group(1)})
    assert not services.is_paused(me.id)
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 1


def test_tampered_and_expired_journey_links_are_refused(client):
    rollout = launched("fr")
    me = learner(rollout)
    db.session.commit()
    path = _path(services.journey_url(me))
    assert client.get(path + "x").status_code == 404
    with time_machine.travel(datetime.now(UTC) + timedelta(days=61)):
        response = client.get(path)
        assert response.status_code in (200, 410) and "fresh" in response.get_data(True).lower()


def test_clicks_and_opens_are_counted_in_the_region_report(client):
    rollout = launched("fr")
    readers = [learner(rollout) for _ in range(4)]
    db.session.commit()
    assert send_weekly(region("fr").id, MONDAY.isoformat()) == 4
    emails = {e.person_id: e for e in weekly_emails()}
    first = emails[readers[0].person_id]
    pixel = re.search(r'src="http://summit\.test(/journey/open/[^"]+)"', first.html_body).group(1)
    image = client.get(pixel)
    assert image.status_code == 200 and image.mimetype == "image/gif"
    client.get(pixel)  # a second open of the same email: still one email opened
    second = emails[readers[1].person_id]
    course = re.search(r'href="http://summit\.test(/journey/go/[^"]+/course)"', second.html_body)
    response = client.get(course.group(1))
    assert response.status_code == 303
    assert response.headers["Location"] == rollout.program.course_url
    figures = email_figures(region("fr"), WEEK)
    assert (figures.sent, figures.opened, figures.clicked) == (4, 1, 1)
    build_week(week=WEEK, region_ids=[region("fr").id], include_global=False)
    report = db.session.scalars(select(Report).where(Report.week == WEEK)).one()
    # the French region's report, in French: 1 of 4 opened, 1 of 4 clicked through
    assert "Envoyé à 4 apprenants cette semaine." in report.text
    assert "Taux d'ouverture : 25" in report.text and "Taux de clic : 25" in report.text
    assert "Taux d'ouverture : 25" in report.html


def test_aggregate_region_measures_no_opens_and_says_so(client):
    rollout = launched("de")
    me = learner(rollout)
    db.session.commit()
    send_weekly(region("de").id, datetime(2026, 11, 23, 7, 0, tzinfo=UTC).isoformat())
    [email] = weekly_emails()
    assert "/journey/open/" not in email.html_body
    send = db.session.scalars(select(JourneySend)).one()
    # even a forged open of this email is not counted
    client.get(_path(services.pixel_url(send.id, me.person_id)))
    assert db.session.scalars(select(JourneyEvent)).all() == []
    figures = email_figures(region("de"), WEEK)
    assert figures.opened is None and figures.open_rate is None
    build_week(week=WEEK, region_ids=[region("de").id], include_global=False)
    report = db.session.scalars(select(Report).where(Report.week == WEEK)).one()
    assert "Geöffnet: nicht gemessen" in report.text and "Geöffnet: nicht gemessen" in report.html


def test_question_link_leads_to_the_calls_question_form(client):
    rollout = launched("fr")
    me = learner(rollout)
    db.session.add(
        CallSession(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            series_date=datetime(2026, 11, 26).date(),
            starts_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    send_weekly(region("fr").id, MONDAY.isoformat())
    [email] = weekly_emails()
    link = re.search(r'href="http://summit\.test(/journey/go/[^"]+/question)"', email.html_body)
    response = client.get(link.group(1))
    assert response.status_code == 303 and "/calls/" in response.headers["Location"]
    assert client.get(_path(response.headers["Location"])).status_code == 200
    events = db.session.scalars(select(JourneyEvent)).all()
    assert [e.kind for e in events] == [EventKind.CLICK]
    assert me.state is EnrollmentState.ACTIVE  # a click changes no business state
