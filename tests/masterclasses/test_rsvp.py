import re
import threading
from datetime import UTC, datetime, timedelta

import time_machine
from icalendar import Calendar
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.masterclasses.emails import rsvp_url
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import InvitationStatus, MasterClass
from app.masterclasses.services import accept_invitation
from tests.factories import RolloutFactory
from tests.links.journey import ask_for_fresh_link
from tests.masterclasses.helpers import completer, emails, invitations, master_class


def _setup(capacity: int = 10, learners: int = 1):
    rollout = RolloutFactory()
    mc = master_class(rollout.program, capacity=capacity)
    for _ in range(learners):
        completer(rollout)
    invite_qualifying(mc)
    db.session.commit()
    return mc, invitations(mc)


def _path(invitation) -> str:
    return rsvp_url(invitation).removeprefix("http://summit.test")


def _post(client, path, choice):
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(path, data={"csrf_token": token, "choice": choice})


def test_get_shows_the_invitation_and_changes_nothing(client):
    mc, [invitation] = _setup()
    response = client.get(_path(invitation))
    assert response.status_code == 200
    assert mc.title in response.get_data(as_text=True)
    assert invitations(mc)[0].status == InvitationStatus.INVITED
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("%rsvp%"))) is None


def test_accept_sends_an_ics_that_parses(client):
    mc, [invitation] = _setup()
    response = _post(client, _path(invitation), "accept")
    assert response.status_code == 302
    [accepted] = invitations(mc)
    assert accepted.status == InvitationStatus.ACCEPTED
    db.session.refresh(mc)
    assert mc.seats_taken == 1
    [email] = emails("masterclasses/accepted")
    [attachment] = email.attachments
    assert attachment.content_type == "text/calendar; method=REQUEST"
    cal = Calendar.from_ical(attachment.data)
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstart") == mc.starts_at
    assert str(event["uid"]) == f"masterclass-{mc.id}-{invitation.id}@summit"
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # a second click takes no second seat and sends nothing new
    _post(client, _path(invitation), "accept")
    db.session.refresh(mc)
    assert mc.seats_taken == 1
    assert len(emails("masterclasses/accepted")) == 1
    assert (
        db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "masterclass.rsvp_accepted")
        ).actor_type
        == "person"
    )


def test_full_class_waitlists_and_a_decline_promotes_the_next(client, run_jobs, smtp_sink):
    mc, (first, second, third) = _setup(capacity=1, learners=3)
    with time_machine.travel(datetime.now(UTC)):
        _post(client, _path(first), "accept")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1)):
        _post(client, _path(third), "accept")  # waits longest
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2)):
        _post(client, _path(second), "accept")
    statuses = [i.status for i in invitations(mc)]
    assert statuses == [
        InvitationStatus.ACCEPTED,
        InvitationStatus.WAITLISTED,
        InvitationStatus.WAITLISTED,
    ]
    assert len(emails("masterclasses/waitlisted")) == 2
    _post(client, _path(first), "decline")
    run_jobs()
    first, second, third = invitations(mc)
    assert first.status == InvitationStatus.DECLINED
    assert third.status == InvitationStatus.ACCEPTED and third.promoted_at is not None
    assert second.status == InvitationStatus.WAITLISTED
    db.session.refresh(mc)
    assert mc.seats_taken == 1
    [told] = smtp_sink.to(third.enrollment.person.email)[-1:]
    assert told["Subject"].startswith("Ein Platz ist frei")  # a learner in Germany
    assert any(p.get_content_type() == "text/calendar" for p in told.walk())
    mails = smtp_sink.to(first.enrollment.person.email)
    cancel = [m for m in mails if m["Subject"].startswith("Platz freigegeben")]
    assert cancel and any(part.get_content_type() == "text/calendar" for part in cancel[0].walk())


def test_rsvp_is_closed_once_the_class_started(client):
    mc, [invitation] = _setup()
    path = _path(invitation)
    with time_machine.travel(mc.starts_at - timedelta(minutes=5)):
        html = client.get(path).get_data(as_text=True)  # the page opened just before
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    with time_machine.travel(mc.starts_at + timedelta(minutes=5)):
        response = client.post(path, data={"csrf_token": token, "choice": "accept"})
    assert response.status_code == 422
    assert invitations(mc)[0].status == InvitationStatus.INVITED


def test_tampered_foreign_and_expired_links_are_refused(client):
    _mc, [invitation] = _setup()
    path = _path(invitation)
    # a broken link: the "not valid" page, in the browser's language (the token names nobody)
    response = client.get(path[:-3] + "abc", headers={"Accept-Language": "fr-CH, de;q=0.5"})
    assert response.status_code == 404
    assert "Ce lien n'est pas valide" in response.get_data(as_text=True)
    from app.links.services import make_token

    other_purpose = make_token(purpose="goal-survey", person_id=1, object_id=invitation.id)
    response = client.get(f"/masterclasses/rsvp/{other_purpose}")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    wrong_person = make_token(
        purpose="masterclass-rsvp",
        person_id=invitation.enrollment.person_id + 99,
        object_id=invitation.id,
    )
    assert client.get(f"/masterclasses/rsvp/{wrong_person}").status_code == 404
    mc = invitation.master_class
    mc.starts_at = datetime.now(UTC) + timedelta(days=200)
    db.session.commit()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=181)):
        html, sent = ask_for_fresh_link(client, path)
        assert "Dieser Link ist abgelaufen" in html  # a learner in Germany
        assert "neuer Link" in sent
        [fresh] = emails("links/fresh_link")
        fresh_path = re.search(r"http://summit.test(/masterclasses/rsvp/\S+)", fresh.text_body)
        assert client.get(fresh_path.group(1)).status_code == 200
    assert invitations(mc)[0].status == InvitationStatus.INVITED


def test_two_workers_accepting_the_last_seat_one_gets_it(app):
    """Two threads, two sessions, two connections, released at once on the last seat."""
    mc, (a, b) = _setup(capacity=1, learners=2)
    ids = [a.id, b.id]
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(invitation_id: int) -> None:
        try:
            with app.app_context():
                from app.masterclasses.models import MasterClassInvitation

                invitation = db.session.get(MasterClassInvitation, invitation_id)
                barrier.wait(timeout=10)
                results[invitation_id] = accept_invitation(invitation).value
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(results.values()) == ["accepted", "waitlisted"]
    db.session.expire_all()
    assert db.session.get(MasterClass, mc.id).seats_taken == 1
    assert sorted(i.status.value for i in invitations(mc)) == ["accepted", "waitlisted"]


def test_a_global_class_waitlist_spans_regions(client, run_jobs):
    from tests.factories import region

    de = RolloutFactory()
    fr = RolloutFactory(program=de.program, region_id=region("fr").id)
    mc = master_class(de.program, region_code=None, capacity=1)
    holder, waiting = completer(de), completer(fr)
    invite_qualifying(mc)
    db.session.commit()
    by_enrollment = {i.enrollment_id: i for i in invitations(mc)}
    _post(client, _path(by_enrollment[holder.id]), "accept")
    _post(client, _path(by_enrollment[waiting.id]), "accept")
    newcomer = completer(de)
    [late] = invite_qualifying(mc)
    db.session.commit()
    _post(client, _path(late), "accept")  # the French learner waits: no jumping the queue
    _post(client, _path(by_enrollment[holder.id]), "decline")
    run_jobs()
    status = {i.enrollment_id: i.status for i in invitations(mc)}
    assert status == {
        holder.id: InvitationStatus.DECLINED,
        waiting.id: InvitationStatus.ACCEPTED,
        newcomer.id: InvitationStatus.WAITLISTED,
    }
