"""What every benchmark shares: the scale, the result line, the database to use."""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

RESULT_PREFIX = "BENCH "

# A benchmark process counts as a web process for Summit's statement timeout (30 s, issue
# 26 item 6), and its set-based seeding of 300,000 to 1,000,000 learners runs statements
# longer than that: no timeout in the bench's own process unless one is asked for. The
# servers it starts (web_load's gunicorn) get the same environment.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_WEB", "0")


@dataclass
class Figure:
    benchmark: str
    figure: str
    value: float
    unit: str
    #: the same work done by the raw tool in the same run (COPY, raw SQL, smtplib, a bare handler)
    raw_value: float | None = None
    raw_label: str = ""
    #: value / raw_value, oriented so that 1.0 means "as fast as the raw tool"
    ratio: float | None = None
    target: str = ""
    #: the size of the run (learners, rows, emails): by default what ``sized`` last chose
    size: int | None = None

    def emit(self) -> None:
        if self.size is None:
            self.size = _SIZE[0]
        print(RESULT_PREFIX + json.dumps(asdict(self)), flush=True)


#: the size ``sized`` chose last (a benchmark has one size a run), for the cost curves
_SIZE: list[int | None] = [None]


def note_size(size: int) -> int:
    """Remember the size of this run for the figures it emits (``Figure.size``)."""
    _SIZE[0] = size
    return size


def make_parser(description: str) -> argparse.ArgumentParser:
    """The arguments every benchmark takes (``--scale``, ``--database-url``); add your own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default=os.environ.get("SCALE", "small"),
        help="small: a quick run; medium: 30,000 learners; full: 300,000 learners in 50 "
        "regions; huge: 1,000,000 learners in 100 regions, 5,000,000 progress rows",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL server to benchmark on (a scratch database is created there)",
    )
    return parser


def parse_args(description: str) -> argparse.Namespace:
    return make_parser(description).parse_args()


#: the scales every benchmark takes, smallest first; medium, full and huge are the points
#: of the cost curves (30,000, 300,000 and 1,000,000 learners: ``python -m bench curves``)
SCALES = ["small", "medium", "full", "huge"]
#: learners at each scale of the cost curves (a benchmark's own sizes scale with them)
LEARNERS = {"medium": 30_000, "full": 300_000, "huge": 1_000_000}


def sized(
    scale: str, small: int, full: int, *, medium: int | None = None, huge: int | None = None
) -> int:
    """The size of a run: ``small`` for a quick run, ``full`` for the issue's size (300,000
    learners), ``huge`` for issue 26's (1,000,000 learners; by default ``full`` × 10/3) and
    ``medium`` for the bottom of the cost curves (by default a tenth of ``full``)."""
    if scale == "huge":
        size = huge if huge is not None else round(full * LEARNERS["huge"] / LEARNERS["full"])
    elif scale == "medium":
        size = medium if medium is not None else max(1, full // 10)
    else:
        size = full if scale == "full" else small
    return note_size(size)


def regions(scale: str) -> int:
    """Regions of the generated organisation: 100 at ``huge`` (issue 26), 50 otherwise."""
    return 100 if scale == "huge" else 50


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)
