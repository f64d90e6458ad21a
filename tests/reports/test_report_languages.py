"""The regional report speaks the region's language: chart words, points and hours."""

from __future__ import annotations

from app.language import force_reader
from app.metrics.presentation import format_change, format_value, label
from app.reports.chart import trend_alt, trend_png

WEEKS = ["2026-W46", "2026-W47", "2026-W48"]


def test_chart_words_in_german():
    with force_reader("de_DE", "Europe/Berlin"):
        alt = trend_alt(
            WEEKS,
            [0.1, 0.15, 0.225],
            [None, None, None],
            region_label="Deutschland",
            overall_label="Alle Regionen",
        )
        assert trend_png(
            WEEKS, [0.1, 0.15, 0.225], [0.2, 0.2, 0.3], region_label="D", overall_label="Alle"
        ).startswith(b"\x89PNG")
    assert alt == (
        "Abschlussquote pro Woche: Deutschland von 10\u00a0% in 2026-W46 auf 23\u00a0% in "
        "2026-W48; Alle Regionen keine Daten."
    )


def test_points_hours_and_labels_follow_the_locale():
    assert format_change("rate", 0.22, 0.11, "de_DE") == "▲ 11 Prozentpunkte"
    assert format_change("rate", 0.22, 0.21, "de_DE") == "▲ 1 Prozentpunkt"
    assert format_change("rate", 0.20, 0.26, "fr_FR") == "▼ 6 points"
    assert format_change("rate", 0.20, 0.26) == "▼ 6 pts"
    assert format_value("hours", 48.0, "de_DE") == "48 Std."
    assert format_value("hours", 1.25, "fr_FR") == "1,2\u202fh"  # one decimal at most
    assert format_change("hours", 30.0, 31.5, "de_DE") == "▼ 1,5 Std."
    assert format_value("count", 1234, "de_DE") == "1.234"
    assert label("completion_rate", "fr_FR") == "Taux d'achèvement"
    assert label("completion_rate") == "Completion rate"
