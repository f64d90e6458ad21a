"""Rollout create/edit, the dashboard funnel and the lists behind it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import g
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.rollouts.models import EnrollmentState, Rollout, RolloutStatus
from tests.factories import EnrollmentFactory, ProgramFactory, RolloutFactory, region, staff

#: when the invitations of a launched rollout left
SENT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_lead_creates_a_rollout_with_region_defaults(client, login_as) -> None:  # type: ignore[no-untyped-def]
    program = ProgramFactory()
    expert = staff(Role.EXPERT, "de", name="Eva Expert")
    fr_expert = staff(Role.EXPERT, "fr")
    login_as(staff(Role.LOCAL_LEAD, "de", name="Lena Lead"))
    page = client.get("/r/de/rollouts/new").get_data(as_text=True)
    assert 'value="16:00"' in page and "Lena Lead" in page  # Thursday 16:00 from regions/de.toml
    token = _token(client, "/r/de/rollouts/new")
    form = {
        "csrf_token": token,
        "slug": "sef-de-2026",
        "program_id": str(program.id),
        "cohort_start": "2026-09-07",
        "call_weekday": "3",
        "call_time": "16:00",
        "call_duration_minutes": "45",
        "expert_id": str(fr_expert.id),
        "sponsors": "Dr. Karin Vogel <karin.vogel@example.com>\nnot a sponsor",
    }
    bad = client.post("/r/de/rollouts/new", data=form)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Choose an expert of this region" in html and "Could not read line 2" in html
    form.update(expert_id=str(expert.id), sponsors="Dr. Karin Vogel <karin.vogel@example.com>")
    ok = client.post("/r/de/rollouts/new", data=form)
    assert ok.status_code == 302, ok.get_data(as_text=True)
    rollout = db.session.scalars(select(Rollout)).one()
    assert rollout.status.value == "draft" and rollout.expert_id == expert.id
    assert [(s.name, s.email) for s in rollout.sponsors] == [
        ("Dr. Karin Vogel", "karin.vogel@example.com")
    ]


def test_dashboard_funnel_rates_and_lists(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    states = [EnrollmentState.INVITED] * 2 + [EnrollmentState.COMMITTED] * 1
    states += [EnrollmentState.ACTIVE] * 1
    for state in states:
        EnrollmentFactory(rollout=rollout, state=state, invited_at=SENT)
    for i in range(55):
        EnrollmentFactory(
            rollout=rollout,
            state=EnrollmentState.COMPLETED,
            person__name=f"Z {i:02d}",
            invited_at=SENT,
        )
    login_as(staff(Role.SPONSOR, "de"))
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert ">59<" in html and ">57<" in html and ">56<" in html  # invited, committed, approved…
    assert "/launch" not in html and "/close" not in html  # sponsors only read
    assert client.get("/r/de/rollouts/sef-de/learners?stage=completed").status_code == 403
    login_as(staff(Role.HR_PARTNER, "de"))
    listing = client.get("/r/de/rollouts/sef-de/learners?stage=completed").get_data(as_text=True)
    assert "55 learners" in listing and "Page 1 of 2" in listing
    second = client.get("/r/de/rollouts/sef-de/learners?stage=completed&page=2")
    assert "Z 54" in second.get_data(as_text=True)
    assert client.get("/r/de/rollouts/sef-de/learners?stage=nonsense").status_code == 404


def test_other_region_rollout_is_404(client, login_as) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-fr", region_id=region("fr").id)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    for path in ("", "/learners", "/edit", "/roster"):
        assert client.get(f"/r/de/rollouts/sef-fr{path}").status_code == 404


def test_the_local_leads_listed_are_the_active_ones(client, login_as) -> None:  # type: ignore[no-untyped-def]
    """One rule for "the local leads" (app.auth.queries): the rollout form and dashboard
    listed deactivated leads while the approval reminders left them out."""
    RolloutFactory(slug="sef-de")
    staff(Role.LOCAL_LEAD, "de", name="Gone Lead", active=False)
    staff(Role.LOCAL_LEAD, "fr", name="Other Region Lead")
    login_as(staff(Role.LOCAL_LEAD, "de", name="Lena Lead"))
    for path in ("/r/de/rollouts/new", "/r/de/rollouts/sef-de"):
        html = client.get(path).get_data(as_text=True)
        assert "Lena Lead" in html, path
        assert "Gone Lead" not in html and "Other Region Lead" not in html, path


@pytest.mark.parametrize(("code", "names"), [("us", True), ("de", False)])
def test_sponsors_see_names_where_the_regions_policy_names_individuals(
    client, login_as, code, names
) -> None:  # type: ignore[no-untyped-def]
    """One rule for every page (auth.access.may_see_names): the rollout dashboard's lists
    follow the region's reporting policy, as the calls and master-class pages do."""
    rollout = RolloutFactory(
        slug=f"sef-{code}", region=region(code), status=RolloutStatus.LAUNCHED, launched_at=SENT
    )
    EnrollmentFactory(rollout=rollout, invited_at=SENT)
    login_as(staff(Role.SPONSOR, code))
    listing = client.get(f"/r/{code}/rollouts/sef-{code}/learners?stage=invited")
    assert listing.status_code == (200 if names else 403)
    overview = client.get(f"/r/{code}/rollouts/sef-{code}").get_data(as_text=True)
    assert (f"/r/{code}/rollouts/sef-{code}/learners" in overview) is names
