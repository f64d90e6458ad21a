"""Hostile names and subjects: escaped in HTML, no header injected (parsed back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.mail.rendering import RemoteImageRefused, render_email
from app.mail.services import HeaderInjection, display_name, queue_email, safe_header_value

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # just after Europe switched to summer time
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "=?UTF-8?Q?=0A?=Bcc: x@example.com",
    "Anna Schmidt\n",
    "Eve\r\nBcc: eve@example.com",
    'Zoë "the boss" O\'Brien',
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_name_injects_no_header(name: str, run_jobs, smtp_sink) -> None:
    queue_email(
        kind="mail/test",
        to_address="victim@example.com",
        to_name=name,
        idempotency_key="hostile",
        context={"name": name, "sent_at": NOW, "url": "http://summit.test/"},
    )
    db.session.commit()
    run_jobs()
    assert len(smtp_sink.messages) == 1
    received = smtp_sink.messages[0]
    assert received.rcpt_tos == ["victim@example.com"]
    msg = received.message
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert sorted(k.lower() for k in msg) == sorted(
        [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "auto-submitted",
            "mime-version",
            "content-type",
        ]
    )
    [to] = msg["To"].addresses
    assert to.addr_spec == "victim@example.com"
    assert to.display_name == display_name(name)  # what we stored, nothing decoded
    assert "\n" not in to.display_name and "=?" not in to.display_name
    assert msg["Subject"] == f"Summit test email for {display_name(name)}"
    html = msg.get_body(("html",)).get_content()
    assert "<img src=x" not in html
    if "<img" in name:
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_header_values_refuse_controls_and_encoded_words() -> None:
    for bad in ["a\rb", "a\nb", "a\x00b", "=?utf-8?q?x?="]:
        with pytest.raises(HeaderInjection):
            safe_header_value(bad)
    with pytest.raises(HeaderInjection):
        queue_email(
            kind="mail/test",
            to_address="a@example.com",
            idempotency_key="h",
            context={"name": "x", "sent_at": NOW, "url": "u"},
            headers={"List-Unsubscribe": "<https://x>\r\nBcc: x@example.com"},
        )


@pytest.mark.parametrize(
    ("locale", "subject", "date"),
    [
        ("en", "Summit test email for <b>Jo</b>", "Sunday, March 29, 2026, 3:30:00"),
        ("de_DE", "Summit-Test-E-Mail für <b>Jo</b>", "Sonntag, 29. März 2026"),
        ("fr_FR", "E-mail de test Summit pour <b>Jo</b>", "dimanche 29 mars 2026"),
        (
            "es_ES",
            "Correo electrónico de prueba de Summit para <b>Jo</b>",
            "domingo, 29 de marzo de 2026",
        ),
        ("sv_SE", "Summit test email for <b>Jo</b>", "Sunday, March 29, 2026"),  # no catalog: en
    ],
)
def test_every_locale_renders_escaped_with_local_dates(locale, subject, date) -> None:
    rendered = render_email(
        "mail/test",
        locale=locale,
        context={"name": "<b>Jo</b>", "sent_at": NOW, "url": "http://summit.test/?a=1&b=2"},
        time_zone="Europe/Berlin",
    )
    assert rendered.subject == subject  # subjects are plain text
    assert "&lt;b&gt;Jo&lt;/b&gt;" in rendered.html and "<b>Jo</b>" not in rendered.html
    assert "a=1&amp;b=2" in rendered.html
    assert date in rendered.text  # 01:30 UTC is 03:30 summer time (CEST) in Berlin
    assert "<b>Jo</b>" in rendered.text


def test_remote_images_are_refused() -> None:
    """The weekly report's body is HTML the app built, passed through ``|safe``: a remote
    image in it (a tracking pixel) is refused by the real templates, not sent."""
    context = {
        "region_name": "Germany",
        "week": "2026-W48",
        "content_html": '<p><img src="https://tracker.example.com/p.gif"></p>',
        "content_text": "",
        "manage_url": "http://summit.test/m",
    }
    with pytest.raises(RemoteImageRefused):
        render_email("reports/regional", locale="en", context=context)
    attached = {**context, "content_html": '<p><img src="cid:trend.png"></p>'}
    assert (
        'src="cid:trend.png"'
        in render_email("reports/regional", locale="en", context=attached).html
    )
