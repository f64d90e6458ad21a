"""A rollout with a local lead signed in, and the three fake platforms on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.connectors.models import Connector, ConnectorRun
from app.extensions import db
from app.mail.models import OutboundEmail
from app.progress.models import ModuleProgress
from tests.connectors import fake_lrs, fake_moodle, fake_openedx
from tests.factories import staff
from tests.progress.helpers import make_course


@pytest.fixture
def course() -> Any:
    return make_course("de")


@pytest.fixture
def lead(client, login_as) -> Any:
    user = staff(Role.LOCAL_LEAD, "de", email="lead.de@example.com", name="Lea Lead")
    login_as(user)
    return user


@pytest.fixture
def lrs() -> Iterator[fake_lrs.FakeLrs]:
    fake = fake_lrs.FakeLrs()
    server = fake_lrs.start(fake)
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def openedx() -> Iterator[fake_openedx.FakeOpenEdx]:
    fake = fake_openedx.FakeOpenEdx()
    server = fake_openedx.start(fake)
    yield fake
    server.stop()


@pytest.fixture
def moodle() -> Iterator[fake_moodle.FakeMoodle]:
    fake = fake_moodle.FakeMoodle()
    server = fake_moodle.start(fake)
    fake.url = server.url
    yield fake
    server.stop()


def page_token(client, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert match, body
    return match.group(1)


def configure(client, course, **fields: str) -> Any:
    """Save the connector through its page, as the local lead does."""
    path = f"/r/de/rollouts/{course.rollout.slug}/progress/connector"
    data = {"csrf_token": page_token(client, path), "enabled": "on", **fields}
    return client.post(path, data=data)


def sync_now(client, course) -> Any:
    path = f"/r/de/rollouts/{course.rollout.slug}/progress/connector"
    return client.post(f"{path}/sync", data={"csrf_token": page_token(client, path)})


def runs(course) -> list[ConnectorRun]:
    connector = db.session.scalars(
        select(Connector).where(Connector.rollout_id == course.rollout.id)
    ).one()
    return list(
        db.session.scalars(
            select(ConnectorRun)
            .where(ConnectorRun.connector_id == connector.id)
            .order_by(ConnectorRun.id)
        )
    )


def progress_rows(course) -> dict[tuple[str, str], tuple[float, bool]]:
    by_id = {e.id: who for who, e in course.enrollments.items()}
    keys = {m.id: m.key for m in course.program.modules}
    return {
        (by_id[row.enrollment_id], keys[row.module_id]): (row.percent, row.completed)
        for row in db.session.scalars(select(ModuleProgress))
    }


def failure_emails() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboundEmail)
        .where(OutboundEmail.kind == "connectors/failed")
    )
