"""Every email kind's HTML body wears the one shared layout (its CSS is inlined at render)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.mail.rendering import render_email

TEMPLATES = Path(__file__).resolve().parents[2] / "email_templates"
BODIES = sorted(
    p.relative_to(TEMPLATES).as_posix()
    for p in TEMPLATES.rglob("body.html")
    if not p.relative_to(TEMPLATES).as_posix().startswith(("_layout/", "_test/"))
)


def test_there_are_many_kinds():
    # one template per email since the catalogs (issue 23), no per-language copies
    assert len(BODIES) > 25
    assert not any("/de/" in body or "/fr/" in body for body in BODIES)


@pytest.mark.parametrize("path", BODIES)
def test_each_html_body_extends_the_layout(path):
    source = (TEMPLATES / path).read_text(encoding="utf-8")
    assert source.startswith('{% extends "_layout/base.html" %}'), path
    assert "<html" not in source and "<body" not in source, path


def test_a_wrapped_body_renders_inside_the_card_with_inlined_css():
    rendered = render_email(
        "terms/outcome",
        locale="de_DE",
        context={
            "sponsor_name": "Dora",
            "program_title": "Data literacy",
            "region_name": "Germany",
            "term_number": 1,
            "term_title": "Foundations",
            "on_track": 3,
            "excused": 1,
            "removed": 1,
            "removed_names": [],
            "names_individuals": False,
        },
    )
    html = rendered.html
    assert '<html lang="de-DE" dir="ltr">' in html
    assert "Diese Region berichtet nur zusammengefasste Zahlen." in html
    assert "<style>" not in html and 'class="card"' in html
    assert "max-width: 600px" in html  # the card's rule, inlined into its style attribute
