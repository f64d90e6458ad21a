"""How many SQL statements an xAPI request costs (issue 26 item 4): round trips, not Python,
are what a POST and a GET spend their time on, so their number must not grow with the batch
and must not creep back up."""

import uuid

from sqlalchemy import event

from app.extensions import db
from app.xapi.statements import CMI5_PROGRESS
from tests.progress.helpers import PROGRESSED, statement
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
    seen = []

    def note(conn, cursor, sql, *args):
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return response, seen


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


def test_a_get_page_costs_few_statements(lrs):
    lrs(_batch(50, 1))
    page, seen = _counted(lambda: get(lrs, limit=20))
    assert page.status_code == 200 and len(page.json["statements"]) == 20
    print("GET", len(seen), *seen, sep="\n")
    # the keyset page alone: the credentials were verified by the POST, and a read needs
    # no ORM object of the rollout
    assert len(seen) == 1 and "xapi_credential" not in seen[0]
