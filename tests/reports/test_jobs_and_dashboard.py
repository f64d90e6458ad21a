"""The scheduler's jobs, and the live dashboard counting with the same definitions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.reports.models import Report
from app.reports.services import build_week
from tests.factories import region, staff
from tests.metrics import dataset


def test_tick_queues_one_job_per_due_report_and_a_worker_sends_them(run_jobs, smtp_sink):
    from jobs.reports import enqueue_due_reports

    dataset.build()
    dataset.global_sponsor()
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 30, 7, 5, tzinfo=UTC), tick=False):
        assert enqueue_due_reports() == 2  # India and Germany; the global one waits for 08:00
    run_jobs()
    assert sorted(m.message["To"] for m in smtp_sink.messages) == [
        "Dora Sponsor <dora.sponsor@example.com>",
        "Ira Sponsor <ira.sponsor@example.com>",
    ]
    with time_machine.travel(datetime(2026, 11, 30, 8, 5, tzinfo=UTC), tick=False):
        assert enqueue_due_reports() == 1
        assert enqueue_due_reports() == 1  # same job id: RQ keeps one
    run_jobs()
    with time_machine.travel(datetime(2026, 11, 30, 8, 10, tzinfo=UTC), tick=False):
        assert enqueue_due_reports() == 0
    assert len(smtp_sink.messages) == 3
    assert all(r.sent_at for r in db.session.scalars(select(Report)))


def test_dashboard_shows_the_reports_numbers(client, login_as):
    dataset.build()
    build_week(week=dataset.WEEK)
    db.session.commit()
    report = db.session.scalars(select(Report).where(Report.region_id == region("de").id)).one()
    sponsor = staff(Role.SPONSOR, "de")
    # at the instant the week ends in Berlin, "now" is the report's cutoff
    with time_machine.travel(datetime(2026, 11, 29, 23, 0, tzinfo=UTC), tick=False):
        login_as(sponsor)  # the session cookie is dated: sign in on the travelled clock
        page = client.get("/r/de/metrics").get_data(as_text=True)
    from app.metrics.presentation import rows

    for row in rows(report.figures["region"]):
        pattern = (
            rf'<tr data-metric="{re.escape(row.key)}"><th[^>]*>[^<]*</th>'
            rf'<td class="num">{re.escape(row.value)}</td><td class="num">{re.escape(row.detail)}'
        )
        assert re.search(pattern, page), row
    assert dataset.HIDDEN_NAME not in page
