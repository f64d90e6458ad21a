"""Roster import from the web: upload → preview job → confirm job; progress; errors CSV."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import g
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from app.roster.models import ImportStatus, RosterImport
from tests.factories import PersonFactory, RolloutFactory, region, staff

FIXTURES = Path(__file__).parent / "fixtures"


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _upload(client, name: str) -> RosterImport:  # type: ignore[no-untyped-def]
    path = "/r/de/rollouts/sef-de/roster"
    token = _token(client, path)
    response = client.post(
        path,
        data={"csrf_token": token, "file": (io.BytesIO((FIXTURES / name).read_bytes()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(RosterImport).order_by(RosterImport.id.desc())).first()


def test_preview_equals_what_confirm_applies(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    imp = _upload(client, "bad_rows.csv")
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    status = client.get(base + "/status.json").get_json()
    assert status["done"] is False and status["status"] == "queued"
    run_jobs()
    assert client.get(base + "/status.json").get_json() == {
        "status": "previewed",
        "done": True,
        "phase": "done",
        "percent": 100,
    }
    db.session.expire_all()
    assert imp.status is ImportStatus.PREVIEWED
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0  # preview writes none
    page = client.get(base).get_data(as_text=True)
    assert "Confirm: apply exactly this" in page and "invalid email" in page
    csv_text = client.get(base + "/issues.csv", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    # a German reader's download: German headers and reasons, the file's own column name
    assert csv_text.splitlines()[0] == "Zeile,Spalte,Grund"
    assert "3,Email,ungültige E-Mail-Adresse" in csv_text
    assert "Anna" not in csv_text  # the log keeps line and reason, never the row
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    db.session.expire_all()
    assert imp.status is ImportStatus.APPLIED
    assert imp.applied_counts == imp.preview_counts
    assert imp.stored_path is None
    assert db.session.scalar(select(func.count()).select_from(Person)) == 7  # + 1 manager made


def test_confirm_refuses_when_the_database_changed(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    imp = _upload(client, "utf8_bom_comma_crlf.csv")
    run_jobs()
    PersonFactory(employee_id="E-3", email="zoe.fischer@example.com", name="Zoë Old")
    db.session.commit()
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    db.session.expire_all()
    assert imp.status is ImportStatus.STALE
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_unreadable_upload_is_refused_and_other_region_gets_404(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    RolloutFactory(slug="sef-fr", region_id=region("fr").id)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    imp = _upload(client, "no_header.csv")
    run_jobs()
    page = client.get(f"/r/de/rollouts/sef-de/roster/{imp.id}").get_data(as_text=True)
    assert "refused as a whole and nothing was applied" in page
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    assert client.get(f"/r/de/rollouts/sef-de/roster/{imp.id}").status_code == 404
    assert client.get(f"/r/fr/rollouts/sef-fr/roster/{imp.id}").status_code == 404
    assert client.get(f"/r/fr/rollouts/sef-fr/roster/{imp.id}/issues.csv").status_code == 404


def test_cli_dry_run_and_import(runner) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    db.session.commit()
    path = str(FIXTURES / "bad_rows.csv")
    dry = runner.invoke(args=["roster", "import", path, "--rollout", "sef-de", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output and "line 3, Email: invalid email" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    done = runner.invoke(args=["roster", "import", path, "--rollout", "sef-de"])
    assert "6 new" in done.output
    refused = runner.invoke(
        args=["roster", "import", str(FIXTURES / "not_a_roster.csv"), "--rollout", "sef-de"]
    )
    assert refused.exit_code != 0 and "nothing applied" in refused.output
