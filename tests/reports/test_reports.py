"""Weekly sponsor reports: built, sent once, archived as sent, the same numbers everywhere."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.metrics.presentation import METRICS, format_value, label, rows
from app.reports.models import Report
from app.reports.services import build_week, due_reports
from app.rollouts.models import RolloutStatus
from tests.factories import RolloutFactory, region, staff
from tests.metrics import dataset

WEEK = dataset.WEEK


def _report(code: str | None) -> Report:
    stmt = select(Report).where(Report.week == WEEK)
    stmt = (
        stmt.where(Report.region_id == region(code).id)
        if code
        else stmt.where(Report.region_id.is_(None))
    )
    return db.session.scalars(stmt).one()


def _outbox() -> list[OutboundEmail]:
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def _whole_message(msg) -> str:
    """Every part of a delivered message, decoded (headers, text, HTML, CSV)."""
    parts = [str(msg)]
    for part in msg.walk():
        payload = part.get_payload(decode=True)
        if payload and part.get_content_maintype() != "image":
            parts.append(payload.decode("utf-8-sig", errors="replace"))
    return "\n".join(parts)


def test_sends_each_sponsor_their_report_with_chart_csv_and_one_click_headers(run_jobs, smtp_sink):
    data = dataset.build()
    dataset.global_sponsor()
    # sent on time: Monday 08:00 in Berlin ("coming up" is counted from the send time)
    with time_machine.travel(datetime(2026, 11, 30, 7, 0, tzinfo=UTC), tick=False):
        result = build_week(week=WEEK, send=True)
    db.session.commit()
    assert {(r.scope, r.region_id) for r in result.sent} == {
        ("region", region("de").id),
        ("region", region("in").id),
        ("global", None),
    }  # France's rollout is a draft: no report
    emails = {e.to_address: e for e in _outbox()}
    assert set(emails) == {
        "dora.sponsor@example.com",
        "ira.sponsor@example.com",
        "gita.global@example.com",
    }
    de_email = emails["dora.sponsor@example.com"]
    assert de_email.subject == "Germany: Summit-Wochenbericht, 2026-W48"
    assert 'src="cid:trend-chart@summit"' in de_email.html_body
    chart, attached_csv = de_email.attachments
    assert chart.content_id == "trend-chart@summit"
    assert chart.data.startswith(b"\x89PNG")
    assert attached_csv.filename == "summit-de-2026-W48.csv"
    assert de_email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://summit\.test/reports/unsubscribe/[\w.-]+>", de_email.headers["List-Unsubscribe"]
    )
    # the archive holds what was sent
    report = _report("de")
    assert report.sent_at is not None and report.recipients == 1
    # the email's HTML went through the CSS inliner, which re-serialises markup: compare
    # what a reader sees, word for word
    assert _visible_text(report.html) in _visible_text(de_email.html_body)
    assert report.chart_png == chart.data
    assert attached_csv.data.decode("utf-8-sig") == report.csv
    # upcoming call in Berlin time, master class with its places
    assert "16:00" in report.html and "Chaos engineering" in report.html
    assert "1 von 20" in report.html
    run_jobs()
    delivered = smtp_sink.to("dora.sponsor@example.com")
    assert len(delivered) == 1
    assert delivered[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert data.sponsor_de.subscribed


def test_same_numbers_in_email_csv_and_web(client, login_as):
    dataset.build()
    build_week(week=WEEK, send=True)
    db.session.commit()
    report = _report("de")
    email = next(e for e in _outbox() if e.to_address == "dora.sponsor@example.com")
    expected = rows(report.figures["region"], report.figures["previous"], "de")
    login_as(staff(Role.SPONSOR, "de", locale="de_DE"))  # a German reader: the sponsors' CSV
    web = client.get(f"/r/de/reports/{WEEK}").get_data(as_text=True)
    web_csv = client.get(f"/r/de/reports/{WEEK}/report.csv").get_data(as_text=True)
    assert web_csv.lstrip("\ufeff") == email.attachments[1].data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(web_csv.lstrip("\ufeff"))))
    # one German header row, then machine numbers (issue 23): "0.22", "-3", never "22 %"
    assert table[0] == [
        "Region",
        "Woche",
        "Kennzahl",
        "Wert",
        "Gezählt",
        "Von",
        "Veränderung",
        "Abschnitt",
    ]
    assert sum(1 for line in table if line[0] == "Region") == 1
    by_label = {line[2]: line for line in table[1:]}
    # the inliner writes the German no-break space of "22 %" as &nbsp;
    email_html = html.unescape(email.html_body)
    unchanged = re.search(r'<p class="unchanged"[^>]*>([^<]*)</p>', email_html)
    assert unchanged is not None  # "n figures unchanged: …": folded, not a row each
    for row in expected:
        metric = next(m for m in METRICS if m.key == row.key)
        line = by_label[label(row.key, "de")]  # every figure has its CSV row, folded or not
        assert line[:2] == ["Germany", WEEK]
        value = float(line[3]) if line[3] else None  # a number, whatever the locale
        assert format_value(metric.kind, value, "de") == row.value  # the same figure
        if row.change == "±0":
            assert row.label in unchanged.group(1), row
            assert not re.search(rf'<tr data-metric="{re.escape(row.key)}">', email_html)
            continue
        pattern = (
            rf'<tr data-metric="{re.escape(row.key)}">\s*<th[^>]*>[^<]*</th>\s*'
            rf"<td[^>]*>{re.escape(row.value)}</td>\s*<td[^>]*>{re.escape(row.detail)}</td>"
            rf"\s*<td[^>]*>{re.escape(row.change)}</td>"
        )
        assert re.search(pattern, email_html), row
        assert re.search(pattern, web), row
        assert f"{row.value}" in email.text_body
        if metric.detail:
            assert f"{line[4]} / {line[5]}" == row.detail
        if line[6]:
            change = float(line[6])
            assert row.change.startswith("▲" if change > 0 else "▼" if change < 0 else "±")
    # German figures in the German report: "22 %", "▲ 11 Prozentpunkte" (issue 23)
    assert "22\u00a0%" in email_html and "63\u00a0%" in email_html
    assert "▲ 11 Prozentpunkte" in email_html and " pts" not in email_html


def test_aggregate_region_names_nobody_anywhere(client, login_as, run_jobs, smtp_sink):
    dataset.build()
    dataset.global_sponsor()
    build_week(week=WEEK, send=True)
    db.session.commit()
    run_jobs()
    hidden = (dataset.HIDDEN_NAME, "Zacharias", "Geheimname")
    places = []
    for msg in smtp_sink.to("dora.sponsor@example.com") + smtp_sink.to("gita.global@example.com"):
        places.append(_whole_message(msg))
    for code in ("de", None):
        report = _report(code)
        places += [report.html, report.text, report.csv, json.dumps(report.figures)]
    login_as(staff(Role.LOCAL_LEAD, "de"))
    for path in (
        "/r/de/reports/",
        f"/r/de/reports/{WEEK}",
        f"/r/de/reports/{WEEK}/report.csv",
        "/r/de/metrics",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        places.append(response.get_data(as_text=True))
    login_as(staff(Role.GLOBAL_ADMIN))
    for path in (
        "/reports/global/",
        f"/reports/global/{WEEK}",
        f"/reports/global/{WEEK}/report.csv",
    ):
        places.append(client.get(path).get_data(as_text=True))
    assert len(places) >= 12
    for text in places:
        for name in hidden:
            assert name not in text
    # the counts do go up
    assert "1 bestätigt" in _report("de").html


def test_named_region_names_its_free_rider_and_the_csv_cannot_run_it():
    dataset.build()
    build_week(week=WEEK, send=True)
    db.session.commit()
    report = _report("in")
    assert (
        "=HYPERLINK(&#34;http://evil.example/&#34;,&#34;Priya&#34;) (Term 1)" in report.html
    )  # the term's title
    assert dataset.NAMED_FREE_RIDER in report.text
    line = next(line for line in report.csv.splitlines() if "HYPERLINK" in line)
    assert line.split(",", 3)[3].startswith("\"'=HYPERLINK(")
    for line in csv.reader(io.StringIO(report.csv)):
        for cell in line:  # text never starts a formula; a negative change is a number
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert float(cell) < 0, cell
    # the global report never names anyone
    assert "HYPERLINK" not in _report(None).html + _report(None).csv


def test_running_the_week_again_sends_nothing_new(run_jobs, smtp_sink):
    dataset.build()
    dataset.global_sponsor()
    build_week(week=WEEK, send=True)
    db.session.commit()
    run_jobs()
    sent_html = _report("de").html
    assert len(smtp_sink.messages) == 3
    again = build_week(week=WEEK, send=True)
    db.session.commit()
    assert again.sent == [] and len(again.kept) == 3
    with time_machine.travel(datetime(2026, 11, 30, 20, 0, tzinfo=UTC), tick=False):
        assert due_reports(now=datetime(2026, 11, 30, 20, 0, tzinfo=UTC)) == []
        from jobs.reports import send_due_reports

        assert send_due_reports() == 0
    run_jobs()
    assert len(smtp_sink.messages) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 3
    assert _report("de").html == sent_html


def test_build_without_send_rebuilds_and_a_sent_report_stays_as_sent():
    data = dataset.build()
    first = build_week(week=WEEK)
    db.session.commit()
    assert first.sent == [] and _outbox() == []
    report_id = _report("de").id
    data.sponsor_de.name = "Dora Renamed"
    build_week(week=WEEK)
    db.session.commit()
    assert _report("de").id == report_id  # rebuilt in place
    build_week(week=WEEK, send=True)
    db.session.commit()
    html = _report("de").html
    data.de["E3"].goal_reached = "reached"  # the numbers move after sending
    db.session.commit()
    build_week(week=WEEK)
    db.session.commit()
    assert _report("de").html == html


def _sent(code: str) -> bool:
    db.session.expire_all()
    report = db.session.scalars(
        select(Report).where(Report.week == WEEK, Report.region_id == region(code).id)
    ).one_or_none()
    return report is not None and report.sent_at is not None


def test_monday_0800_local_in_kolkata_berlin_and_new_york():
    from jobs.reports import send_due_reports

    dataset.build()
    us = RolloutFactory(region_id=region("us").id, status=RolloutStatus.LAUNCHED, sponsor="Uma")
    db.session.commit()
    assert us.id
    steps = [
        (datetime(2026, 11, 30, 2, 29, tzinfo=UTC), set()),
        (datetime(2026, 11, 30, 2, 30, tzinfo=UTC), {"in"}),  # 08:00 IST
        (datetime(2026, 11, 30, 6, 59, tzinfo=UTC), {"in"}),
        (datetime(2026, 11, 30, 7, 0, tzinfo=UTC), {"in", "de"}),  # 08:00 CET
        (datetime(2026, 11, 30, 12, 59, tzinfo=UTC), {"in", "de"}),
        (datetime(2026, 11, 30, 13, 0, tzinfo=UTC), {"in", "de", "us"}),  # 08:00 EST
    ]
    for now, expected in steps:
        with time_machine.travel(now, tick=False):
            send_due_reports()
        assert {c for c in ("in", "de", "us") if _sent(c)} == expected, now
    # the global report waits for Monday 08:00 UTC, after every region's week has ended
    assert db.session.scalars(select(Report).where(Report.region_id.is_(None))).one().sent_at


def test_due_reports_is_empty_before_monday_and_global_waits_for_utc():
    dataset.build()
    db.session.commit()
    assert due_reports(now=datetime(2026, 11, 29, 22, 0, tzinfo=UTC)) == []
    due = due_reports(now=datetime(2026, 11, 30, 7, 30, tzinfo=UTC))
    assert [(d.scope, d.week) for d in due] == [("region", WEEK), ("region", WEEK)]
    due = due_reports(now=datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert ("global", WEEK) in [(d.scope, d.week) for d in due]


def _visible_text(html_text: str) -> str:
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())
