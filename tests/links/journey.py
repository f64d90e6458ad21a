"""The "send me a fresh link" journey as a person takes it: the expired link's page, its
button (a POST with the page's CSRF token), the email, and the new link."""

from __future__ import annotations

import re
from typing import Any

FORM_RE = re.compile(r'<form method="post" action="([^"]+)">')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"http://summit\.test(/\S+)")


def ask_for_fresh_link(client: Any, expired_path: str, **headers: str) -> tuple[str, str]:
    """Open the expired link (410, a page with one button), press the button; return the
    expired page's and the answer's HTML."""
    from flask import g

    g.pop("csrf_token", None)  # the test's app context outlives requests
    page = client.get(expired_path, headers=headers)
    assert page.status_code == 410, page.status_code
    html = page.get_data(as_text=True)
    action = FORM_RE.search(html)
    assert action, html
    answer = client.post(
        action.group(1).replace("&amp;", "&"),
        data={"csrf_token": CSRF_RE.search(html).group(1)},  # type: ignore[union-attr]
        headers=headers,
    )
    assert answer.status_code == 200, answer.status_code
    return html, answer.get_data(as_text=True)


def fresh_link_path(message: Any) -> str:
    """The new link's path in a ``links/fresh_link`` email (its text part)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK_RE.search(text)
    assert match, text
    return match.group(1)
