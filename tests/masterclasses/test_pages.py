import re
from datetime import UTC, datetime, timedelta

import time_machine
from flask import g
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import InvitationStatus, MasterClass
from app.masterclasses.services import accept_invitation
from tests.factories import RolloutFactory, region, staff
from tests.masterclasses.helpers import completer, emails, invitations, master_class


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _form(program_id, **overrides):
    data = {
        "program_id": str(program_id),
        "title": "Event-driven design with the authors",
        "hosts": "Martin F.",
        "starts_on": "2027-01-14",
        "starts_time": "17:30",
        "duration_minutes": "90",
        "location": "",
        "join_url": "https://meet.example.com/x",
        "capacity": "25",
    }
    data.update(overrides)
    return data


def test_local_lead_creates_a_class_in_region_time_and_completers_are_invited(client, login_as):
    rollout = RolloutFactory()
    done = completer(rollout)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, "/r/de/masterclasses/new")
    response = client.post(
        "/r/de/masterclasses/new", data={**_form(rollout.program_id), "csrf_token": token}
    )
    assert response.status_code == 302
    mc = db.session.scalars(select(MasterClass)).one()
    assert mc.region_id == region("de").id
    assert mc.starts_at == datetime(2027, 1, 14, 16, 30, tzinfo=UTC)  # 17:30 CET
    assert [i.enrollment_id for i in invitations(mc)] == [done.id]
    assert len(emails("masterclasses/invitation")) == 1
    page = client.get(f"/r/de/masterclasses/{mc.id}").get_data(as_text=True)
    assert done.person.name in page


def test_form_errors_say_what_to_do(client, login_as):
    rollout = RolloutFactory()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, "/r/de/masterclasses/new")
    response = client.post(
        "/r/de/masterclasses/new",
        data={
            **_form(rollout.program_id, starts_on="14.01.2027", join_url="", capacity="0"),
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "YYYY-MM-DD" in html and "place or an online link" in html and "capacity" in html
    assert db.session.scalar(select(MasterClass)) is None


def test_another_regions_class_or_invitation_is_a_404(client, login_as):
    rollout = RolloutFactory()
    mc = master_class(rollout.program)
    completer(rollout)
    [invitation] = invite_qualifying(mc)
    everyone = master_class(rollout.program, region_code=None, title="Global keynote")
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    assert client.get(f"/r/fr/masterclasses/{mc.id}").status_code == 404
    assert client.get(f"/r/fr/masterclasses/{mc.id}/edit").status_code == 404
    assert client.get(f"/r/fr/masterclasses/invitations/{invitation.id}").status_code == 404
    assert client.get(f"/r/de/masterclasses/{mc.id}").status_code == 404  # not my region
    assert client.get(f"/r/fr/masterclasses/{everyone.id}").status_code == 200
    token = _token(client, "/r/fr/masterclasses")
    for action in ("attendance", "invite", "edit"):
        response = client.post(
            f"/r/fr/masterclasses/{mc.id}/{action}", data={"csrf_token": token, "attended": "1"}
        )
        assert response.status_code == 404, action
    assert invitations(mc)[0].status == InvitationStatus.INVITED


def test_only_global_admins_edit_a_global_class(client, login_as):
    rollout = RolloutFactory()
    everyone = master_class(rollout.program, region_code=None)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/r/de/masterclasses/{everyone.id}/edit").status_code == 403
    login_as(staff(Role.GLOBAL_ADMIN))
    assert client.get(f"/r/de/masterclasses/{everyone.id}/edit").status_code == 200


def test_raising_the_capacity_promotes_the_waitlist(client, login_as, run_jobs):
    rollout = RolloutFactory()
    mc = master_class(
        rollout.program, capacity=1, starts_at=datetime(2027, 1, 14, 16, 30, tzinfo=UTC)
    )
    completer(rollout), completer(rollout)
    first, second = invite_qualifying(mc)
    accept_invitation(first), accept_invitation(second)
    assert second.status == InvitationStatus.WAITLISTED
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, f"/r/de/masterclasses/{mc.id}/edit")
    response = client.post(
        f"/r/de/masterclasses/{mc.id}/edit",
        data={**_form(rollout.program_id, capacity="2"), "csrf_token": token},
    )
    assert response.status_code == 302
    run_jobs()
    assert [i.status for i in invitations(mc)] == [InvitationStatus.ACCEPTED] * 2
    assert len(emails("masterclasses/promoted")) == 1


def test_attendance_after_the_class_is_recorded_and_audited(client, login_as):
    rollout = RolloutFactory()
    mc = master_class(rollout.program)
    completer(rollout), completer(rollout), completer(rollout)
    came, missed, declined = invite_qualifying(mc)
    accept_invitation(came), accept_invitation(missed)
    expert = staff(Role.EXPERT, "de")
    with time_machine.travel(mc.starts_at + timedelta(hours=3)):
        login_as(expert)
        token = _token(client, f"/r/de/masterclasses/{mc.id}")
        response = client.post(
            f"/r/de/masterclasses/{mc.id}/attendance",
            data={"csrf_token": token, "attended": [str(came.id), str(declined.id)]},
        )
    assert response.status_code == 302
    # invite_qualifying's order is not the ids' order on PostgreSQL: compare by id
    assert {i.id: i.status for i in invitations(mc)} == {
        came.id: InvitationStatus.ATTENDED,
        missed.id: InvitationStatus.NO_SHOW,
        declined.id: InvitationStatus.INVITED,
    }
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == expert.id)
    ).all()
    assert sorted(actions) == ["masterclass.attended", "masterclass.no_show"]


def test_sponsors_cannot_record_attendance(client, login_as):
    rollout = RolloutFactory()
    mc = master_class(rollout.program)
    login_as(staff(Role.SPONSOR, "de"))
    assert client.get(f"/r/de/masterclasses/{mc.id}").status_code == 200
    token = _token(client, "/r/de/masterclasses")
    response = client.post(f"/r/de/masterclasses/{mc.id}/attendance", data={"csrf_token": token})
    assert response.status_code == 403


def test_moving_the_class_sends_an_updated_ics_with_a_higher_sequence(client, login_as):
    from icalendar import Calendar

    rollout = RolloutFactory()
    mc = master_class(rollout.program, starts_at=datetime(2027, 1, 14, 16, 30, tzinfo=UTC))
    completer(rollout)
    [invitation] = invite_qualifying(mc)
    accept_invitation(invitation)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, f"/r/de/masterclasses/{mc.id}/edit")
    client.post(
        f"/r/de/masterclasses/{mc.id}/edit",
        data={**_form(rollout.program_id, starts_time="18:00"), "csrf_token": token},
    )
    first, update = emails("masterclasses/accepted")
    events = [Calendar.from_ical(e.attachments[0].data).walk("VEVENT")[0] for e in (first, update)]
    assert events[0]["uid"] == events[1]["uid"]
    assert int(events[1]["sequence"]) > int(events[0]["sequence"])
    assert events[1].decoded("dtstart") == datetime(2027, 1, 14, 17, 0, tzinfo=UTC)
    assert update.subject.startswith("Geändert")


def test_a_global_admin_creates_a_global_class_a_lead_cannot(client, login_as):
    rollout = RolloutFactory()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, "/r/de/masterclasses/new")
    client.post(
        "/r/de/masterclasses/new",
        data={**_form(rollout.program_id, title="Lead's"), "global": "1", "csrf_token": token},
    )
    g.pop("csrf_token", None)  # requests share the test's app context (and its g)
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/r/de/masterclasses/new")
    response = client.post(
        "/r/de/masterclasses/new",
        data={**_form(rollout.program_id, title="Admin's"), "global": "1", "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    regions = dict(db.session.execute(select(MasterClass.title, MasterClass.region_id)).all())
    assert regions == {"Lead's": region("de").id, "Admin's": None}
