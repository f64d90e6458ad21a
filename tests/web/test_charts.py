from app import charts
from app.rollouts.queries import completion_weeks


def test_a_funnel_scales_to_the_invited_and_labels_every_bar():
    chart = charts.funnel([("Invited", 200), ("Committed", 150), ("Completed", 0)])
    invited, committed, completed = chart.bars
    assert committed.width == invited.width * 0.75
    assert [b.share for b in chart.bars] == [1.0, 0.75, 0.0]
    assert completed.width > 0  # a zero still shows a sliver next to its label


def test_an_empty_funnel_divides_by_nothing():
    chart = charts.funnel([("Invited", 0), ("Committed", 0)])
    assert [b.share for b in chart.bars] == [None, None]


def test_a_trend_leaves_a_gap_where_a_week_has_no_figure():
    chart = charts.trend([("2026-W44", 0.1), ("2026-W45", None), ("2026-W46", 0.5)])
    assert chart.path.count("M") == 2 and "L" not in chart.path
    assert chart.points[1].y is None
    assert chart.points[2].y < chart.points[0].y  # higher rate, higher on the page


def test_the_trend_reads_the_metrics_definition(app):
    from datetime import UTC, datetime

    from app.rollouts.models import EnrollmentState
    from tests.factories import EnrollmentFactory, RolloutFactory, region

    de = region("de")
    rollout = RolloutFactory(region_id=de.id)
    other = RolloutFactory(region_id=de.id)
    invited = datetime(2026, 9, 1, tzinfo=UTC)
    EnrollmentFactory(
        rollout=rollout,
        state=EnrollmentState.COMPLETED,
        invited_at=invited,
        completed_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    EnrollmentFactory(rollout=rollout, invited_at=invited)
    EnrollmentFactory(rollout=other, invited_at=invited)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    weeks = dict(completion_weeks(de, now, rollout_ids=[rollout.id]))
    assert weeks["2026-W44"] == 0 and weeks["2026-W45"] == 0.5 and weeks["2026-W46"] == 0.5
    assert dict(completion_weeks(de, now))["2026-W46"] == 1 / 3


#: CLDR's abbreviated German month names (format context), as Babel writes "6. Dez."
GERMAN_MONTHS = [
    "Jan.",
    "Feb.",
    "März",
    "Apr.",
    "Mai",
    "Juni",
    "Juli",
    "Aug.",
    "Sept.",
    "Okt.",
    "Nov.",
    "Dez.",
]


def test_the_dashboard_charts_speak_the_readers_language(app, login_as):
    """Stage names, week dates and percentages of the SVG charts in the reader's locale: a
    German lead read "Time approved", "W46" and "50%" (issue 23)."""
    from datetime import UTC, datetime, timedelta

    from app.auth.models import Role
    from app.db import utcnow
    from app.rollouts.models import EnrollmentState
    from app.weeks import last_complete_week, week_monday
    from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

    rollout = RolloutFactory(region_id=region("de").id)
    invited = datetime(2026, 9, 1, tzinfo=UTC)
    EnrollmentFactory(rollout=rollout, invited_at=invited)
    EnrollmentFactory(
        rollout=rollout,
        state=EnrollmentState.COMPLETED,
        invited_at=invited,
        completed_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    client = login_as(staff(Role.LOCAL_LEAD, "de", locale="de_DE"))
    page = client.get("/r/de/").get_data(as_text=True)
    svg = page[page.index('id="region-trend-title"') :]
    last_week = last_complete_week(utcnow(), "Europe/Berlin")
    sunday = week_monday(last_week) + timedelta(days=6)
    assert f">{sunday.day}. {GERMAN_MONTHS[sunday.month - 1]}</text>" in svg  # "6. Dez."
    assert last_week[-3:] not in svg
    assert ">50\u00a0%</text>" in svg and ">100\u00a0%</text>" in svg
    assert "Woche bis" in svg
    funnel = page[page.index('id="region-funnel-title"') :]
    assert "Eingeladen" in funnel and "Zeit genehmigt" in funnel
