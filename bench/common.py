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

    def emit(self) -> None:
        print(RESULT_PREFIX + json.dumps(asdict(self)), flush=True)


def make_parser(description: str) -> argparse.ArgumentParser:
    """The arguments every benchmark takes (``--scale``, ``--database-url``); add your own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--scale",
        choices=["small", "full"],
        default=os.environ.get("SCALE", "small"),
        help="small: a quick run; full: 300,000 learners in 50 regions",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL server to benchmark on (a scratch database is created there)",
    )
    return parser


def parse_args(description: str) -> argparse.Namespace:
    return make_parser(description).parse_args()


def sized(scale: str, small: int, full: int) -> int:
    """The size of a run: ``small`` for a quick run, ``full`` for the issue's size."""
    return full if scale == "full" else small


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
