"""Bench: an Open edX connector sync of N progress rows, next to the file import of the same rows.

    .venv/bin/python -m bench.connector_sync --scale small|medium|full|huge [--rows N]
    (small: 25,000 rows; full: 250,000)

Both rollouts have the same learners' shape (time-approved, 6 modules). The connector reads
a local Open edX (``tests/connectors/fake_openedx.py``: token endpoint and cursor-paged
gradebook, 100 learners a page, over HTTP on 127.0.0.1) and applies it through the
import's staging merge; the file import reads a Summit CSV of the same rows. Then the
sync runs again with nothing changed. The fake stands for a remote server, whose CPU is
not Summit's: it serialises each enrollment's gradebook entry once, when the bench adds it,
and a page joins those bytes; its HTTP serving still runs in this process's threads (the
same GIL and cores as the sync's), so the figure still includes some of the fake's time.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

from bench._pg import bench_app, seed_learners
from bench.common import Figure, make_parser, sized

MODULES = 5


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()
    rows = args.rows or sized(args.scale, 25_000, 250_000, huge=5_000_000)
    learners = rows // MODULES
    with bench_app("summit_bench_connector") as (_app, _psql), tempfile.TemporaryDirectory() as tmp:
        from app.connectors.models import ConnectorKind
        from app.connectors.services import save_connector, sync_connector
        from app.extensions import db
        from app.progress.importing import import_stream
        from tests.connectors import fake_openedx

        by_sync = seed_learners(learners, slug="sync")
        by_file = seed_learners(learners, slug="file")

        fake = fake_openedx.FakeOpenEdx()
        scores = {f"Module {m}": 8.0 for m in range(1, MODULES + 1)}
        for i in range(1, learners + 1):
            fake.learner(i, f"sync-{i}", scores)
        server = fake_openedx.start(fake)
        try:
            connector = save_connector(
                region=by_sync["region"],
                rollout=by_sync["rollout"],
                kind=ConnectorKind.OPENEDX,
                base_url=server.url,
                course_ref=fake_openedx.COURSE,
                learner_field="username",
                client_id=fake_openedx.CLIENT_ID,
                secret=fake_openedx.CLIENT_SECRET,
                enabled=True,
            )
            db.session.commit()
            start = time.perf_counter()
            run = sync_connector(connector=connector)
            db.session.commit()
            sync_s = time.perf_counter() - start
            start = time.perf_counter()
            again = sync_connector(connector=connector)
            db.session.commit()
            again_s = time.perf_counter() - start
        finally:
            server.stop()
        assert run.error is None and run.applied == rows, (run.error, run.applied)
        fetched, applied, requests = run.fetched, run.applied, run.report["requests"]
        applied_again = again.applied

        path = Path(tmp) / "progress.csv"
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["employee_id", "email", "module", "percent", "completed", "observed_at"]
            )
            for i in range(1, learners + 1):
                for m in range(1, MODULES + 1):
                    writer.writerow([f"file-{i}", "", f"m{m}", 100, "true", "2026-10-05T09:00:00Z"])
        start = time.perf_counter()
        with path.open("rb") as raw:
            result = import_stream(
                region=by_file["region"], rollout=by_file["rollout"], raw=raw, fmt="summit"
            )
        db.session.commit()
        import_s = time.perf_counter() - start
        assert result.applied == rows

    print(f"progress rows:                 {rows:,} ({learners:,} learners × {MODULES} modules)")
    print(
        f"Open edX connector sync:       {sync_s:.2f} s ({fetched:,} read, "
        f"{applied:,} applied, {requests} HTTP requests)"
    )
    print(f"second sync (nothing changed): {again_s:.2f} s ({applied_again} applied)")
    print(f"file import of the same rows:  {import_s:.2f} s")
    print(f"ratio sync / file import:      {sync_s / import_s:.2f}×")
    label = f"{rows:,} progress rows"
    Figure(
        "connector_sync",
        f"{label}: Open edX sync",
        sync_s,
        "s",
        import_s,
        "the file import of the same rows",
        sync_s / import_s,
        "≤ 1.5× the same-shape COPY (via the file import)" if args.scale == "huge" else "",
    ).emit()
    Figure(
        "connector_sync",
        f"{label}: second sync, unchanged",
        again_s,
        "s",
        import_s,
        "the file import of the same rows",
        again_s / import_s,
    ).emit()


if __name__ == "__main__":
    main()
