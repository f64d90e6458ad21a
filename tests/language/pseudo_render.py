"""Renders every page and every email of the demo organisation in a pseudo-locale.

One demo build per locale (``app.demo.services.seed_demo``: every capability adds its
part, and its services queue the emails they send), every region, person and member of
staff reading the pseudo-locale. Then every GET page of the URL map as the role that
can see it, and every signed-link page as the person reaches it: through the link in
the email they got.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import Enum, String, Text, select, update

from app import language
from app.auth.access import SESSION_USER_KEY
from app.auth.models import StaffUser
from app.demo.cast import PROGRAM_SLUG
from app.extensions import db
from app.mail.models import OutboundEmail
from app.mail.rendering import TEMPLATES_DIR as EMAILS
from app.mail.rendering import render_email
from app.people.models import Person
from app.progress.models import ProgressImport
from app.regions.models import Region
from app.tasks import get_redis
from tests.conftest import _empty_tables
from tests.factories import region
from tests.language.pseudo import build_catalog
from tests.web.test_crawl import ROLES, _values

#: the host of every link in the test app's emails (``base_url`` of the suite)
BASE = "http://summit.test"
#: tables whose text is not data a person typed or a roster brought (rendered output)
#: after term 1 of ``tests.progress.helpers.make_course``: buddies are asked to sign off
TERM_ENDED = datetime(2026, 10, 6, 7, tzinfo=UTC)
#: route values other than the crawl test's, by blueprint (a program's slug is not a rollout's)
_OVERRIDES: dict[str, dict[str, Any]] = {
    "programs": {"slug": PROGRAM_SLUG},
    "web.program": {"slug": PROGRAM_SLUG},
}
_HREF = re.compile(rf'href="({re.escape(BASE)}/[^"]+)"')
_NOT_DATA = {"outbound_email", "outbound_attachment", "audit_event", "report"}


@dataclass
class Rendered:
    locale: str
    #: endpoint → (path, role or "link", HTML)
    pages: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: endpoint → status of the last try, for the pages that never answered 200
    missing: dict[str, str] = field(default_factory=dict)
    #: email kind → (subject, text, HTML)
    emails: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: text the test's data put on the pages: names, emails, titles, goals
    data: set[str] = field(default_factory=set)


def _data_values() -> set[str]:
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        if table.name in _NOT_DATA:
            continue
        for column in table.columns:
            # an enum's value is a state, shown through a label: not data to skip
            if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                rows = db.session.execute(select(column).distinct().limit(2000)).scalars()
                values.update(v.strip() for v in rows if isinstance(v, str) and len(v) < 400)
    return {v for v in values if len(v) > 2 and re.search(r"[A-Za-z]{2}", v)}


def _more_mail() -> list[str]:
    """What the demo does not send, through the services that send it: a term closed and
    reviewed with the week's report (the privacy tests' world), a rollout launched (the
    invitations) and one learner's pledge (the confirmation, the manager's request)."""
    from app.approvals.emails import decision_url
    from app.calls.models import CallSession
    from app.calls.services import question_url
    from app.freshlinks.services import send_fresh_link
    from app.journey.services import journey_url_for, send_week
    from app.rollouts.onboarding import (
        COMMIT_PURPOSE,
        commit_enrollment,
        commit_url,
        remind_uncommitted,
        send_invitations,
    )
    from app.rollouts.services import launch_rollout
    from app.terms.buddies import due_buddy_signoffs
    from app.weeks import week_label
    from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region
    from tests.privacy.test_aggregate_policy import build
    from tests.progress.helpers import make_course

    world = build("fr")
    rollout = RolloutFactory(region_id=region("de").id)
    manager = PersonFactory(region_id=rollout.region_id, name="Maria Manager")
    enrollment, waiting = (
        EnrollmentFactory(
            rollout=rollout,
            person=PersonFactory(region_id=rollout.region_id, manager_id=manager.id),
        )
        for _ in range(2)
    )
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    # what the launch's job runs (no worker: the demo queues jobs that would reach out,
    # a connector's sync among them)
    send_invitations(region=rollout.region, rollout=rollout)
    commit_enrollment(region=rollout.region, enrollment=enrollment, goal="Lead the data team")
    send_week(region=rollout.region, week=week_label(datetime.now(UTC).date()))  # journey/weekly
    later = datetime.now(UTC) + timedelta(days=14)
    remind_uncommitted(region=rollout.region, now=later + timedelta(days=(7 - later.weekday()) % 7))
    send_fresh_link(token=commit_url(waiting).rsplit("/", 1)[1], purpose=COMMIT_PURPOSE)
    with time_machine.travel(TERM_ENDED, tick=False):
        course = make_course("us")
        due_buddy_signoffs(region=course.rollout.region, now=TERM_ENDED)
    db.session.commit()
    session = db.session.get(CallSession, world.values["session_id"])
    return [
        decision_url(recipient_id=manager.id, rollout_id=rollout.id),
        question_url(session, world.values["person_id"]),
        *(
            journey_url_for(enrollment.id, enrollment.person_id, page)
            for page in ("page", "pause", "resume")
        ),
    ]


def email_kinds() -> list[str]:
    """Every email kind: a folder of email_templates/ with a subject (not the test one)."""
    return sorted(
        p.parent.relative_to(EMAILS).as_posix()
        for p in EMAILS.rglob("subject.txt")
        if not p.parent.relative_to(EMAILS).as_posix().startswith("_")
    )


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list | tuple):
        return {s for v in value for s in _strings(v)}
    return set()


def _render_other_kinds(rendered: Rendered) -> None:
    """The kinds the services above did not send: rendered by ``render_email`` (what the
    outbox calls) with the contexts their capability's email tests use."""
    from tests.approvals.test_emails import CASES
    from tests.calls.test_emails_and_jobs import CONTEXT as CALLS
    from tests.masterclasses.test_emails import CONTEXT as MASTERCLASSES
    from tests.terms.test_emails import CONTEXT as TERMS

    contexts: dict[str, dict[str, Any]] = {
        **dict(CASES),
        **{kind: CALLS for kind in email_kinds() if kind.startswith("calls/")},
        **{kind: MASTERCLASSES for kind in email_kinds() if kind.startswith("masterclasses/")},
        **{kind: TERMS for kind in email_kinds() if kind.startswith("terms/")},
        "connectors/failed": {  # the context of app.connectors.services._tell_leads
            "lead_name": "Marion Kremer",
            "program_title": "Software Engineer of the Future",
            "region_name": "Germany",
            "platform": "https://courses.example.com",
            "error": "HTTP 503",
            "connector_url": f"{BASE}/r/de/rollouts/sef-de/progress/connector",
        },
    }
    for kind in email_kinds():
        if kind in rendered.emails or kind not in contexts:
            continue
        email = render_email(kind, locale=rendered.locale, context=contexts[kind])
        rendered.emails[kind] = (email.subject, email.text, email.html)
        rendered.data |= _strings(contexts[kind])


def _expired_pages(client: Any, rendered: Rendered, path: str, token: str) -> None:
    """The page of a link 500 days old, and the fresh-link form it points to."""
    with time_machine.travel(datetime.now(UTC) + timedelta(days=500)):
        expired = client.get(path)
        assert expired.status_code == 410, path
        html = expired.get_data(as_text=True)
        rendered.pages["links.expired"] = (path, "link, 500 days later", html)
        purpose = re.search(r'/links/fresh/([^/"]+)/', html)
        if purpose is None:  # nobody to send a fresh link to: the next link's page shows it
            return
        fresh = f"/links/fresh/{purpose.group(1)}/{token}"
        rendered.pages["links.fresh_link_form"] = (
            fresh,
            "link",
            client.get(fresh).get_data(as_text=True),
        )


def _path(rule: Any, values: dict[str, Any]) -> str | None:
    path = rule.rule
    for arg in rule.arguments:
        if values.get(arg) is None:
            return None
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(values[arg]), path)
    return path


def _html(response: Any) -> str | None:
    if response.status_code == 200 and response.mimetype == "text/html":
        return response.get_data(as_text=True)
    return None


def render_everything(app: Any, locale: str, catalogs: Path | None) -> Rendered:
    """Build the demo for readers of ``locale`` and render all its pages and emails: in a
    pseudo catalog built into ``catalogs``, or in the shipped catalog when it is None."""
    from app.demo.services import seed_demo

    lang = locale.split("_")[0]
    if catalogs is not None:
        build_catalog(locale, catalogs)
        language.add_test_catalog(lang, locale, str(catalogs))
    rendered = Rendered(locale)
    try:
        with app.app_context():
            get_redis(app).flushdb()  # no page cached in another language
            regions = {r.id: r.locale for r in db.session.scalars(select(Region))}
            db.session.execute(update(Region).values(locale=locale))
            try:
                seed_demo()
                extra_links = _more_mail()
                db.session.execute(update(Person).values(locale=locale))
                db.session.execute(update(StaffUser).values(locale=locale))
                db.session.commit()
                _render(app, rendered, extra_links)
            finally:
                db.session.rollback()
                _empty_tables()  # what the suite does after each test: the next locale builds anew
                for region_id, original in regions.items():
                    db.session.execute(
                        update(Region).where(Region.id == region_id).values(locale=original)
                    )
                db.session.commit()
    finally:
        if catalogs is not None:
            language.remove_test_catalog(lang)
    return rendered


def _candidate_review() -> dict[str, Any]:
    """A free-rider candidate's review in a German rollout (its confirmation page)."""
    from app.programs.models import Term
    from app.rollouts.models import Enrollment, Rollout
    from app.terms.models import TermReview, Verdict

    row = db.session.execute(
        select(Rollout.slug, Term.number, TermReview.id)
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .join(Term, Term.id == TermReview.term_id)
        .where(
            TermReview.region_id == region("de").id,
            TermReview.verdict == Verdict.FREE_RIDER_CANDIDATE,
        )
        .order_by(TermReview.id)
        .limit(1)
    ).first()
    return {"slug": row.slug, "number": row.number, "review_id": row.id} if row else {}


def _render(app: Any, rendered: Rendered, extra_links: list[str]) -> None:
    rendered.data = _data_values()
    unsubscribe = []
    for mail in db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)):
        rendered.emails.setdefault(mail.kind, (mail.subject, mail.text_body, mail.html_body))
        rendered.data.add(mail.subject)  # the mailbox lists it (checked on the email itself)
        unsubscribe += re.findall(
            r"<(http[^>]+)>", (mail.headers or {}).get("List-Unsubscribe", "")
        )
    values = _values()
    imports = select(ProgressImport.id).where(ProgressImport.region_id == region("de").id)
    _OVERRIDES["progress"] = {"import_id": db.session.scalars(imports.limit(1)).first()}
    # the invitation as the learners of the pseudo-locale will read it
    _OVERRIDES["rollout_actions.invitation_preview"] = {"lang": rendered.locale.split("_")[0]}
    _OVERRIDES["terms.confirm_page"] = _candidate_review()
    staff = {
        role: db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one().id
        for role, email in ROLES.items()
    }
    links = sorted(
        {
            urlsplit(url).path
            for url in [
                *extra_links,
                *unsubscribe,
                *(u for _s, _t, h in rendered.emails.values() for u in _HREF.findall(h)),
            ]
        }
    )
    _render_other_kinds(rendered)  # after the links: theirs are made up
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = rendered.locale.replace("_", "-")
    adapter = app.url_map.bind("summit.test")
    for path in links:
        endpoint, args = adapter.match(path)
        if endpoint in rendered.pages:
            continue
        response = client.get(path)
        if response.status_code == 410:  # the buddy's link was sent in the course's October
            with time_machine.travel(TERM_ENDED + timedelta(days=1), tick=False):
                response = client.get(path)
        if _html(response) is not None:
            rendered.pages[endpoint] = (path, "link", _html(response))
        if "token" in args and "links.fresh_link_form" not in rendered.pages:
            _expired_pages(client, rendered, path, args["token"])
    rules = sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if "GET" in (r.methods or ()) and r.endpoint != "static"
        ),
        key=lambda r: r.rule,
    )
    for role, user_id in staff.items():
        with client.session_transaction() as session:
            session.clear()
            session[SESSION_USER_KEY] = user_id
        for rule in rules:
            blueprint = rule.endpoint.split(".")[0]
            path = _path(
                rule,
                {**values, **_OVERRIDES.get(blueprint, {}), **_OVERRIDES.get(rule.endpoint, {})},
            )
            if rule.endpoint in rendered.pages or path is None:
                continue
            response = client.get(path)
            html = _html(response)
            if html is None:
                rendered.missing[rule.endpoint] = (
                    f"{path}: {response.status_code} {response.mimetype}"
                )
            else:
                rendered.pages[rule.endpoint] = (path, role, html)
                rendered.missing.pop(rule.endpoint, None)
