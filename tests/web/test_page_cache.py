"""Whole staff pages kept by the read cache (app.readcache.cached_page): served again to the
same staff member, with the same roles, URL and session, until anything commits. Sign-in,
region scope and the role check run on every request before a kept page is served."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete

from app.auth.access import SESSION_USER_KEY, end_sessions
from app.auth.models import Role, RoleAssignment, StaffUser
from app.extensions import db
from app.readcache import read_cache
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.web.security import SESSION_REFRESH_AFTER
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff
from tests.statements import statements_during


@pytest.fixture
def rollout(client, login_as):
    rollout = RolloutFactory(region_id=region("us").id, status=RolloutStatus.LAUNCHED)
    for _ in range(3):
        enrollment = EnrollmentFactory(
            rollout=rollout, invited_at=datetime(2026, 10, 1, tzinfo=UTC)
        )
        enrollment.transition(EnrollmentState.COMMITTED, at=datetime(2026, 10, 2, tzinfo=UTC))
    login_as(staff(Role.LOCAL_LEAD, "us"))  # commits
    return rollout


def _statements(run: Callable[[], object]) -> list[str]:
    return statements_during(run)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_a_kept_page_costs_the_sign_in_statement_only(client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    first = _page(client, url)  # the session gets its CSRF token here: not kept
    second = _page(client, url)
    seen = _statements(lambda: _page(client, url))
    assert len(seen) == 1 and "staff_user" in seen[0]
    assert _page(client, url) == second
    # the same session token (Flask-WTF signs it with the second it was rendered in, so the
    # signed forms of two renders a second apart differ: compare what was signed)
    assert _csrf(first).split(".")[0] == _csrf(second).split(".")[0]


def test_a_commit_shows_on_the_next_page_load(client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    before = _page(client, url)
    rollout.program.title = "Renamed for the region"
    db.session.commit()
    after = _page(client, url)
    assert "Renamed for the region" in after and "Renamed for the region" not in before


def test_a_sponsor_never_gets_the_page_kept_for_a_lead(client, rollout, login_as):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    lead_page = _page(client, url)
    assert ">Roster<" in lead_page
    login_as(staff(Role.SPONSOR, "us"))
    sponsor_page = _page(client, url)
    assert ">Roster<" not in sponsor_page
    assert sponsor_page != lead_page


def test_the_kept_page_carries_each_sessions_own_csrf_token(app, client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    mine = _csrf(_page(client, url))
    with client.session_transaction() as session:
        user_id = session[SESSION_USER_KEY]
    other = app.test_client()
    with other.session_transaction() as session:
        session[SESSION_USER_KEY] = user_id  # the same lead, signed in on a second device
    _page(other, url)
    theirs = _csrf(_page(other, url))
    assert theirs != mine
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    with other.session_transaction() as session:
        assert serializer.loads(theirs) == session["csrf_token"]
    with client.session_transaction() as session:
        assert serializer.loads(mine) == session["csrf_token"]


def test_a_waiting_flash_message_is_shown_and_not_kept(client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    _page(client, url)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Reminders queued for 3 learners.")]
    assert "Reminders queued for 3 learners." in _page(client, url)
    assert "Reminders queued for 3 learners." not in _page(client, url)


def test_a_signed_out_session_gets_no_kept_page(client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    _page(client, url)
    with client.session_transaction() as session:
        session.pop(SESSION_USER_KEY)
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_revoked_role_is_refused_although_the_page_was_kept(client, rollout):
    url = f"/r/us/approvals/{rollout.slug}"
    _page(client, url)
    _page(client, url)
    with client.session_transaction() as session:
        user_id = session[SESSION_USER_KEY]
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
    db.session.add(RoleAssignment(user_id=user_id, region_id=region("us").id, role=Role.SPONSOR))
    db.session.commit()
    assert client.get(url).status_code == 403
    assert ">Roster<" not in _page(client, f"/r/us/rollouts/{rollout.slug}")
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
    db.session.commit()
    assert client.get(f"/r/us/rollouts/{rollout.slug}").status_code == 404


def test_another_regions_url_is_still_a_404(client, rollout):
    _page(client, f"/r/us/rollouts/{rollout.slug}")
    _page(client, f"/r/us/rollouts/{rollout.slug}")
    assert client.get(f"/r/de/rollouts/{rollout.slug}").status_code == 404
    assert client.get("/r/de/").status_code == 404


def test_pages_of_older_epochs_are_dropped(client, rollout):
    urls = [f"/r/us/rollouts/{rollout.slug}", "/r/us/", "/r/us/reports/"]
    for url in urls * 2:
        _page(client, url)
    assert len(read_cache._pages) == 3
    rollout.program.title = "Moved on"
    db.session.commit()
    _page(client, urls[0])
    assert len(read_cache._pages) == 1


def test_the_memory_for_pages_is_bounded(client, rollout, monkeypatch):
    """Any query string is another page: they cannot grow the process without limit."""
    _page(client, "/r/us/?n=0")
    size = len(_page(client, "/r/us/?n=0").encode())
    monkeypatch.setattr(read_cache, "max_page_bytes", size * 4 + 100)
    for n in range(10):
        _page(client, f"/r/us/?n={n}")
    assert read_cache._page_bytes == sum(len(v[1]) for v in read_cache._pages.values())
    assert read_cache._page_bytes <= read_cache.max_page_bytes
    assert 1 <= len(read_cache._pages) <= 4
    assert any("n=9" in key[2] for key in read_cache._pages)


def test_a_copy_of_the_cookie_gets_no_kept_page_once_its_person_signed_out(app, client, rollout):
    """Signing out ends every session of the person (``session_version``): a copy of the
    cookie taken while the page was kept is sent to sign in, not served the page."""
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    _page(client, url)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get(url).status_code == 200  # the copy is served the kept page meanwhile
    with client.session_transaction() as session:
        user_id = session[SESSION_USER_KEY]
    end_sessions(user_id)  # what signing out does, with its commit
    db.session.commit()
    response = copy.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_deactivated_account_gets_no_kept_page(client, rollout):
    url = f"/r/us/rollouts/{rollout.slug}"
    _page(client, url)
    _page(client, url)
    with client.session_transaction() as session:
        user = db.session.get(StaffUser, session[SESSION_USER_KEY])
    user.active = False
    db.session.commit()
    assert client.get(url, headers={"Accept": "text/html"}).status_code == 302


def _sets_session_cookie(response) -> bool:
    return any(v.startswith("session=") for v in response.headers.getlist("Set-Cookie"))


def test_an_unchanged_session_cookie_is_sent_again_only_after_some_minutes(client, rollout):
    """The cookie of a permanent session is not signed and sent with every response (a
    kept page cost more than the page); its lifetime still slides, a few minutes late."""
    url = f"/r/us/rollouts/{rollout.slug}"
    with client.session_transaction() as session:
        session.permanent = True
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        assert _sets_session_cookie(client.get(url))  # a new CSRF token: the session changed
        kept = client.get(url)
        assert kept.status_code == 200 and not _sets_session_cookie(kept)
    with time_machine.travel(start + timedelta(seconds=SESSION_REFRESH_AFTER - 5), tick=False):
        assert not _sets_session_cookie(client.get(url))
    later = start + timedelta(seconds=SESSION_REFRESH_AFTER + 5)
    with time_machine.travel(later, tick=False):
        refreshed = client.get(url)
        assert refreshed.status_code == 200 and _sets_session_cookie(refreshed)
        cookie = refreshed.headers["Set-Cookie"]
        assert "Expires=" in cookie
        expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
        assert expires == (later + timedelta(hours=8)).replace(microsecond=0)
        assert not _sets_session_cookie(client.get(url))


def test_a_new_secret_key_counts_from_the_next_request(app, client, rollout):
    """The session's signing serializer is built once per set of keys: a rotated
    ``SECRET_KEY`` keeps the sessions signed with a key still among the fallbacks, and
    ends them once it is not."""
    url = f"/r/us/rollouts/{rollout.slug}"
    assert client.get(url).status_code == 200
    old = app.secret_key
    try:
        app.secret_key = "a rotated secret key, long enough for production"
        app.config["SECRET_KEY_FALLBACKS"] = [old]
        assert client.get(url).status_code == 200
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert client.get(url).status_code != 200  # signed out: to the sign-in page
    finally:
        app.secret_key = old
        app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get(url).status_code == 200


def test_a_session_past_its_lifetime_ends_although_its_cookie_was_verified(client, rollout):
    """A cookie this process verified once is kept as verified; its age still counts on
    every request: 8 hours after it was signed, the session is over."""
    url = f"/r/us/rollouts/{rollout.slug}"
    with client.session_transaction() as session:
        session.permanent = True
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        client.get(url)  # signed afresh: a new CSRF token
        assert client.get(url).status_code == 200  # that cookie verified, and kept
        assert client.get(url).status_code == 200  # ... and taken as verified
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        assert client.get(url).status_code != 200  # to the sign-in page
