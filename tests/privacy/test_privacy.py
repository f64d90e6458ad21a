import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.audit.services import record
from app.auth.models import Role
from app.extensions import db
from app.mail.services import queue_email
from app.people.models import Person
from app.privacy.registry import DELETED, NOT_PERSONAL, PERSONAL, SPECIAL
from app.privacy.retention import erase_expired_rollouts
from app.privacy.services import erase_person, export_person, personal_text_columns
from app.reports.models import Report
from app.rollouts.models import Enrollment, RolloutStatus
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff

NAME = "Zoë O'Brien-Kowalski"
EMAIL = "zoe.obrien@example.com"


def _dump() -> str:
    """Every value of every table, as text: what a database dump would show."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            for value in row:
                if isinstance(value, bytes):
                    chunks.append(value.decode("utf-8", "replace"))
                elif isinstance(value, dict | list):
                    chunks.append(json.dumps(value, ensure_ascii=False))
                elif value is not None:
                    chunks.append(str(value))
    return "\n".join(chunks)


@pytest.fixture
def learner():
    manager = PersonFactory(name="Mia Manager", email="mia.manager@example.com")
    person = PersonFactory(name=NAME, email=EMAIL, employee_id="DE-77123", manager=manager)
    enrollment = EnrollmentFactory(person=person, goal="Lead our move to event-driven design")
    enrollment.left_reason = "parental leave"
    queue_email(
        kind="_test/hello",
        to_address=EMAIL,
        to_name=NAME,
        idempotency_key=f"test:{person.id}",
        context={"name": NAME},
        person_id=person.id,
        region_id=person.region_id,
    )
    queue_email(
        kind="_test/hello",
        to_address=manager.email,
        to_name=manager.name,
        idempotency_key=f"test:manager:{manager.id}",
        context={"name": f"your report {NAME}"},
        person_id=manager.id,
        region_id=person.region_id,
    )
    db.session.add(
        Report(
            scope="region",
            region_id=person.region_id,
            week="2026-W47",
            figures={"free_riders": [NAME]},
            html=f"<li>{NAME}</li>",
        )
    )
    record(
        region_id=person.region_id,
        action="approval.approved",
        obj=enrollment,
        actor=person,
        channel="link",
        data={"learner": NAME},
    )
    db.session.commit()
    return person


def test_export_contains_every_table_of_the_person(learner):
    data = export_person(person=learner)
    assert data["employee_id"] == "DE-77123"
    tables = data["tables"]
    assert tables["person"][0]["email"] == EMAIL
    assert tables["enrollment"][0]["goal"] == "Lead our move to event-driven design"
    assert any(row["to_address"] == EMAIL for row in tables["outbound_email"])
    assert tables["audit_event"][0]["action"] == "approval.approved"
    json.dumps(data)  # serialisable as it is


def test_erasure_leaves_no_trace_and_is_idempotent(learner):
    before = _dump()
    assert NAME in before and EMAIL in before
    assert erase_person(person=learner, actor=None, channel="cli") is True
    db.session.commit()
    after = _dump()
    for needle in (NAME, EMAIL, "DE-77123", "O&#39;Brien", "event-driven design", "parental leave"):
        assert needle not in after, needle
    person = db.session.get(Person, learner.id)
    assert person.name == "Erased person" and person.employee_id.startswith("person-")
    # the structure stays: the enrollment and its state are still counted
    assert "Mia Manager" in after
    assert erase_person(person=person, actor=None, channel="cli") is False
    assert (
        db.session.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'person.erased'"))
        == 1
    )


def test_retention_erases_closed_rollouts_after_the_period(learner):
    de = region("de")
    rollout = (
        db.session.scalars(select(Enrollment).where(Enrollment.person_id == learner.id))
        .one()
        .rollout
    )
    rollout.status = RolloutStatus.CLOSED
    rollout.closed_at = datetime(2026, 1, 31, tzinfo=UTC)
    figures_before = db.session.scalars(select(Report)).one().figures.keys()
    db.session.commit()
    # one day before the end of the retention period nothing happens
    early = rollout.closed_at + timedelta(days=de.retention_days - 1)
    assert erase_expired_rollouts(region=de, now=early) == 0
    late = rollout.closed_at + timedelta(days=de.retention_days + 1)
    assert erase_expired_rollouts(region=de, now=late) == 1
    db.session.commit()
    after = _dump()
    assert NAME not in after and EMAIL not in after
    assert db.session.scalars(select(Report)).one().figures.keys() == figures_before
    assert erase_expired_rollouts(region=de, now=late) == 0


def test_an_open_rollout_keeps_its_people(learner):
    other = RolloutFactory()
    EnrollmentFactory(person=learner, rollout=other)
    first = db.session.scalars(select(Enrollment).order_by(Enrollment.id)).first()
    first.rollout.status = RolloutStatus.CLOSED
    first.rollout.closed_at = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.commit()
    erase_expired_rollouts(region=region("de"), now=datetime(2026, 11, 1, tzinfo=UTC))
    db.session.commit()
    assert db.session.get(Person, learner.id).name == NAME


def test_every_text_column_of_personal_tables_is_classified():
    unclassified = {
        table: sorted(columns - PERSONAL.get(table, set()) - NOT_PERSONAL.get(table, set()))
        for table, columns in personal_text_columns().items()
        if table not in SPECIAL | DELETED
    }
    assert {t: c for t, c in unclassified.items() if c} == {}, (
        "classify these columns in app/privacy/registry.py"
    )


def test_only_global_admins_reach_a_persons_data(client, login_as, learner):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/privacy/people/{learner.id}").status_code == 403
    login_as(staff(Role.GLOBAL_ADMIN))
    page = client.get(f"/privacy/people/{learner.id}")
    assert page.status_code == 200
    assert "Lead our move to event-driven design" in page.get_data(as_text=True)
    download = client.get(f"/privacy/people/{learner.id}/export.json")
    assert download.json["employee_id"] == "DE-77123"


def test_erasure_from_the_web_needs_the_typed_employee_id(client, login_as, learner):
    login_as(staff(Role.GLOBAL_ADMIN))
    html = client.get(f"/privacy/people/{learner.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post(
        f"/privacy/people/{learner.id}/erase", data={"csrf_token": token, "confirm": "nope"}
    )
    assert db.session.get(Person, learner.id).name == NAME
    client.post(
        f"/privacy/people/{learner.id}/erase", data={"csrf_token": token, "confirm": "DE-77123"}
    )
    db.session.expire_all()
    assert db.session.get(Person, learner.id).name == "Erased person"


def test_cli_export_and_erase(runner, learner):
    exported = runner.invoke(args=["person", "export", "DE-77123"])
    assert exported.exit_code == 0 and EMAIL in exported.output
    erased = runner.invoke(args=["person", "erase", "DE-77123", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert runner.invoke(args=["person", "export", "DE-77123"]).exit_code != 0


def test_the_export_page_names_tables_columns_and_values_in_the_admins_language(
    client, login_as, learner
):
    login_as(staff(Role.GLOBAL_ADMIN, locale="fr"))
    page = client.get(f"/privacy/people/{learner.id}").get_data(as_text=True)
    assert "Personne" in page and "Adresse e-mail" in page and "Créé le" in page
    assert ">erased_at<" not in page and ">False<" not in page and ">None<" not in page
