"""`make bench`: run every benchmark and print one table (SCALE=full for 300,000 learners)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import RESULT_PREFIX

HERE = Path(__file__).resolve().parent
SKIP = {"__init__", "__main__", "common", "bare_app", "dataset", "_pg", "roster_generator"}


def main() -> int:
    scale = os.environ.get("SCALE", "small")
    only = sys.argv[1:]
    rows: list[dict] = []
    failed: list[str] = []
    for path in sorted(HERE.glob("*.py")):
        name = path.stem
        if name in SKIP or (only and name not in only):
            continue
        print(f"== {name} ({scale}; load average {_load()})", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", "--scale", scale],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                rows.append(json.loads(line[len(RESULT_PREFIX) :]))
        if proc.returncode != 0:
            failed.append(name)
            print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
    report = f"{machine()}\n\n{table(rows)}"
    print(report)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"latest-{scale}.md").write_text(report + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


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
