"""Pages through the catalogs: every visible string marked, the staff member's language
(profile preference, then the browser, then the region), lang and dir on every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.models import StaffUser
from app.extensions import db
from tests.factories import StaffFactory
from tests.language.marking import unmarked_text

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"

PAGES = sorted(
    str(p.relative_to(TEMPLATES))
    for p in TEMPLATES.rglob("*.html")
    if "/de/" not in str(p) and "/fr/" not in str(p)
)


@pytest.mark.parametrize("name", PAGES)
def test_every_visible_string_of_the_page_is_marked(name: str) -> None:
    assert unmarked_text((TEMPLATES / name).read_text(encoding="utf-8")) == []


def test_no_page_has_a_copy_per_language() -> None:
    copies = [p for p in PAGES if "/de/" in p or "/fr/" in p]
    assert copies == []
    assert not [p for p in TEMPLATES.rglob("*.html") if p.parent.name in {"de", "fr"}
                and not str(p).startswith(str(TEMPLATES / "links"))]  # fmt: skip


def _staff(login_as, **values) -> tuple[StaffUser, object]:
    user = StaffFactory(**values)
    return user, login_as(user)


def test_a_staff_member_reads_the_staff_pages_in_the_language_of_the_browser(login_as) -> None:
    _user, client = _staff(login_as)
    html = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="de-DE" dir="ltr">' in html and "Übersicht" in html
    html = client.get("/", headers={"Accept-Language": "fr-CH"}).get_data(as_text=True)
    assert '<html lang="fr-CH" dir="ltr">' in html and "Vue d'ensemble" in html


def test_the_profile_preference_wins_over_the_browser(login_as) -> None:
    user, client = _staff(login_as)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Deutsch" in page and "Français" in page and "日本語" in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    saved = client.post("/auth/profile", data={"csrf_token": token, "locale": "de"})
    assert saved.status_code == 303
    db.session.refresh(user)
    assert user.locale == "de"
    html = client.get("/").get_data(as_text=True)  # the browser asks for English
    assert '<html lang="de" dir="ltr">' in html and "Übersicht" in html
    assert "Abmelden" in html


def test_the_profile_refuses_a_language_summit_does_not_write(login_as) -> None:
    user, client = _staff(login_as)
    page = client.get("/auth/profile").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    refused = client.post("/auth/profile", data={"csrf_token": token, "locale": "xx"})
    assert refused.status_code == 422
    db.session.refresh(user)
    assert user.locale is None


def test_the_profile_post_needs_the_csrf_token(login_as) -> None:
    _user, client = _staff(login_as)
    assert client.post("/auth/profile", data={"locale": "de"}).status_code == 400
