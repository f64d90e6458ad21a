"""The rollout and region pages count the funnel from today's states; app.metrics counts it
from the stage stamps as of any instant. At "now" they must agree, edges included, and the
completion rate a page shows is app.metrics' formula."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine

from app.auth.models import Role
from app.extensions import db
from app.metrics.queries import FUNNEL_KEYS, compute
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.rollouts.queries import funnel, state_counts
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

C, T, A = EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE
DONE, WD, RM = EnrollmentState.COMPLETED, EnrollmentState.WITHDRAWN, EnrollmentState.REMOVED
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PATHS = {
    "invited": [],
    "committed": [C],
    "approval taken back": [C, T, C],
    "time approved": [C, T],
    "active": [C, T, A],
    "completed": [C, T, A, DONE],
    # a progress import found every module done before the first activity was seen
    "completed straight from time approved": [C, T, DONE],
    "withdrawn": [C, T, A, WD],
    "removed": [C, T, A, RM],
}


def _build() -> object:
    rollout = RolloutFactory(region_id=region("us").id, status=RolloutStatus.LAUNCHED)
    for day, path in enumerate(PATHS.values(), start=1):
        enrollment = EnrollmentFactory(
            rollout=rollout, invited_at=datetime(2026, 10, 1, tzinfo=UTC)
        )
        for step, state in enumerate(path):
            enrollment.transition(state, at=datetime(2026, 10, 1 + day, 9 + step, tzinfo=UTC))
    db.session.commit()
    return rollout


def test_the_rollout_funnel_and_the_metrics_funnel_agree():
    rollout = _build()
    pages = dict(funnel(state_counts([rollout.id])[rollout.id]))
    figures = compute({region("us").id: NOW}).regions[region("us").id]
    assert [pages[EnrollmentState(k)] for k in FUNNEL_KEYS] == [
        figures["funnel"][k] for k in FUNNEL_KEYS
    ]
    assert figures["funnel"] == {
        "invited": 7,
        "committed": 6,
        "time_approved": 4,
        "active": 3,
        "completed": 2,
    }


def test_the_rollout_page_shows_the_metrics_completion_rate(client, login_as):
    rollout = _build()
    figures = compute({region("us").id: NOW}).regions[region("us").id]
    # 2 completed / (9 enrolled − 1 withdrawn); the removed free rider stays in
    assert figures["completion_rate"] == 2 / 8
    sponsor = staff(Role.SPONSOR, "us")
    with time_machine.travel(NOW, tick=False):
        login_as(sponsor)
        html = client.get(f"/r/us/rollouts/{rollout.slug}").get_data(as_text=True)
    assert re.search(r'data-metric="completion_rate">25\s?%<', html), html
