"""Bench: the xAPI endpoint, statements in and read back, next to raw psycopg doing the same.

    .venv/bin/python -m bench.xapi --scale small|medium|full|huge
    (small: 5,000 statements from 1,000 learners; full: 100,000 from 20,000)

A throw-away PostgreSQL database with a launched rollout whose six modules are mapped to
activity IRIs; its tables are ANALYZEd every 10,000 statements, outside the timings, as
autovacuum would (this machine's PostgreSQL runs without it). Statements go in the way a
course platform sends them: POSTed in batches of 50 with the rollout's Basic credentials,
through the whole Flask app in-process (no HTTP server: the figure is Summit's own work),
each batch one request and one commit, each statement stored and applied to the learner's
module progress. The raw tool stores the same rows, as Summit stored them, into a table of
``xapi_statement``'s shape (its indexes and keys) with psycopg ``executemany``, one
transaction per batch of 50: the database's part of the same work, without the progress
upsert.

Then the whole rollout is read back with ``GET /xapi/statements`` (100 a page, following
``more``) next to the same keyset query run raw through psycopg. Last, 1 % of the
statements are voided (untimed) and the filtered reads are timed: one GET per learner by
``agent`` for 500 learners, and every ``completed`` statement by ``verb`` following
``more``. Summit also matches statements that target a matching one (the voids, through
their StatementRef); the raw tool runs only the direct keyset query.

The raw tool is psycopg alone: no HTTP, no JSON. A line (not a target's figure) also gives
the raw tool's same inserts and keyset pages behind a bare Flask app's handlers called
through the same in-process test client (the body's JSON parsed, the stored JSON texts
answered): what the HTTP stack alone costs the raw tool, so the ratios can be read both
ways. The targets stay against the raw tool.
"""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench._pg import bench_app, clone_table, seed_learners
from bench.common import Figure, make_parser, sized

BATCH = 50
PAGE = 100
#: statements between two ANALYZEs of the growing tables (outside the timings)
ANALYZE_EVERY = 10_000
VERBS = (
    "http://adlnet.gov/expapi/verbs/progressed",
    "http://adlnet.gov/expapi/verbs/completed",
)


def _statements(learners: int, total: int) -> list[dict[str, Any]]:
    """``total`` statements: each learner progresses through the modules in turn."""
    out = []
    for n in range(total):
        learner = n % learners + 1
        module = n // learners % 6 + 1
        done = n // learners % 2 == 1
        result: dict[str, Any] = {"completion": done}
        if not done:
            result["extensions"] = {"https://w3id.org/xapi/cmi5/result/extensions/progress": 60}
        out.append(
            {
                "id": str(uuid.uuid4()),
                "actor": {
                    "objectType": "Agent",
                    "mbox": f"mailto:bench.{learner}@bench.example.com",
                },
                "verb": {
                    "id": VERBS[done],
                    "display": {"en-US": "completed" if done else "progressed"},
                },
                "object": {
                    "objectType": "Activity",
                    "id": f"https://mooc.example.com/bench/module-{module}",
                    "definition": {"name": {"en-US": f"Module {module}"}},
                },
                "result": result,
                "timestamp": f"2026-10-{1 + n // learners % 28:02d}T09:{n % 60:02d}:00Z",
            }
        )
    return out


def _analyze(engine: Any, *, vacuum: bool = False) -> None:
    """What autovacuum does to tables that grow (it ANALYZEs after ~10 % new rows). This
    machine's PostgreSQL runs with autovacuum off: without it the planner keeps the plans
    it made for empty tables (sequential scans, generic plans of prepared statements).

    ``vacuum``: and VACUUMs them, as autovacuum does an insert-only table once enough rows
    arrived (``autovacuum_vacuum_insert_threshold``), before the reads: otherwise the first
    reader of each new row (Summit, whose reads come first) pays for marking it committed
    (its hint bits, a page written again) and the raw tool after it does not."""
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        verb = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        conn.execute(text(f"{verb} xapi_statement, module_progress, enrollment"))


def main() -> None:
    parser = make_parser(__doc__ or "")
    args = parser.parse_args()
    total = sized(args.scale, 5_000, 100_000)
    learners = total // 5
    with bench_app("summit_bench_xapi") as (app, psql_url):
        import psycopg
        from psycopg.types.json import Json
        from sqlalchemy import select, text

        from app.extensions import db
        from app.progress.models import ModuleProgress, XapiStatement
        from app.xapi.credentials import issue_credentials

        made = seed_learners(learners)
        rollout = made["rollout"]
        for module in made["program"].modules:
            module.activity_iri = f"https://mooc.example.com/bench/module-{module.position}"
        key, secret = issue_credentials(region=made["region"], rollout=rollout)
        db.session.commit()
        # the learners arrived in bulk: statistics as a roster import leaves them (it ANALYZEs)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE person, enrollment"))
        rollout_id = rollout.id
        db.session.remove()
        headers = {
            "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
        }
        statements = _statements(learners, total)
        client = app.test_client()

        summit_in = 0.0
        for i in range(0, total, BATCH):
            if i and i % ANALYZE_EVERY == 0:
                _analyze(db.engine)
            start = time.perf_counter()
            response = client.post(
                "/xapi/statements", json=statements[i : i + BATCH], headers=headers
            )
            summit_in += time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"batch {i // BATCH}: {response.status_code} {response.json}")
        _analyze(db.engine, vacuum=True)
        stored = db.session.scalar(select(db.func.count()).select_from(XapiStatement))
        progress = db.session.scalar(select(db.func.count()).select_from(ModuleProgress))
        db.session.remove()

        columns = (
            "region_id, statement_id, rollout_id, content_hash, verb, enrollment_id, module_id, "
            "ignored_reason, payload, stored_at, actor_key, activity_iri"
        )
        with db.engine.begin() as conn:
            clone_table(conn, "xapi_statement", "bench_xapi_statement")
            rows = conn.execute(
                text(f"SELECT {columns} FROM xapi_statement ORDER BY id")  # noqa: S608 (constants)
            ).all()
        placeholders = ", ".join(["%s"] * len(columns.split(",")))
        insert = f"INSERT INTO bench_xapi_statement ({columns}) VALUES ({placeholders})"  # noqa: S608
        with psycopg.connect(psql_url) as raw:
            # the clone's own unique statement ids, so the raw rows never collide with Summit's
            values = [(r[0], str(uuid.uuid4()), *r[2:8], Json(r[8]), *r[9:]) for r in rows]
            start = time.perf_counter()
            for i in range(0, len(values), BATCH):
                with raw.transaction(), raw.cursor() as cursor:
                    cursor.executemany(insert, values[i : i + BATCH])
            raw_in = time.perf_counter() - start

        # read everything back: GET pages following "more", next to the raw keyset query
        start = time.perf_counter()
        url, read, pages = "/xapi/statements?limit=100", 0, 0
        while url:
            response = client.get(url, headers=headers)
            body = response.json
            read += len(body["statements"])
            pages += 1
            url = body["more"]
        summit_out = time.perf_counter() - start
        db.session.remove()
        keyset = (
            "SELECT statement_id, payload, stored_at, id FROM xapi_statement "
            "WHERE rollout_id = %s AND voided_at IS NULL "
            "AND (stored_at, id) < (%s, %s) ORDER BY stored_at DESC, id DESC LIMIT %s"
        )
        with psycopg.connect(psql_url) as raw:
            start = time.perf_counter()
            after: tuple[Any, int] = (datetime(9999, 1, 1, tzinfo=UTC), 2**62)
            raw_read = 0
            while True:
                got = raw.execute(keyset, (rollout_id, *after, PAGE)).fetchall()
                raw_read += len(got)
                if len(got) < PAGE:
                    break
                after = (got[-1][2], got[-1][3])
            raw_out = time.perf_counter() - start

        bare_in, bare_out = _bare_handler(psql_url, rows, statements, rollout_id)

        agent_figures, verb_figures = _filtered_reads(
            client, headers, psql_url, rollout_id, statements, learners
        )

    print(
        f"xapi: {stored:,} statements stored, {progress:,} progress rows; "
        f"read back {read:,} in {pages} pages (raw {raw_read:,})",
        flush=True,
    )
    # not a target's figure: how far the HTTP stack alone moves the raw tool
    print(
        f"xapi: bare Flask handler in-process (same test client, JSON body parsed, the raw "
        f"tool's work inside): POST {total / bare_in:,.0f} statements/s "
        f"({raw_in / bare_in:.2f}× raw), GET all {total / bare_out:,.0f} statements/s "
        f"({raw_out / bare_out:.2f}× raw); Summit POST {bare_in / summit_in:.2f}×, "
        f"GET {bare_out / summit_out:.2f}× the bare handler",
        flush=True,
    )
    Figure(
        "xapi",
        f"POST {total:,} statements, batches of {BATCH}: statements/s",
        total / summit_in,
        "statements/s",
        total / raw_in,
        f"psycopg executemany into an xapi_statement-shaped table, {BATCH} a transaction",
        raw_in / summit_in,
        "",
    ).emit()
    Figure(
        "xapi",
        f"GET all {read:,} back, {PAGE} a page: statements/s",
        read / summit_out,
        "statements/s",
        raw_read / raw_out,
        "the same keyset query through psycopg",
        raw_out / summit_out,
        "",
    ).emit()
    agents, summit_agents, raw_agents = agent_figures
    Figure(
        "xapi",
        f"GET by agent, {agents} learners one request each: requests/s",
        agents / summit_agents,
        "requests/s",
        agents / raw_agents,
        "the direct keyset query on actor_key through psycopg",
        raw_agents / summit_agents,
        "",
    ).emit()
    completed, summit_verb, raw_verb = verb_figures
    Figure(
        "xapi",
        f"GET by verb, {completed:,} completed statements via more: statements/s",
        completed / summit_verb,
        "statements/s",
        completed / raw_verb,
        "the direct keyset query on verb through psycopg",
        raw_verb / summit_verb,
        "",
    ).emit()


def _bare_handler(
    psql_url: str, rows: list[Any], statements: list[dict[str, Any]], rollout_id: int
) -> tuple[float, float]:
    """The raw tool's inserts and keyset reads behind a bare Flask app's handlers, called the
    way Summit is (the test client, in-process): a POST parses the batch's JSON body and
    runs the raw executemany of its stored rows; a GET runs the raw keyset query and answers
    the stored JSON texts. Returns (POST seconds, GET-all seconds)."""
    import json
    from urllib.parse import urlencode

    import psycopg
    from flask import Flask, Response, request
    from psycopg.types.json import Json

    columns = (
        "region_id, statement_id, rollout_id, content_hash, verb, enrollment_id, module_id, "
        "ignored_reason, payload, stored_at, actor_key, activity_iri"
    )
    placeholders = ", ".join(["%s"] * len(columns.split(",")))
    insert = f"INSERT INTO bench_xapi_statement ({columns}) VALUES ({placeholders})"  # noqa: S608
    values = [(r[0], str(uuid.uuid4()), *r[2:8], Json(r[8]), *r[9:]) for r in rows]
    keyset = (
        "SELECT statement_id, payload::text, stored_at, id FROM xapi_statement "
        "WHERE rollout_id = %s AND voided_at IS NULL "
        "AND (stored_at, id) < (%s, %s) ORDER BY stored_at DESC, id DESC LIMIT %s"
    )
    bare = Flask("bare_xapi")
    raw = psycopg.connect(psql_url)

    @bare.post("/statements")
    def post() -> Response:
        batch = request.get_json()
        first = int(request.args["at"])
        with raw.transaction(), raw.cursor() as cursor:
            cursor.executemany(insert, values[first : first + len(batch)])
        return Response(json.dumps([s["id"] for s in batch]), mimetype="application/json")

    @bare.get("/statements")
    def get() -> Response:
        at = datetime.fromisoformat(request.args.get("at", "9999-01-01T00:00:00+00:00"))
        after = int(request.args.get("id", 2**62))
        got = raw.execute(keyset, (rollout_id, at, after, PAGE)).fetchall()
        more = ""
        if len(got) == PAGE:
            more = "/statements?" + urlencode({"at": got[-1][2].isoformat(), "id": got[-1][3]})
        body = ",".join(r[1] for r in got)
        return Response(f'{{"more":"{more}","statements":[{body}]}}', mimetype="application/json")

    client = bare.test_client()
    try:
        start = time.perf_counter()
        for i in range(0, len(values), BATCH):
            client.post(f"/statements?at={i}", json=statements[i : i + BATCH])
        bare_in = time.perf_counter() - start
        start = time.perf_counter()
        url = "/statements"
        while url:
            url = client.get(url).json["more"]
        bare_out = time.perf_counter() - start
    finally:
        raw.close()
    return bare_in, bare_out


def _filtered_reads(
    client: Any,
    headers: dict[str, str],
    psql_url: str,
    rollout_id: int,
    statements: list[dict[str, Any]],
    learners: int,
) -> tuple[tuple[int, float, float], tuple[int, float, float]]:
    """Void 1 % of the statements, then time agent and verb reads, Summit and raw."""
    import json

    import psycopg

    from app.extensions import db
    from app.xapi.index import ifi_key

    voids = [
        {
            "actor": {"mbox": "mailto:lead@bench.example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": s["id"]},
        }
        for s in statements[::100]
    ]
    for i in range(0, len(voids), BATCH):
        response = client.post("/xapi/statements", json=voids[i : i + BATCH], headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"voids: {response.status_code} {response.json}")
    _analyze(db.engine, vacuum=True)
    db.session.remove()

    agents = [
        {"objectType": "Agent", "mbox": f"mailto:bench.{n}@bench.example.com"}
        for n in range(1, min(500, learners) + 1)
    ]
    start = time.perf_counter()
    for agent in agents:
        response = client.get(
            "/xapi/statements", query_string={"agent": json.dumps(agent)}, headers=headers
        )
        if response.status_code != 200:
            raise SystemExit(f"agent read: {response.status_code} {response.json}")
    summit_agents = time.perf_counter() - start
    db.session.remove()
    direct = (
        "SELECT statement_id, payload, stored_at, id FROM xapi_statement "
        "WHERE rollout_id = %s AND voided_by IS NULL AND {column} = %s "
        "AND (stored_at, id) < (%s, %s) ORDER BY stored_at DESC, id DESC LIMIT %s"
    )
    top: tuple[Any, int] = (datetime(9999, 1, 1, tzinfo=UTC), 2**62)
    with psycopg.connect(psql_url) as raw:
        query = direct.format(column="actor_key")
        start = time.perf_counter()
        for agent in agents:
            raw.execute(query, (rollout_id, ifi_key(agent), *top, PAGE + 1)).fetchall()
        raw_agents = time.perf_counter() - start

    completed_iri = VERBS[1]
    start = time.perf_counter()
    url: str | None = "/xapi/statements?verb=" + completed_iri
    read = 0
    while url:
        body = client.get(url, headers=headers).json
        read += len(body["statements"])
        url = body["more"]
    summit_verb = time.perf_counter() - start
    db.session.remove()
    with psycopg.connect(psql_url) as raw:
        query = direct.format(column="verb")
        start = time.perf_counter()
        after = top
        while True:
            got = raw.execute(query, (rollout_id, completed_iri, *after, PAGE)).fetchall()
            if len(got) < PAGE:
                break
            after = (got[-1][2], got[-1][3])
        raw_verb = time.perf_counter() - start
    return (len(agents), summit_agents, raw_agents), (read, summit_verb, raw_verb)


if __name__ == "__main__":
    main()
