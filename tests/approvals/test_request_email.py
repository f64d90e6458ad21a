"""The manager's request email as delivered over SMTP: the ask in one sentence with its
figures and deadline, real (bulletproof) buttons to the decision page, a footer that says
why the manager gets it and whom to ask — and opening its link decides nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app import create_app
from app.approvals.emails import decision_url, request_context
from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.request_emails import send_due_requests
from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.mail.rendering import render_email
from tests.approvals.helpers import LINK_RE, commit, manager, report, rollout_in, text_of
from tests.factories import region, staff

#: a Wednesday in June; the program starts on Monday 7 September 2026 (12 weeks, 3 terms)
ASKED = datetime(2026, 6, 3, 7, 0, tzinfo=UTC)
NAMES = ("Anna Adler", "Ben Berg", "Cleo Cruz", "Dev Das")


class _Links(HTMLParser):
    """Every <a href>, every <img>, and the comments (Outlook's conditional VML)."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images = 0
        self.comments: list[str] = []
        self.metas: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.hrefs.append(values.get("href") or "")
        if tag == "img":
            self.images += 1
        if tag == "meta" and values.get("name"):
            self.metas[values["name"] or ""] = values.get("content") or ""

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _parsed(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _asked(code: str, smtp_sink: Any, run_jobs: Any, *, names: tuple[str, ...] = NAMES) -> Any:
    rollout = rollout_in(code, hours=1.5)
    boss = manager(code, name="Mo Manager")
    staff(Role.LOCAL_LEAD, code, name="Lena Lead", email="lena.lead@example.com")
    for name in names:
        commit(report(rollout, boss, name=name))
    with time_machine.travel(ASKED, tick=False):
        assert send_due_requests(region=region(code), now=ASKED) == 1
    run_jobs()
    (mail,) = smtp_sink.to(boss.email)
    return rollout, boss, mail


def _html(message: Any) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_the_ask_is_one_sentence_with_the_figures_and_the_deadline(smtp_sink, run_jobs):
    _rollout, _boss, mail = _asked("us", smtp_sink, run_jobs)
    text = " ".join(text_of(mail).split())
    # who, hours a week, how long, in total (a person and the team a week), by when: the
    # deadline is the last business day before the first term (Monday 7 September)
    assert (
        "Anna Adler, Ben Berg, Cleo Cruz, and Dev Das ask for 1.5 hours a week each of "
        "working time to study"
    ) in text
    assert (
        "for 12 weeks, about 18 hours a person and 6 hours a week for your team — please "
        "decide by Friday, September 4, 2026."
    ) in text
    html = " ".join(_html(mail).split())
    assert "about 18 hours a person and 6 hours a week for your team" in html
    assert "one click" not in text.lower() and "one click" not in html.lower()
    assert "nothing is decided until you choose there" in text


def test_the_ask_in_the_managers_language_and_zone(smtp_sink, run_jobs):
    _rollout, _boss, mail = _asked("de", smtp_sink, run_jobs, names=("Anna Adler",))
    text = " ".join(text_of(mail).split())
    assert "Anna Adler" in text and "1,5 Stunden" in text and "12 Wochen" in text
    assert "18 Stunden" in text and "Freitag, 4. September 2026" in text
    assert "2026-09" not in text


def test_many_reports_are_counted_not_listed_in_the_sentence(smtp_sink, run_jobs):
    names = tuple(f"Report {n}" for n in range(6))
    _rollout, _boss, mail = _asked("us", smtp_sink, run_jobs, names=names)
    text = " ".join(text_of(mail).split())
    assert "6 of your reports ask for 1.5 hours a week each" in text
    assert "9 hours a week for your team" in text


def test_the_buttons_are_links_with_an_outlook_fallback_and_no_images(smtp_sink, run_jobs):
    _rollout, _boss, mail = _asked("us", smtp_sink, run_jobs)
    html = _html(mail)
    url = "http://summit.test" + LINK_RE.search(text_of(mail)).group(1)
    parsed = _parsed(html)
    # every link is absolute, none empty; both buttons open the decision page
    assert parsed.hrefs and all(h.startswith(("http://", "https://")) for h in parsed.hrefs)
    assert parsed.hrefs.count(url) == 1 and parsed.hrefs.count(url + "#reports") == 1
    assert parsed.images == 0
    # Outlook desktop reads the VML rectangle in the conditional comment, with the same href
    vml = [c for c in parsed.comments if c.startswith("[if mso]") and "v:roundrect" in c]
    assert len(vml) == 2 and f'href="{url}"' in vml[0] and f'href="{url}#reports"' in vml[1]
    assert "<w:anchorlock/>" in vml[0] and "Review and approve" in vml[0]
    assert html.count("mso-hide: all") == 2  # everyone else sees the <a> instead
    assert parsed.metas.get("color-scheme") == "light dark"


def test_the_footer_says_why_who_sent_it_and_whom_to_ask(smtp_sink, run_jobs):
    rollout, _boss, mail = _asked("us", smtp_sink, run_jobs)
    for body in (" ".join(text_of(mail).split()), " ".join(_html(mail).split())):
        assert (
            f"You receive this email because people you manage take part in "
            f"{rollout.program.title} in"
        ) in body
        assert f"Sent by Summit for the {rollout.program.title} team" in body
        assert "Contact Lena Lead, the local program lead: lena.lead@example.com" in body
        assert "because you take part in a learning program" not in body


def test_opening_the_link_changes_nothing(client, smtp_sink, run_jobs):
    _rollout, _boss, mail = _asked("us", smtp_sink, run_jobs)
    path = LINK_RE.search(text_of(mail)).group(1)
    with time_machine.travel(ASKED, tick=False):
        for url in (path, path + "?action=approve_all", path + "#reports"):
            assert client.get(url).status_code == 200
        assert client.head(path).status_code == 200
    db.session.expire_all()
    statuses = db.session.scalars(select(TimeAllocation.status)).all()
    assert statuses == [AllocationStatus.PENDING] * len(NAMES)
    assert db.session.scalars(select(AuditEvent)).all() == []


@pytest.fixture
def https_app(app_settings: dict[str, Any]) -> Any:
    """The app as deployed behind a TLS proxy: links built from an https SUMMIT_BASE_URL."""
    application = create_app({**app_settings, "base_url": "https://summit.example.com"})
    yield application
    with application.app_context():
        db.engine.dispose()


def test_behind_https_every_link_of_the_email_is_absolute_https(https_app, smtp_sink, run_jobs):
    rollout, boss, _mail = _asked("us", smtp_sink, run_jobs)
    allocations = db.session.scalars(select(TimeAllocation)).all()
    with time_machine.travel(ASKED, tick=False):
        context = request_context(
            recipient=boss, rollout=rollout, allocations=allocations, occasion="request"
        )
    with https_app.app_context():
        url = decision_url(recipient_id=boss.id, rollout_id=rollout.id)
        rendered = render_email(
            "approvals/request", locale="en_US", context={**context, "decision_url": url}
        )
    assert url.startswith("https://summit.example.com/approvals/decide/")
    hrefs = _parsed(rendered.html).hrefs
    assert hrefs and all(h.startswith("https://summit.example.com/") for h in hrefs)
    assert url in rendered.text


def test_a_late_request_asks_for_the_weeks_left_without_a_past_deadline(smtp_sink, run_jobs):
    rollout, boss, _mail = _asked("us", smtp_sink, run_jobs)
    allocations = db.session.scalars(select(TimeAllocation)).all()
    # Thursday of the program's third week: weeks 3 to 12 are left
    with time_machine.travel(datetime(2026, 9, 24, 12, 0, tzinfo=UTC), tick=False):
        context = request_context(
            recipient=boss, rollout=rollout, allocations=allocations, occasion="resend"
        )
    assert context["ask"]["weeks"] == 10 and context["ask"]["deadline"] is None
    text = " ".join(render_email("approvals/request", locale="en_US", context=context).text.split())
    assert "for the 10 weeks left, about 15 hours a person" in text
    assert "the program has started, so please decide as soon as you can" in text
    assert date(2026, 9, 4).isoformat() not in text
