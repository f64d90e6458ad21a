"""Bench: term close for 300,000 enrollments with 1,000,000 progress rows (PostgreSQL).

    .venv/bin/python -m bench.term_close --scale small|medium|full|huge [--learners N]
    (small: 20,000 enrollments; full: 300,000 with about 1,000,000 progress rows)

Prints the seconds and SQL statements of ``close_term`` for the big rollout and for a
3,000-learner one (the count must not grow), next to the set-based free-rider query
alone run by ``psql``.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench._pg import bench_app, seed_learners
from bench.common import Figure, make_parser, sized

FREE_RIDER_QUERY = """
SELECT e.id FROM enrollment e
LEFT JOIN module_progress mp ON mp.enrollment_id = e.id AND mp.completed
     AND mp.module_id IN (SELECT module_id FROM term_required_module WHERE term_id = {term})
WHERE e.rollout_id = {rollout} AND e.state IN ('time_approved', 'active', 'completed')
GROUP BY e.id HAVING count(mp.id) < {expected}
"""


def seed_progress(rollout_id: int, program_id: int) -> int:
    from app.extensions import db

    # about 1,000,000 rows for 300,000 learners: 5 of every 9 (learner, module) pairs
    result = db.session.execute(
        text(
            "INSERT INTO module_progress (region_id, rollout_id, enrollment_id, module_id, "
            "percent, completed, observed_at, source) "
            "SELECT e.region_id, e.rollout_id, e.id, m.id, 100, (e.id + m.position) % 4 <> 0, "
            "now() - interval '3 days', 'summit' "
            "FROM enrollment e JOIN module m ON m.program_id = :program "
            "WHERE e.rollout_id = :rollout AND (e.id * 7 + m.position) % 9 < 5"
        ),
        {"rollout": rollout_id, "program": program_id},
    )
    db.session.execute(
        text("UPDATE enrollment SET state = 'active' WHERE rollout_id = :r AND id % 3 = 0"),
        {"r": rollout_id},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return result.rowcount


def server_cpu_seconds() -> tuple[int, float] | None:
    """The PostgreSQL backend of the app's session and the CPU seconds it used so far (user
    and system, from ``/proc``), or None when the server is not on this machine. Unlike the
    wall clock, barely moved by other sessions' load on a shared machine."""
    from app.extensions import db

    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_between(before: tuple[int, float] | None, after: tuple[int, float] | None) -> str:
    """The server CPU between two readings of the same backend, as a suffix of a figure."""
    if before is None or after is None or before[0] != after[0]:
        return ""
    return f", server CPU {after[1] - before[1]:.2f} s"


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument("--learners", type=int, default=0)
    args = parser.parse_args()
    args.learners = args.learners or sized(args.scale, 20_000, 300_000)
    with bench_app("summit_bench_close") as (_app, psql_url):
        from app.extensions import db
        from app.terms.closing import close_term

        big = seed_learners(args.learners, slug="big")
        small = seed_learners(3_000, slug="small")
        rows = seed_progress(big["rollout"].id, big["program"].id)
        seed_progress(small["rollout"].id, small["program"].id)
        term = big["program"].terms[0]
        now = datetime(2026, 10, 12, 5, tzinfo=UTC)

        cpu = [server_cpu_seconds()]
        start = time.perf_counter()
        first = close_term(region=big["region"], rollout=big["rollout"], term=term, now=now)
        db.session.commit()
        close_s = time.perf_counter() - start
        cpu.append(server_cpu_seconds())

        start = time.perf_counter()
        again = close_term(region=big["region"], rollout=big["rollout"], term=term, now=now)
        db.session.commit()
        again_s = time.perf_counter() - start
        cpu.append(server_cpu_seconds())

        tiny = close_term(region=small["region"], rollout=small["rollout"], term=term, now=now)
        db.session.commit()

        query = FREE_RIDER_QUERY.format(
            term=term.id, rollout=big["rollout"].id, expected=len(term.required_modules)
        )
        start = time.perf_counter()
        subprocess.run(
            ["psql", psql_url, "-qAtc", f"SELECT count(*) FROM ({query}) q"],  # noqa: S608 (ids)
            check=True,
            capture_output=True,
        )
        raw_s = time.perf_counter() - start

    print(f"enrollments:                {args.learners:,}; progress rows: {rows:,}")
    print(
        f"term close:                 {close_s:.2f} s{cpu_between(cpu[0], cpu[1])}, "
        f"{first.statements} SQL statements "
        f"({first.on_track:,} on track, {first.candidates:,} candidates)"
    )
    print(
        f"term close again (no-op):   {again_s:.2f} s{cpu_between(cpu[1], cpu[2])}, "
        f"{again.statements} statements, "
        f"{again.changed} changed"
    )
    print(f"term close, 3,000 learners: {tiny.statements} SQL statements")
    print(f"raw free-rider query (psql): {raw_s:.2f} s")
    print(f"ratio close / raw query:    {close_s / raw_s:.2f}×")
    label = f"{args.learners:,} enrollments"
    raw = "the free-rider query alone (psql)"
    Figure(
        "term_close", f"{label}: close", close_s, "s", raw_s, raw, close_s / raw_s, "≤ 10 s"
    ).emit()
    Figure("term_close", f"{label}: close again (no-op)", again_s, "s", raw_s, raw).emit()
    Figure(
        "term_close",
        f"{label}: SQL statements (3,000 learners: {tiny.statements})",
        first.statements,
        "statements",
        target="does not grow",
    ).emit()


if __name__ == "__main__":
    main()
