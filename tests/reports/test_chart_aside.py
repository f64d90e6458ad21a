"""The weekly build draws its charts in a thread while it counts in the database: the same
PNG as drawn in the caller's thread, in the reader's language, and a chart that cannot be
drawn fails the build instead of leaving a report without its chart."""

from __future__ import annotations

import threading

import pytest

from app.language import force_reader
from app.reports.chart import chart_words, drawn_aside, trend_png

WEEKS = ["2026-W46", "2026-W47", "2026-W48"]
LINES = {"de": ([0.1, 0.15, 0.225], [0.2, 0.2, 0.3]), "ja": ([None, 0.1, 0.2], [0.1, 0.1, 0.2])}
LOCALES = {"de": "de_DE", "ja": "ja_JP"}


def _words(key: str):
    region, overall = LINES[key]
    with force_reader(LOCALES[key], "Europe/Berlin"):
        return chart_words(WEEKS, region, overall, region_label=key, overall_label="x")


def test_a_chart_drawn_aside_is_the_chart_drawn_here():
    charts = {key: (*LINES[key], _words(key)) for key in LINES}
    with drawn_aside(charts) as futures:
        aside = {key: future.result(timeout=30) for key, future in futures.items()}
    for key, (region, overall) in LINES.items():
        with force_reader(LOCALES[key], "Europe/Berlin"):
            here = trend_png(WEEKS, region, overall, region_label=key, overall_label="x")
        assert aside[key] == here
    assert not any(t.name.startswith("report-charts") for t in threading.enumerate())


def test_a_chart_that_cannot_be_drawn_reaches_the_caller():
    words = _words("de")
    charts = {"short": ([0.1], [0.2, 0.3, 0.4], words)}
    with drawn_aside(charts) as futures, pytest.raises(ValueError, match="zip"):
        futures["short"].result(timeout=30)
