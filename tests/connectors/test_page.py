"""The connector page (form, CSRF, encrypted secret) and the hourly per-region slot."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth.models import Role
from app.connectors.models import Connector, RunStatus
from app.connectors.secrets import SecretsUnavailable, decrypt, encrypt
from app.extensions import db
from app.settings import Settings, SettingsError
from jobs import schedule
from jobs.connectors import sync_region
from tests.connectors.conftest import configure, page_token, progress_rows, runs
from tests.connectors.fake_openedx import CLIENT_ID, CLIENT_SECRET, COURSE
from tests.factories import region, staff
from tests.progress.helpers import TITLES


def _path(course) -> str:
    return f"/r/de/rollouts/{course.rollout.slug}/progress/connector"


def test_the_secret_is_stored_encrypted_and_never_shown(client, lead, course, openedx, app):
    response = configure(
        client,
        course,
        kind="openedx",
        base_url=openedx.url,
        course_ref=COURSE,
        learner_field="username",
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        enabled="",
    )
    assert response.status_code == 303
    connector = db.session.scalars(select(Connector)).one()
    assert CLIENT_SECRET not in connector.secret_encrypted
    assert decrypt(app.extensions["summit.settings"], connector.secret_encrypted) == CLIENT_SECRET
    page = client.get(_path(course)).get_data(as_text=True)
    assert CLIENT_SECRET not in page and connector.secret_encrypted not in page
    # saved again without a secret: the stored one is kept
    configure(
        client,
        course,
        kind="openedx",
        base_url=openedx.url,
        course_ref=COURSE,
        learner_field="username",
        client_id=CLIENT_ID,
        enabled="",
    )
    db.session.expire_all()
    assert decrypt(app.extensions["summit.settings"], connector.secret_encrypted) == CLIENT_SECRET


def test_a_post_without_csrf_token_changes_nothing(client, lead, course):
    response = client.post(_path(course), data={"kind": "moodle", "base_url": "https://m.example"})
    assert response.status_code == 400
    assert db.session.scalars(select(Connector)).all() == []


def test_bad_input_is_a_400_that_says_which_field(client, lead, course):
    token = page_token(client, _path(course))
    response = client.post(
        _path(course),
        data={
            "csrf_token": token,
            "kind": "moodle",
            "base_url": "javascript:alert(1)",
            "course_ref": "<b>x</b>",
            "learner_field": "email",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the platform" in body and "Enter the Moodle course id" in body
    assert "Enter the LRS secret" in body
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body
    assert db.session.scalars(select(Connector)).all() == []


def test_a_sponsor_sees_the_syncs_but_no_form(client, login_as, course):
    login_as(staff(Role.SPONSOR, "de"))
    page = client.get(_path(course))
    assert page.status_code == 200
    assert "Save the connector" not in page.get_data(as_text=True)


def test_production_refuses_to_store_a_secret_without_a_key():
    production = Settings(env="production", secret_key="k" * 40)
    with pytest.raises(SecretsUnavailable):
        encrypt(production, "token")
    keyed = Settings(
        env="production", secret_key="k" * 40, secrets_key=(Fernet.generate_key().decode(),)
    )
    assert decrypt(keyed, encrypt(keyed, "token")) == "token"


def test_a_rotated_key_still_reads_what_the_old_one_wrote():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = encrypt(Settings(env="test", secrets_key=(old,)), "token")
    assert decrypt(Settings(env="test", secrets_key=(new, old)), stored) == "token"
    with pytest.raises(SecretsUnavailable):
        decrypt(Settings(env="test", secrets_key=(new,)), stored)


def test_a_malformed_secrets_key_is_refused_at_start():
    with pytest.raises(SettingsError, match="SUMMIT_SECRETS_KEY"):
        Settings.from_env({"SUMMIT_ENV": "test", "SUMMIT_SECRETS_KEY": "not-a-key"})


def test_the_hourly_region_slot_syncs_the_regions_enabled_connectors(
    client, lead, course, openedx, run_jobs
):
    entry = next(e for e in schedule.RECURRING if e.name == "progress.connectors")
    assert entry.per_region and entry.func == "jobs.connectors.sync_region"
    openedx.learner(1, "E1001", dict.fromkeys(TITLES, 8.0))
    configure(
        client,
        course,
        kind="openedx",
        base_url=openedx.url,
        course_ref=COURSE,
        learner_field="username",
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        enabled="",  # no sync on save: only the slot's
    )
    db.session.scalars(select(Connector)).one().enabled = True
    db.session.commit()
    assert sync_region(region("fr").id, "2026-10-05T09:00:00+00:00") == 0
    assert sync_region(region("de").id, "2026-10-05T09:00:00+00:00") == 1
    run_jobs()
    (run,) = runs(course)
    assert run.status is RunStatus.OK and run.trigger == "schedule"
    assert progress_rows(course)[("ada", "m6")] == (100.0, True)


def test_a_sync_is_skipped_while_another_sync_of_the_connector_runs(
    client, lead, course, openedx, run_jobs
):
    from sqlalchemy import text

    from app.connectors.services import LOCK_SPACE

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no lock to take")
    openedx.learner(1, "E1001", dict.fromkeys(TITLES, 8.0))
    configure(
        client,
        course,
        kind="openedx",
        base_url=openedx.url,
        course_ref=COURSE,
        learner_field="username",
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
    )
    connector_id = db.session.scalars(select(Connector.id)).one()
    with db.engine.connect() as other:  # another worker, mid-sync
        other.execute(
            text("SELECT pg_advisory_lock(:space, :id)"), {"space": LOCK_SPACE, "id": connector_id}
        )
        run_jobs()
        assert runs(course) == []
        other.execute(
            text("SELECT pg_advisory_unlock(:space, :id)"),
            {"space": LOCK_SPACE, "id": connector_id},
        )
        other.commit()
    from jobs.connectors import sync_connector

    sync_connector(connector_id, "manual")
    assert [r.status for r in runs(course)] == [RunStatus.OK]


def test_in_production_without_a_key_the_page_refuses_to_store_the_secret(
    app_settings, course, lead
):
    from app import create_app
    from app.auth.access import SESSION_USER_KEY

    production = create_app(
        {**app_settings, "env": "production", "secret_key": "p" * 48, "base_url": "https://s.test"}
    )
    db.session.commit()
    with production.test_client() as browser:
        with browser.session_transaction(base_url="https://s.test") as session:
            session[SESSION_USER_KEY] = lead.id
        path = _path(course)
        form = browser.get(path, base_url="https://s.test").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert match, form[form.find("<main") :]
        token = match.group(1)
        response = browser.post(
            path,
            headers={"Referer": f"https://s.test{path}"},
            data={
                "csrf_token": token,
                "kind": "moodle",
                "base_url": "https://moodle.example.com",
                "course_ref": "42",
                "learner_field": "email",
                "secret": "a-moodle-token",
            },
            base_url="https://s.test",
        )
    with production.app_context():
        db.engine.dispose()
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body
    assert "SUMMIT_SECRETS_KEY is not set" in body, body[body.find("<main") :]
    assert db.session.scalars(select(Connector)).all() == []
