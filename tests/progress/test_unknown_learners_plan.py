"""The unknown-learner count of an import (PostgreSQL) stays linear in the learners
whatever the planner knows of the rollout's enrollments.

Fails on the old query: its ``learners`` CTE, estimated at a CTE scan's default
selectivity, met the rollout's just-written (not yet analysed) enrollments in a Nested Loop
whose Join Filter compared every learner with every known one: 24,995,000 rows removed
for 5,000 learners in the connector sync's benchmark (bench/README.md, "Progress connector
sync"). Here 5,000 learners are enrolled by SQL, as a roster import writes them, and not
analysed; the file names them by email and by employee id, with some strangers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from app.extensions import db
from app.progress.staging import _UNKNOWN, SAMPLE, Staging
from tests.progress.helpers import make_course

LEARNERS = 5_000
STRANGERS = 7


def _removed_by_filters(plan: dict[str, Any]) -> int:
    """Rows a plan's nodes compared and threw away (join filters and filters), in all."""
    own = plan.get("Rows Removed by Join Filter", 0) + plan.get("Rows Removed by Filter", 0)
    return own + sum(_removed_by_filters(p) for p in plan.get("Plans", []))


@pytest.fixture
def postgres() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan of PostgreSQL")


def test_unknown_learners_are_counted_without_comparing_every_pair(postgres) -> None:
    course = make_course()
    rollout = course.rollout
    params = {"n": LEARNERS, "region": rollout.region_id, "rollout": rollout.id}
    db.session.execute(
        text(
            "INSERT INTO person (employee_id, email, name, region_id, created_at, updated_at) "
            "SELECT 'P' || g, 'p' || g || '@plan.example.com', 'Learner ' || g, :region, "
            "now(), now() FROM generate_series(1, :n) g"
        ),
        params,
    )
    db.session.execute(
        text(
            "INSERT INTO enrollment (rollout_id, person_id, region_id, state, "
            "missing_from_roster, leaderboard_opt_in) "
            "SELECT :rollout, p.id, :region, 'active', false, false "
            "FROM person p WHERE p.email LIKE '%@plan.example.com'"
        ),
        params,
    )
    module_id = rollout.program.modules[0].id
    staging = Staging.create(default_observed=datetime(2026, 10, 1, tzinfo=UTC), region_id=1)
    # every other learner by email, the others by employee id; then strangers of both kinds
    rows = [
        (f"p{n}@plan.example.com", "e", module_id, 50.0, False, "2026-10-01 09:00:00")
        if n % 2
        else (f"P{n}", "i", module_id, 50.0, False, "2026-10-01 09:00:00")
        for n in range(1, LEARNERS + 1)
    ]
    rows += [(f"Q{n}", "i", module_id, 0.0, False, "2026-10-01 09:00:00") for n in range(4)]
    rows += [
        (f"nobody{n}@plan.example.com", "e", module_id, 0.0, False, "2026-10-01 09:00:00")
        for n in range(STRANGERS - 4)
    ]
    staging.add(rows)
    # as the import does before this query: the staging table is analysed by the merge
    db.session.connection().exec_driver_sql(f"ANALYZE {staging.name}")

    total, sample = staging.unknown_learners(rollout=rollout)
    strangers = [f"Q{n}" for n in range(4)] + [f"nobody{n}@plan.example.com" for n in range(3)]
    assert (total, sorted(sample)) == (STRANGERS, sorted(strangers))

    # the statement as the import plans it
    setting = "SELECT current_setting('enable_nestloop')"
    before = db.session.execute(text(setting)).scalar_one()
    with staging.planned_hashed():
        explained = db.session.execute(
            text("EXPLAIN (ANALYZE, FORMAT JSON) " + _UNKNOWN.format(stg=staging.name)),
            {"rollout_id": rollout.id, "sample": SAMPLE},
        ).scalar_one()
    assert db.session.execute(text(setting)).scalar_one() == before  # set back for the rest
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    # linear: each learner is looked at a few times, never once per other learner
    assert _removed_by_filters(plan) < 10 * LEARNERS, json.dumps(plan, indent=1)[:4000]
    staging.drop()
