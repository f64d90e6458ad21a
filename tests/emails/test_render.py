"""Every email kind, built through the app's services and checked as delivered (issue 25,
item 7): images resolve (``cid:`` → an attached part with that Content-ID, and the dev
mailbox preview shows the same image), links lead somewhere (absolute https or mailto; none
empty, relative or javascript:), a text alternative, and an HTML body Gmail will not clip.

The screenshots at phone and desktop widths are ``tests/browser/test_email_screens.py``.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from app.mail.routes import EMAIL_CSP
from tests.emails.rendered import BASE_URL, Delivered, delivered_emails, email_kinds
from tests.emails.world import build_world

#: Gmail shows "[Message clipped]" once the HTML source passes about 102 KB; Google
#: publishes no figure. Spam Resource measured it, and that the encoded size is what counts:
#: https://www.spamresource.com/2022/01/what-is-gmail-clipping-and-what-to-do.html
GMAIL_CLIP_BYTES = 102 * 1024

KINDS = email_kinds()


class _Refs(HTMLParser):
    """Every link target and image source of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str | None] = []
        self.images: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href"))
        elif tag == "img":
            self.images.append(values.get("src"))


def _refs(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


@pytest.fixture
def emails(make_app: Any) -> dict[str, list[Delivered]]:
    return delivered_emails(make_app, build_world)


def test_there_is_a_kind_for_every_folder_and_the_list_is_long():
    assert len(KINDS) >= 30
    assert "reports/regional" in KINDS and "approvals/request" in KINDS
    assert not any(k.startswith("_") for k in KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kind_is_built_by_the_apps_services(kind, emails):
    assert emails.get(kind), (
        f"no {kind} email was queued: make tests/emails/world.py send one through its service"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_cid_image_is_an_attached_part_and_the_preview_shows_it(kind, emails):
    for email in emails.get(kind, []):
        parts = email.inline_parts()
        cids = [src[4:] for src in _refs(email.html).images if src and src.startswith("cid:")]
        for cid in cids:
            assert cid in parts, (kind, cid, sorted(parts))
        for src in _refs(email.html).images:
            assert src and src.startswith("cid:"), (kind, src)  # no remote image, no empty src
        # the dev mailbox preview: the same bytes, as data: under its strict policy
        assert email.preview_csp == EMAIL_CSP and "img-src data:;" in EMAIL_CSP
        assert "cid:" not in email.preview
        previewed = [src for src in _refs(email.preview).images if src]
        assert len(previewed) == len(cids), kind
        for cid, src in zip(cids, previewed, strict=True):
            match = re.fullmatch(r"data:(image/[\w.+-]+);base64,([A-Za-z0-9+/=]+)", src)
            assert match is not None, (kind, src[:40])
            assert base64.b64decode(match.group(2)) == parts[cid], (kind, cid)


@pytest.mark.parametrize("kind", KINDS)
def test_every_link_is_absolute_https_or_mailto(kind, emails):
    for email in emails.get(kind, []):
        for href in _refs(email.html).links:
            assert href and href.strip() == href, (kind, href)
            assert not href.lower().startswith(("javascript:", "data:", "http:")), (kind, href)
            assert href.startswith(("https://", "mailto:")), (kind, href)
        # the links of the text part are the same kind of address
        text = email.part("text/plain").get_content()
        for url in re.findall(r"\b\w+://\S+", text):
            assert url.startswith("https://"), (kind, url)


@pytest.mark.parametrize("kind", KINDS)
def test_a_text_alternative_and_an_html_body_gmail_does_not_clip(kind, emails):
    for email in emails.get(kind, []):
        message = email.message
        alternative = next(
            p for p in message.walk() if p.get_content_type() == "multipart/alternative"
        )
        types = [p.get_content_type() for p in alternative.iter_parts()]
        assert types == ["text/plain", "text/html"], (kind, types)  # plain first, HTML preferred
        text = email.part("text/plain").get_content()
        assert len(text.split()) >= 5, (kind, text)
        html_part = email.part("text/html")
        encoded = html_part.get_payload(decode=False)
        assert len(email.html.encode("utf-8")) < GMAIL_CLIP_BYTES, kind
        assert len(encoded.encode("ascii")) < GMAIL_CLIP_BYTES, (kind, len(encoded))
        assert email.subject.strip() and "\n" not in email.subject, kind


def test_summits_own_links_are_built_from_the_configured_https_base_url(emails):
    (invitation, *_) = emails["rollouts/invitation"]
    ours = [h for h in _refs(invitation.html).links if h and h.startswith(BASE_URL + "/")]
    assert ours, "the commit link is Summit's own"


def test_the_sponsor_report_carries_its_chart_inline(emails):
    (report,) = emails["reports/regional"]
    parts = report.inline_parts()
    assert parts["trend-chart@summit"].startswith(b"\x89PNG")
    inline = next(p for p in report.message.walk() if p["Content-ID"])
    assert inline.get_content_disposition() == "inline"
    assert inline.get_content_type() == "image/png"
