"""The global report speaks each reader's language, as every other email and page does."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.auth.models import Role, RoleAssignment
from app.extensions import db
from app.mail.models import OutboundEmail
from app.reports.services import build_week
from tests.factories import region, staff
from tests.metrics import dataset

WEEK = dataset.WEEK


def _global_week() -> dict[str, OutboundEmail]:
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False):
        build_week(week=WEEK, send=True)
    db.session.commit()
    emails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "reports/global"))
    return {e.to_address: e for e in emails}


def test_each_global_sponsor_reads_it_in_their_language() -> None:
    dataset.build()
    staff(Role.SPONSOR, None, name="Haruto Global", email="haruto@example.com", locale="ja")
    # no language of their own, a regional role in Germany: the region's language
    lena = staff(Role.SPONSOR, None, name="Lena Global", email="lena@example.com")
    lena.roles.append(RoleAssignment(region_id=region("de").id, role=Role.SPONSOR))
    # neither, and the regions speak several languages: English
    dataset.global_sponsor()
    db.session.flush()

    emails = _global_week()

    ja, de, en = (
        emails["haruto@example.com"],
        emails["lena@example.com"],
        emails["gita.global@example.com"],
    )
    assert ja.subject == f"Summit：グローバル週次レポート、{WEEK}"
    assert 'lang="ja"' in ja.html_body and "全地域：週次レポート" in ja.html_body
    assert de.subject == f"Summit: globaler Wochenbericht, {WEEK}"
    assert "Alle Regionen: Wochenbericht" in de.text_body
    assert en.subject == f"Summit: global weekly report, {WEEK}"
    assert "All regions: weekly report" in en.html_body
    # the attached league table's headers are in the reader's language too; figures the same
    (ja_csv,), (en_csv,) = ja.attachments, en.attachments
    assert ja_csv.data.decode("utf-8-sig").splitlines()[0].startswith("地域")
    assert en_csv.data.decode("utf-8-sig").splitlines()[0].startswith("Region")

    def figures(data: bytes) -> list[list[str]]:
        return [line.split(",")[1:] for line in data.decode("utf-8-sig").splitlines()[1:]]

    assert figures(ja_csv.data) == figures(en_csv.data)


def test_the_global_page_is_in_the_readers_language(client, login_as) -> None:
    dataset.build()
    gita = dataset.global_sponsor()
    _global_week()
    gita.locale = "de"
    page = login_as(gita).get(f"/reports/global/{WEEK}").get_data(as_text=True)
    assert "Alle Regionen: Wochenbericht" in page and "All regions: weekly report" not in page
    assert f"Alle Regionen, {WEEK}" in page
