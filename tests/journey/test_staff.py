"""The staff page of the weekly journey: the note of the week (hosts set it, with CSRF),
the week's figures, and another region's rollout is a 404."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.journey.models import JourneyNote
from tests.factories import staff
from tests.journey.helpers import launched


def test_expert_sets_the_note_and_sponsor_only_reads(client, login_as, csrf_token):
    rollout = launched("fr")
    expert = staff(Role.EXPERT, "fr", locale="en_GB")
    login_as(expert)
    page = f"/r/fr/rollouts/{rollout.slug}/journey"
    token = csrf_token(page)
    response = client.post(
        f"{page}/note",
        data={
            "csrf_token": token,
            "text": "  Module 3 is the hard one.  ",
            "author": "Ada, expert",
        },
    )
    assert response.status_code == 302
    note = db.session.scalars(select(JourneyNote)).one()
    assert (note.text, note.author, note.updated_by_id) == (
        "Module 3 is the hard one.",
        "Ada, expert",
        expert.id,
    )
    sponsor = staff(Role.SPONSOR, "fr", locale="en_GB")
    login_as(sponsor)
    html = client.get(page).get_data(as_text=True)
    assert "Module 3 is the hard one." in html and 'name="text"' not in html
    assert client.post(f"{page}/note", data={"text": "x"}).status_code in (400, 403)


def test_another_regions_rollout_is_not_found(client, login_as):
    rollout = launched("de")
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    assert client.get(f"/r/fr/rollouts/{rollout.slug}/journey").status_code == 404
    assert client.get(f"/r/de/rollouts/{rollout.slug}/journey").status_code == 404
