"""The RSVP page says plainly how many seats are left or where on the waitlist the learner
is (or would be), gives one primary action and a visibly different secondary one, and shows
the time in the reader's format without seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.extensions import db
from app.masterclasses.emails import rsvp_url
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import InvitationStatus
from app.masterclasses.queries import waitlist_length, waitlist_position
from app.masterclasses.services import accept_invitation
from tests.factories import RolloutFactory, region
from tests.masterclasses.helpers import completer, invitations, master_class

#: Thursday 10 December 2026, 16:00 in New York (21:00 UTC); an English (en_US) region
STARTS = datetime(2026, 12, 10, 21, 0, tzinfo=UTC)


def _class(capacity: int, learners: int, code: str = "us"):
    rollout = RolloutFactory(region_id=region(code).id)
    mc = master_class(rollout.program, region_code=code, capacity=capacity, starts_at=STARTS)
    for _ in range(learners):
        completer(rollout)
    invite_qualifying(mc)
    db.session.commit()
    return mc, invitations(mc)


def _page(client, invitation) -> str:
    html = client.get(rsvp_url(invitation).removeprefix("http://summit.test")).get_data(
        as_text=True
    )
    return " ".join(html[html.index("<main") : html.index("</main>")].split())


def _buttons(html: str) -> dict[str, str]:
    """The form's buttons: value → class."""
    return dict(
        re.findall(r'<button type="submit" name="choice" value="(\w+)" class="(\w+)"', html)
    )


def test_seats_left_are_stated_and_yes_and_no_look_different(client):
    _mc, people = _class(capacity=5, learners=3)
    accept_invitation(people[0], actor=people[0].enrollment.person)
    accept_invitation(people[1], actor=people[1].enrollment.person)
    db.session.commit()
    html = _page(client, people[2])
    assert "3 seats left." in html
    assert _buttons(html) == {"accept": "primary", "decline": "secondary"}
    assert "Yes, I will come" in html and "No, I cannot come" in html


def test_one_seat_left_is_singular(client):
    _mc, people = _class(capacity=1, learners=1)
    assert "1 seat left." in _page(client, people[0])


def test_a_full_class_states_the_waitlist_position_the_learner_would_take(client):
    mc, people = _class(capacity=1, learners=5)
    for invitation in people[:4]:  # one seat taken, three waiting
        accept_invitation(invitation, actor=invitation.enrollment.person)
    db.session.commit()
    assert waitlist_length(mc.id) == 3
    html = _page(client, people[4])
    assert "Full — you would be number 4 on the waitlist." in html
    assert "Join the waitlist as number 4" in html
    assert _buttons(html) == {"accept": "primary", "decline": "secondary"}
    assert "Yes, I will come" not in html


def test_a_waiting_learner_sees_their_position_and_it_moves_up(client):
    mc, people = _class(capacity=1, learners=4)
    for invitation in people:
        accept_invitation(invitation, actor=invitation.enrollment.person)
    db.session.commit()
    waiting = [i for i in invitations(mc) if i.status is InvitationStatus.WAITLISTED]
    assert [waitlist_position(i) for i in waiting] == [1, 2, 3]
    html = _page(client, waiting[2])
    assert "You are number 3 on the waitlist." in html
    assert 'value="accept"' not in html and "Leave the waitlist" in html
    from app.masterclasses.services import decline_invitation

    decline_invitation(waiting[0], actor=waiting[0].enrollment.person)
    db.session.commit()
    assert "You are number 2 on the waitlist." in _page(client, invitations(mc)[3])


def test_the_time_is_in_the_readers_format_without_seconds(client):
    _mc, people = _class(capacity=5, learners=1)
    html = _page(client, people[0])
    assert "Thursday, December 10, 2026, 4:00 PM" in html  # New York, en_US
    assert "4:00:00" not in html and "16:00:00" not in html


def test_the_invitation_email_states_the_seats_and_has_a_button(client, run_jobs, smtp_sink):
    _mc, people = _class(capacity=5, learners=1)
    run_jobs()
    (mail,) = smtp_sink.to(people[0].enrollment.person.email)
    text = " ".join(mail.get_body(preferencelist=("plain",)).get_content().split())
    assert "5 seats were left when we sent this email." in text
    assert "Thursday, December 10, 2026, 4:00 PM" in text and ":00:00" not in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "v:roundrect" in html and 'href=""' not in html
