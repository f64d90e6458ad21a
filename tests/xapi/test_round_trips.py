"""How many SQL statements an xAPI request costs (issue 26 item 4): round trips, not Python,
are what a POST and a GET spend their time on, so their number must not grow with the batch
and must not creep back up."""

import uuid

from app.extensions import db
from app.xapi.statements import CMI5_PROGRESS
from tests.progress.helpers import PROGRESSED, statement
from tests.statements import round_trips_during, statements_during
from tests.xapi.test_read import get

LEARNERS = ["ada.lovelace", "ben.okafor", "chloe.dubois", "dev.patel"]


def _batch(n, minute):
    return [
        statement(
            PROGRESSED,
            sid=str(uuid.uuid4()),
            who={"mbox": f"mailto:{LEARNERS[i % 4]}@example.com"},
            result={"extensions": {CMI5_PROGRESS: i % 90}},
            ts=f"2026-10-0{minute}T10:{i % 60:02d}:00Z",
        )
        for i in range(n)
    ]


def _counted(call):
    """The response and the SQL of each statement it cost (through SQLAlchemy or the
    driver)."""
    answered = []
    seen = statements_during(lambda: answered.append(call()))
    return answered[0], seen


def test_a_post_costs_the_same_statements_whatever_the_batch_size(lrs):
    # the first batch activates the learners: the rollout is loaded once, not reloaded for it
    first, activating = _counted(lambda: lrs(_batch(4, 1)))
    assert first.status_code == 200
    assert len([s for s in activating if "rollout.slug" in s]) == 1
    small, few = _counted(lambda: lrs(_batch(4, 2)))
    large, many = _counted(lambda: lrs(_batch(50, 3)))
    assert small.status_code == large.status_code == 200
    if db.engine.dialect.name != "postgresql":
        return  # SQLite is in-process (no round trips) and inserts a row at a time
    assert len(few) == len(many)
    print("POST", len(many), *many, sep="\n")
    # credentials verified by the first request are not looked up again (for a while)
    assert [s for s in activating if "xapi_credential" in s]
    assert not [s for s in few + many if "xapi_credential" in s]
    # region and rollout; known ids, waiting voids, learners, modules and overrides (one
    # UNION ALL); the statements' INSERT; the progress upserts (one pipelined executemany);
    # the read epochs (global and region, one statement) — no activation UPDATE: every
    # learner is active already; no completion aggregate: no statement completes a module
    assert len(many) <= 5
    assert not [s for s in many if "HAVING" in s]
    assert not [s for s in many if s.startswith("UPDATE enrollment")]
    # and the credential's lookup (its first request), the activation UPDATE and the
    # completion aggregate (a completion statement in the batch)
    assert len(activating) <= 8


def test_a_get_page_costs_one_round_trip(lrs):
    lrs(_batch(50, 1))
    pages = []
    trips = round_trips_during(lambda: pages.append(get(lrs, limit=20)))
    assert pages[0].status_code == 200 and len(pages[0].json["statements"]) == 20
    print("GET", len(trips), *trips, sep="\n")
    # the keyset page alone, in autocommit (no BEGIN, no COMMIT): the credentials were
    # verified by the POST, and a read needs no ORM object of the rollout
    assert len(trips) == 1 and len(trips[0]) == 1
    assert "FROM xapi_statement" in trips[0][0] and "xapi_credential" not in trips[0][0]
