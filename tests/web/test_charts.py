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
