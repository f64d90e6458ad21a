"""The archive is region-scoped and read-only; subscriptions change through signed links."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.auth.models import Role, StaffUser
from app.extensions import db
from app.mail.models import OutboundEmail
from app.reports.models import GlobalReportOptOut
from app.reports.services import build_week, global_sponsors
from tests.factories import staff
from tests.metrics import dataset

WEEK = dataset.WEEK


def _send() -> dataset.Dataset:
    data = dataset.build()
    dataset.global_sponsor()
    build_week(week=WEEK, send=True)
    db.session.commit()
    return data


def _one_click_path(address: str) -> str:
    email = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == address)
    ).one()
    url = email.headers["List-Unsubscribe"].strip("<>")
    return url.removeprefix("http://summit.test")


def _manage_path(address: str) -> str:
    email = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == address)
    ).one()
    url = re.search(r'href="(http://summit\.test/reports/subscription/[^"]+)"', email.html_body)
    return url.group(1).removeprefix("http://summit.test")


def test_sponsor_reads_their_regions_archive_and_nothing_else(client, login_as):
    _send()
    login_as(staff(Role.SPONSOR, "de"))
    index = client.get("/r/de/reports/")
    assert index.status_code == 200 and WEEK in index.get_data(as_text=True)
    page = client.get(f"/r/de/reports/{WEEK}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'src="/r/de/reports/{WEEK}/chart.png"' in html
    chart = client.get(f"/r/de/reports/{WEEK}/chart.png")
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    # another region, by URL: 404, whatever the week
    assert client.get(f"/r/in/reports/{WEEK}").status_code == 404
    assert client.get("/r/in/reports/").status_code == 404
    assert client.get("/r/de/reports/2026-W47").status_code == 404
    assert client.get("/r/de/reports/not-a-week").status_code == 404
    # the global report is for global admins and global sponsors only
    assert client.get(f"/reports/global/{WEEK}").status_code == 404
    assert client.get("/reports/global/").status_code == 404


def test_a_lead_of_another_region_cannot_read_a_report_by_its_week(client, login_as):
    _send()
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    assert client.get(f"/r/de/reports/{WEEK}").status_code == 404
    assert client.get(f"/r/de/reports/{WEEK}/report.csv").status_code == 404
    assert client.get(f"/r/de/reports/{WEEK}/chart.png").status_code == 404
    assert client.get("/r/fr/reports/").status_code == 200  # its own (empty) archive


def test_global_report_for_global_admin_and_global_sponsor(client, login_as):
    _send()
    login_as(staff(Role.GLOBAL_ADMIN))
    page = client.get(f"/reports/global/{WEEK}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index('data-region="in"') < html.index('data-region="de"')  # 33% before 22%
    sponsor = db.session.scalars(
        select(StaffUser).where(StaffUser.email == "gita.global@example.com")
    ).one()
    login_as(sponsor)
    assert client.get(f"/reports/global/{WEEK}").status_code == 200
    csv_text = client.get(f"/reports/global/{WEEK}/report.csv").get_data(as_text=True)
    assert "All regions,2026-W48" in csv_text


def test_one_click_unsubscribe_is_public_csrf_free_and_idempotent(app):
    data = _send()
    path = _one_click_path("dora.sponsor@example.com")
    client = app.test_client()  # anonymous, no CSRF token: like a mail client
    scanner = client.get(path)
    assert scanner.status_code == 302  # a GET only shows the page
    db.session.expire_all()
    assert data.sponsor_de.subscribed
    for _ in range(2):
        response = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        assert data.sponsor_de.subscribed is False
    assert data.sponsor_in.subscribed  # only that sponsor
    assert client.post(path[:-3] + "abc").status_code == 404  # tampered


def test_manage_page_unsubscribes_and_resubscribes_with_csrf(app, client, csrf_token):
    data = _send()
    path = _manage_path("dora.sponsor@example.com")
    page = client.get(path)
    assert page.status_code == 200 and "Dora Sponsor" in page.get_data(as_text=True)
    db.session.expire_all()
    assert data.sponsor_de.subscribed  # opening the link changed nothing
    assert client.post(path, data={"action": "unsubscribe"}).status_code == 400  # no CSRF
    token = csrf_token(path)
    response = client.post(path, data={"action": "unsubscribe", "csrf_token": token})
    assert response.status_code == 200
    db.session.expire_all()
    assert data.sponsor_de.subscribed is False
    response = client.post(path, data={"action": "subscribe", "csrf_token": token})
    db.session.expire_all()
    assert data.sponsor_de.subscribed is True


def test_global_sponsor_unsubscribes_with_one_click(app):
    _send()
    path = _one_click_path("gita.global@example.com")
    client = app.test_client()
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert db.session.scalars(select(GlobalReportOptOut)).one()
    assert global_sponsors() == []


def test_an_unsubscribed_sponsor_gets_no_next_report():
    data = _send()
    data.sponsor_de.subscribed = False
    db.session.commit()
    # ids go on from earlier tests on PostgreSQL (sequences are not reset): the last one sent
    last = db.session.scalar(select(func.max(OutboundEmail.id)))
    build_week(week="2026-W49", send=True)
    db.session.commit()
    addresses = [
        e.to_address
        for e in db.session.scalars(select(OutboundEmail).where(OutboundEmail.id > last))
    ]
    assert "dora.sponsor@example.com" not in addresses
    assert "ira.sponsor@example.com" in addresses


def test_cli_build_then_send(runner):
    dataset.build()
    db.session.commit()
    result = runner.invoke(args=["reports", "build", "--week", "2026-w48"])
    assert result.exit_code == 0, result.output
    assert "3 built, 0 kept as sent, 0 sent" in result.output
    assert db.session.scalars(select(OutboundEmail)).all() == []
    result = runner.invoke(args=["reports", "build", "--week", "2026-W48", "--send"])
    assert "3 sent" in result.output
    result = runner.invoke(args=["reports", "build", "--week", "2026-W48", "--send"])
    assert "0 built, 3 kept as sent, 0 sent" in result.output
    result = runner.invoke(args=["reports", "build", "--week", "2026-W54"])
    assert result.exit_code != 0 and "ISO week" in result.output


def test_a_link_older_than_400_days_is_refused_and_changes_nothing(app):
    from datetime import UTC, datetime

    import time_machine

    data = _send()
    path = _one_click_path("dora.sponsor@example.com")
    client = app.test_client()
    with time_machine.travel(datetime(2028, 1, 15, tzinfo=UTC), tick=False):
        assert client.post(path).status_code == 410
        assert client.get(_manage_path("dora.sponsor@example.com")).status_code == 410
    db.session.expire_all()
    assert data.sponsor_de.subscribed
