"""Bench: 1,000,000 progress rows imported into PostgreSQL, next to a raw ``psql \\copy``.

    .venv/bin/python -m bench.progress_import --scale small|medium|full|huge [--rows N]
    (small: 50,000 rows; full: 1,000,000)

Builds a throw-away database with 200,000 enrolled learners, writes a Summit CSV of
``--rows`` rows (5 modules each), imports it through ``import_stream`` (the service the
job and the CLI use: stream → COPY into staging → one INSERT … ON CONFLICT), then times
``psql \\copy`` of the same file into an unindexed table. Prints rows/s, peak RSS and
the ratio.
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
import time
from pathlib import Path

from bench._pg import bench_app, clone_table, seed_learners
from bench.common import Figure, make_parser, sized


def write_csv(path: Path, learners: int, modules: int, slug: str) -> int:
    rows = 0
    with path.open("w") as out:
        out.write("employee_id,email,module,percent,completed,observed_at\n")
        for i in range(1, learners + 1):
            for m in range(1, modules + 1):
                done = (i + m) % 3 != 0
                out.write(
                    f"{slug}-{i},,m{m},{100 if done else (i * 7 + m) % 90 + 5},"
                    f"{'true' if done else 'false'},2026-10-0{1 + m % 5}T09:00:00Z\n"
                )
                rows += 1
    return rows


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()
    args.rows = args.rows or sized(args.scale, 50_000, 1_000_000, huge=5_000_000)
    modules = 5
    learners = args.rows // modules
    with bench_app("summit_bench_import") as (_app, psql_url), tempfile.TemporaryDirectory() as tmp:
        from app.extensions import db
        from app.progress.importing import import_stream

        made = seed_learners(learners)
        csv_path = Path(tmp) / "progress.csv"
        rows = write_csv(csv_path, learners, modules, "bench")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rollout = made["rollout"]
        start = time.perf_counter()
        with csv_path.open("rb") as raw:
            result = import_stream(region=made["region"], rollout=rollout, raw=raw, fmt="summit")
        db.session.commit()
        summit_s = time.perf_counter() - start
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        start = time.perf_counter()
        with csv_path.open("rb") as raw:
            again = import_stream(region=made["region"], rollout=rollout, raw=raw, fmt="summit")
        db.session.commit()
        again_s = time.perf_counter() - start

        # the same rows, as Summit stored them, COPYed into a table of module_progress's
        # shape (its indexes and foreign keys): what the database alone pays for them
        shaped_path = Path(tmp) / "shaped.csv"
        columns = (
            "region_id, rollout_id, enrollment_id, module_id, percent, completed, observed_at, "
            "source"
        )
        subprocess.run(
            [
                "psql",
                psql_url,
                "-qc",
                f"\\copy (SELECT {columns} FROM module_progress) TO '{shaped_path}' CSV",  # noqa: S608 (constants)
            ],
            check=True,
        )
        with db.engine.begin() as conn:
            clone_table(conn, "module_progress", "module_progress_shaped")
        start = time.perf_counter()
        subprocess.run(
            [
                "psql",
                psql_url,
                "-qc",
                f"\\copy module_progress_shaped ({columns}) FROM '{shaped_path}' CSV",
            ],
            check=True,
        )
        shaped_s = time.perf_counter() - start

        subprocess.run(
            [
                "psql",
                psql_url,
                "-qc",
                "CREATE TABLE raw_progress (employee_id text, email text, module text, "
                "percent float8, completed boolean, observed_at timestamptz)",
            ],
            check=True,
        )
        start = time.perf_counter()
        subprocess.run(
            [
                "psql",
                psql_url,
                "-qc",
                f"\\copy raw_progress FROM '{csv_path}' WITH (FORMAT csv, HEADER true)",
            ],
            check=True,
        )
        raw_s = time.perf_counter() - start

    print(f"rows in file:               {rows:,}")
    print(f"progress rows applied:      {result.applied:,} (second import: {again.applied:,})")
    print(f"Summit import:              {summit_s:.2f} s  ({rows / summit_s:,.0f} rows/s)")
    print(f"second import (no change):  {again_s:.2f} s")
    print(f"raw psql \\copy:             {raw_s:.2f} s  ({rows / raw_s:,.0f} rows/s)")
    print(f"ratio Summit / raw COPY:    {summit_s / raw_s:.2f}×")
    print(
        f"raw psql \\copy of the stored rows into a module_progress-shaped table (same "
        f"indexes and keys): {shaped_s:.2f} s; ratio Summit / that: {summit_s / shaped_s:.2f}×"
    )
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(f"phases of the first import: {phases}")
    print(f"peak RSS:                   {rss_peak:.0f} MiB (before the import: {rss_before:.0f})")
    label = f"{rows:,} progress rows"
    raw = "psql \\copy of the file"
    Figure(
        "progress_import", f"{label}: import", summit_s, "s", raw_s, raw, summit_s / raw_s, "≤ 3×"
    ).emit()
    Figure(
        "progress_import",
        f"{label}: import, against a COPY into a table of module_progress's shape",
        summit_s,
        "s",
        shaped_s,
        "psql \\copy of the same rows into a module_progress-shaped table",
        summit_s / shaped_s,
        "≤ 1.5×" if args.scale == "huge" else "≤ 3×",
    ).emit()
    Figure(
        "progress_import",
        f"{label}: re-import, unchanged",
        again_s,
        "s",
        raw_s,
        raw,
        again_s / raw_s,
    ).emit()
    Figure("progress_import", f"{label}: rows/s", rows / summit_s, "rows/s").emit()
    Figure("progress_import", f"{label}: peak RSS", rss_peak, "MB").emit()


if __name__ == "__main__":
    main()
