"""The regional report speaks the region's language: chart words, points and hours."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fontTools.ttLib import TTCollection, TTFont

from app.language import force_reader, translate
from app.metrics.presentation import format_change, format_value, label
from app.reports.chart import trend_alt, trend_figure, trend_png
from app.reports.chart_fonts import font_families, font_file

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
        "Abschlussquote pro Woche: Deutschland 10\u00a0% in der Woche bis 15.11.2026, "
        "23\u00a0% in der Woche bis 29.11.2026; Alle Regionen keine Daten."
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


def _chart_texts(locale: str, region_label: str) -> tuple[Any, list[str]]:
    """The chart drawn for ``locale`` (as the report builder does, inside force_reader), and
    every text on it: title, direct labels, week and percentage ticks."""
    with force_reader(locale, "Europe/Madrid"):
        overall = translate("All regions")
        fig = trend_figure(
            WEEKS,
            [0.1, 0.15, 0.225],
            [0.2, 0.2, 0.3],
            region_label=region_label,
            overall_label=overall,
        )
        fig.canvas.draw()  # the tick formatters run here, in the reader's locale
        ax = fig.axes[0]
        texts = [ax.get_title(loc="left")]
        texts += [t.get_text() for t in ax.texts]
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return fig, texts


def test_the_spanish_and_french_charts_speak_their_language():
    _fig, es = _chart_texts("es_ES", "España")
    assert es[0] == "Tasa de finalización por semana"
    assert "Todas las regiones 30\u00a0%" in es and "España 23\u00a0%" in es
    assert es[3:6] == ["15 nov", "22 nov", "29 nov"]  # each week by its last day
    assert "40\u00a0%" in es and "100\u00a0%" in es  # the axis, as Babel writes it
    _fig, fr = _chart_texts("fr_FR", "France")
    assert fr[0] == "Taux d'achèvement par semaine"
    assert "Toutes les régions 30\u00a0%" in fr and fr[3:6] == ["15 nov.", "22 nov.", "29 nov."]
    assert not any("W4" in text for text in es + fr)


@pytest.mark.parametrize(("locale", "region_label"), [("ja_JP", "日本"), ("zh_Hans_CN", "中国")])
def test_a_japanese_or_chinese_chart_has_a_glyph_for_every_character(locale, region_label):
    """matplotlib falls back glyph by glyph along chart_fonts.font_families(); a character no
    font has is drawn as an empty box (and warned about: warnings are errors here)."""
    families = font_families()
    if len(families) < 2:
        pytest.skip("no CJK font on this machine (make chart-fonts installs fonts-wqy-microhei)")
    fig, texts = _chart_texts(locale, region_label)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts[0])  # the title is in CJK script
    cmaps = []
    for family in families:
        path = font_file(family)
        assert path is not None, family
        font = TTCollection(path).fonts[0] if path.endswith(".ttc") else TTFont(path)
        cmaps.append(font.getBestCmap())
    for text in texts:
        for ch in text:
            assert any(ord(ch) in cmap for cmap in cmaps), (text, ch)
    assert trend_png(
        WEEKS, [0.1, None, 0.2], [0.1, 0.1, 0.2], region_label=region_label, overall_label="x"
    ).startswith(b"\x89PNG")
    fig.savefig(io.BytesIO(), format="png")  # no "Glyph … missing from font" warning
