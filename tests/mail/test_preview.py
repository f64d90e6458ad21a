"""The dev mailbox preview resolves cid: images to the attached parts, in the preview only."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from app.mail.preview import inline_cid_images


@dataclass
class Part:
    content_id: str | None
    content_type: str
    data: bytes


PNG = b"\x89PNG\r\n\x1a\nchart"


def test_a_cid_image_becomes_the_data_uri_of_its_part():
    parts = [
        Part("trend-chart@summit", "image/png", PNG),
        Part(None, "text/csv", b"a,b"),
    ]
    html = '<p><img src="cid:trend-chart@summit" alt="Trend"> <img src=\'cid:other@x\'></p>'
    shown = inline_cid_images(html, parts)
    encoded = base64.b64encode(PNG).decode()
    assert f'src="data:image/png;base64,{encoded}"' in shown
    assert "src='cid:other@x'" in shown  # no such part: left as a mail client would
    assert inline_cid_images(html, []) == html


def test_only_image_parts_are_inlined_and_angle_brackets_are_ignored():
    parts = [Part("<calendar@summit>", "text/calendar", b"BEGIN:VCALENDAR")]
    html = '<img src="cid:calendar@summit">'
    assert inline_cid_images(html, parts) == html
    parts = [Part("<chart@summit>", "image/png", PNG)]
    assert "data:image/png;base64," in inline_cid_images(html.replace("calendar", "chart"), parts)
