"""`make bench`: run every benchmark and print one table (SCALE=full for 300,000 learners,
SCALE=huge for 1,000,000), then issue 26's targets judged on the same run.

`python -m bench curves [names]` (or `make bench SCALES=medium,full,huge`): every benchmark
at 30,000, 300,000 and 1,000,000 learners, one table with the figure at each size and its
growth per 10× of size (10× is linear; more shows super-linear cost).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULT_PREFIX
from bench.targets import annotate
from bench.targets import table as targets_table

HERE = Path(__file__).resolve().parent
SKIP = {
    "__init__",
    "__main__",
    "common",
    "bare_app",
    "dataset",
    "_pg",
    "roster_generator",
    "targets",
    "profiles",
    "smtp_sink",
}
#: the sizes of the cost curves, smallest first
CURVE_SCALES = ["medium", "full", "huge"]


def benchmarks(only: list[str]) -> list[str]:
    return [
        p.stem
        for p in sorted(HERE.glob("*.py"))
        if p.stem not in SKIP and (not only or p.stem in only)
    ]


def run(name: str, scale: str) -> tuple[list[dict], bool]:
    """One benchmark alone at one scale: its figures, and whether it succeeded."""
    print(f"== {name} ({scale}; load average {_load()}; {time.strftime('%H:%M:%S')})", flush=True)
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--scale", scale],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = [
        json.loads(line[len(RESULT_PREFIX) :])
        for line in proc.stdout.splitlines()
        if line.startswith(RESULT_PREFIX)
    ]
    for row in rows:
        row["scale"] = scale
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
    return rows, proc.returncode == 0


def main() -> int:
    args = sys.argv[1:]
    scales = [s for s in os.environ.get("SCALES", "").split(",") if s]
    if args[:1] == ["curves"]:
        args, scales = args[1:], scales or CURVE_SCALES
    if len(scales) > 1:
        return curves(args, scales)
    scale = scales[0] if scales else os.environ.get("SCALE", "small")
    rows: list[dict] = []
    failed: list[str] = []
    ran: set[str] = set()
    for name in benchmarks(args):
        got, ok = run(name, scale)
        rows += got
        ran.add(name)
        if not ok:
            failed.append(name)
    if scale == "huge":
        annotate(rows)
    report = (
        f"{machine()}\n\n{table(rows)}\n\n"
        f"Issue 26's targets (set for SCALE=huge; this run: {scale}):\n\n"
        f"{targets_table(rows, ran)}"
    )
    print(report)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"latest-{scale}.md").write_text(report + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def curves(only: list[str], scales: list[str]) -> int:
    """Each benchmark at each scale (smallest first), one table: the figure at each size
    and its growth per 10× of size."""
    by_scale: dict[str, list[dict]] = {}
    failed: list[str] = []
    for name in benchmarks(only):
        for scale in scales:
            got, ok = run(name, scale)
            by_scale.setdefault(scale, []).extend(got)
            if not ok:
                failed.append(f"{name} ({scale})")
    report = f"{machine()}\n\n{curve_table(by_scale, scales)}"
    print(report)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"curves-{'-'.join(scales)}.md").write_text(report + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def _key(row: dict) -> tuple[str, str]:
    """A figure across scales: its label without the numbers that name the size."""
    return row["benchmark"], re.sub(r"\d[\d,]*", "N", row["figure"])


def growth(a: dict, b: dict) -> float | None:
    """How much the figure grows per 10× of size between two runs (10: linear)."""
    if not a.get("size") or not b.get("size") or b["size"] == a["size"] or a["value"] <= 0:
        return None
    if b["value"] <= 0:
        return None
    return (b["value"] / a["value"]) ** (1 / math.log10(b["size"] / a["size"]))


def curve_table(by_scale: dict[str, list[dict]], scales: list[str]) -> str:
    order: list[tuple[str, str]] = []
    cells: dict[tuple[str, str], dict[str, dict]] = {}
    for scale in scales:
        for row in by_scale.get(scale, []):
            key = _key(row)
            if key not in cells:
                order.append(key)
                cells[key] = {}
            cells[key][scale] = row
    head = " | ".join(scale for scale in scales)
    steps = [f"{a}→{b} per 10×" for a, b in itertools.pairwise(scales)]
    lines = [
        f"| benchmark | figure | unit | {head} | {' | '.join(steps)} |",
        "|---|---|---|" + "---|" * (len(scales) + len(steps)),
    ]
    for key in order:
        runs = cells[key]
        unit = next(iter(runs.values()))["unit"]
        values = [
            f"{_fmt(runs[s]['value'])} (n={runs[s]['size']:,})"
            if s in runs and runs[s].get("size")
            else (_fmt(runs[s]["value"]) if s in runs else "not run")
            for s in scales
        ]
        factors = []
        for a, b in itertools.pairwise(scales):
            g = growth(runs[a], runs[b]) if a in runs and b in runs else None
            factors.append("—" if g is None else f"{g:.1f}×")
        lines.append(
            f"| {key[0]} | {key[1]} | {unit} | {' | '.join(values)} | {' | '.join(factors)} |"
        )
    return "\n".join(lines)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """What the figures ran on: they depend on it (and on what else ran at the time)."""
    import platform

    memory = 0.0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    return (
        f"Machine: {os.cpu_count()} CPUs, {memory:.1f} GiB RAM, {platform.python_version()} "
        f"Python; load average at the end {_load()} (the machine is shared)."
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(rows: list[dict]) -> str:
    lines = [
        "| benchmark | figure | value | raw tool, same run | ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        raw = f"{_fmt(r['raw_value'])} {r['unit']} ({r['raw_label']})" if r["raw_value"] else "—"
        lines.append(
            f"| {r['benchmark']} | {r['figure']} | {_fmt(r['value'])} {r['unit']} | {raw} | "
            f"{_fmt(r['ratio'])} | {r['target']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
