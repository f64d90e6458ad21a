"""Directory import from the fake Graph, run as a real job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.directory import start_directory_import
from app.auth.models import DirectoryImport, ImportStatus, Role
from app.extensions import db
from app.people.models import Person
from app.people.signals import managers_changed
from tests.auth.conftest import fresh_csrf
from tests.factories import PersonFactory, region, staff


def _user(n: int, country: str, manager: int | None = None, **extra: Any) -> dict[str, Any]:
    user = {
        "id": f"oid-{n}",
        "employeeId": f"E{n}",
        "displayName": f"Person {n}",
        "mail": f"Person.{n}@Contoso.example",
        "userPrincipalName": f"p{n}@contoso.example",
        "accountEnabled": True,
        "country": country,
    }
    if manager is not None:
        user["manager"] = {"id": f"oid-{manager}", "employeeId": f"E{manager}"}
    return {**user, **extra}


def _people() -> dict[str, Person]:
    db.session.expire_all()
    return {p.employee_id: p for p in db.session.scalars(select(Person))}


def test_import_creates_people_with_regions_and_managers(fake_entra: Any, run_jobs: Any) -> None:
    fake_entra.directory = [
        _user(2, "Germany", manager=1),  # the manager comes on a later page
        _user(3, "FR", manager=1),
        _user(1, "DE"),
        _user(4, "Atlantis"),
        _user(5, "DE", employeeId=None),
        _user(6, "DE", accountEnabled=False),
        _user(7, "United States", manager=99),  # a manager outside the directory
    ]
    fake_entra.throttle = 1
    fake_entra.retry_after = "0"
    run = start_directory_import(settings=fake_entra_settings(), requested_by=None)
    db.session.commit()
    run_jobs()
    run = db.session.get(DirectoryImport, run.id)
    assert run.status is ImportStatus.DONE, run.error
    assert (run.pages, run.seen, run.created, run.updated) == (4, 7, 4, 0)
    assert (run.skipped_no_key, run.skipped_no_region, run.managers_changed) == (2, 1, 2)
    people = _people()
    assert set(people) == {"E1", "E2", "E3", "E7"}
    assert people["E2"].email == "person.2@contoso.example"
    assert people["E2"].region_id == region("de").id
    assert people["E3"].region_id == region("fr").id
    assert people["E7"].region_id == region("us").id
    assert people["E2"].manager_id == people["E1"].id
    assert people["E3"].manager_id == people["E1"].id
    assert people["E7"].manager_id is None


def test_second_import_changes_only_what_changed(fake_entra: Any, run_jobs: Any) -> None:
    fake_entra.directory = [_user(1, "DE"), _user(2, "DE", manager=1), _user(3, "DE")]
    start_directory_import(settings=fake_entra_settings(), requested_by=None)
    db.session.commit()
    run_jobs()
    erased = _people()["E3"]
    erased.erased_at = erased.created_at
    db.session.commit()
    changed: list[tuple[int, int | None, int]] = []

    def on_change(sender: Any, changes: list[tuple[int, int | None, int]]) -> None:
        changed.extend(changes)

    fake_entra.directory = [
        _user(1, "DE"),
        _user(2, "FR", manager=3, displayName="Person Two"),
        _user(3, "DE", displayName="Not Erased Any More"),
    ]
    with managers_changed.connected_to(on_change):
        run = start_directory_import(settings=fake_entra_settings(), requested_by=None)
        db.session.commit()
        run_jobs()
    run = db.session.get(DirectoryImport, run.id)
    assert (run.created, run.updated, run.managers_changed) == (0, 1, 1)
    people = _people()
    assert people["E2"].name == "Person Two" and people["E2"].region_id == region("fr").id
    assert people["E3"].name == "Person 3"  # erased data stays erased
    assert changed == [(people["E2"].id, people["E1"].id, people["E3"].id)]


def test_email_belonging_to_another_person_is_a_conflict(fake_entra: Any, run_jobs: Any) -> None:
    PersonFactory(employee_id="HR-1", email="person.1@contoso.example")
    db.session.commit()
    fake_entra.directory = [_user(1, "DE")]
    run = start_directory_import(settings=fake_entra_settings(), requested_by=None)
    db.session.commit()
    run_jobs()
    run = db.session.get(DirectoryImport, run.id)
    assert (run.created, run.conflicts) == (0, 1)


def test_a_failed_import_says_why(fake_entra: Any, run_jobs: Any) -> None:
    fake_entra.throttle = 100
    fake_entra.retry_after = "3600"
    run = start_directory_import(settings=fake_entra_settings(), requested_by=None)
    db.session.commit()
    run_jobs()
    run = db.session.get(DirectoryImport, run.id)
    assert run.status is ImportStatus.FAILED
    assert "GraphThrottled" in run.error and "429" in run.error


def test_global_admin_starts_an_import_from_the_page(
    client: Any, login_as: Any, fake_entra: Any, run_jobs: Any
) -> None:
    fake_entra.directory = [_user(1, "DE")]
    login_as(staff(Role.GLOBAL_ADMIN))
    response = client.post("/auth/entra/directory", data={"csrf_token": fresh_csrf(client)})
    assert response.status_code == 302
    run_jobs()
    page = client.get("/auth/entra/directory").get_data(as_text=True)
    assert "done" in page


def test_only_global_admins_see_the_directory_and_mapping_pages(client: Any, login_as: Any) -> None:
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get("/auth/entra/directory").status_code == 403
    assert client.get("/auth/entra/roles").status_code == 403
    assert client.post("/auth/entra/directory").status_code in (400, 403)


def fake_entra_settings() -> Any:
    from flask import current_app

    return current_app.extensions["summit.settings"]


def test_cli_runs_the_import_and_prints_the_mapping(fake_entra: Any, runner: Any) -> None:
    fake_entra.directory = [_user(1, "DE"), _user(2, "FR", manager=1)]
    result = runner.invoke(args=["entra", "import-directory", "--now"])
    assert result.exit_code == 0, result.output
    assert "done: 2 new, 0 updated, 1 managers changed" in result.output
    result = runner.invoke(args=["entra", "roles"])
    assert "Summit.LocalLead.DE" in result.output and "Germany" in result.output


def _directory(first: int, count: int) -> list[dict[str, Any]]:
    """``count`` users numbered from ``first``, a manager tree three wide, in four regions."""
    countries = ["DE", "FR", "US", "Germany"]
    return [
        _user(n, countries[n % 4], manager=first + (n - first - 1) // 3 if n > first else None)
        for n in range(first, first + count)
    ]


def test_the_statements_of_an_import_do_not_grow_with_the_directory(fake_entra: Any) -> None:
    """Three pages of 4 users or three pages of 40 (a manager for nearly everyone, the
    approvals receiver listening): the same statements, none per person."""
    from app.auth.directory import import_directory
    from app.microsoft.graph import GraphClient
    from tests.statements import statements_during

    settings = fake_entra_settings()
    counts = []
    for first, page_size in ((1000, 4), (2000, 40)):
        fake_entra.directory = _directory(first, 3 * page_size)
        fake_entra.page_size = page_size
        run = DirectoryImport(region_attribute="country")
        db.session.add(run)
        db.session.commit()
        client = GraphClient(settings)
        try:
            statements = statements_during(
                lambda run=run, client=client: import_directory(
                    run=run, settings=settings, client=client, on_page=db.session.commit
                )
            )
        finally:
            client.close()
        db.session.commit()
        assert run.pages == 3 and run.created == 3 * page_size
        assert run.managers_changed == 3 * page_size - 1
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    people = _people()
    assert people["E2040"].manager_id == people["E2013"].id
    assert people["E2013"].manager_id == people["E2004"].id


def test_a_manager_change_in_the_directory_moves_pending_requests(
    fake_entra: Any, run_jobs: Any
) -> None:
    from app.approvals.models import AllocationStatus, TimeAllocation
    from app.audit.models import AuditEvent
    from tests.approvals.helpers import commit, manager, report, rollout_in

    rollout = rollout_in()
    old, new = manager(name="Olga Old"), manager(name="Nina New")
    moving = commit(report(rollout, old))
    staying = commit(report(rollout, old))
    db.session.commit()
    fake_entra.directory = [
        _user(1, "DE", employeeId=new.employee_id, mail=new.email),
        _user(2, "DE", employeeId=moving.person.employee_id, mail=moving.person.email),
        _user(3, "DE", employeeId=staying.person.employee_id, mail=staying.person.email),
    ]
    fake_entra.directory[1]["manager"] = {"id": "oid-1", "employeeId": new.employee_id}
    fake_entra.directory[2]["manager"] = {"id": "oid-x", "employeeId": old.employee_id}
    run = start_directory_import(settings=fake_entra_settings(), requested_by=None)
    db.session.commit()
    run_jobs()
    run = db.session.get(DirectoryImport, run.id)
    assert run.managers_changed == 1
    by_enrollment = {
        a.enrollment_id: (a.manager_id, a.status)
        for a in db.session.scalars(select(TimeAllocation))
    }
    assert by_enrollment == {
        moving.id: (new.id, AllocationStatus.PENDING),
        staying.id: (old.id, AllocationStatus.PENDING),
    }
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "approval.manager_changed")
    )
    assert event.region_id == moving.person.region_id
    assert event.data == {"old_manager_id": old.id, "new_manager_id": new.id}
