"""The reporting policy in every channel (issue 13, item 3).

In a region whose policy is ``aggregate`` (Germany here), nothing a sponsor can open or
receives names an individual's performance: no web page, report email, CSV export, stored
report, term outcome, call list, master-class list, rollout learner list or leaderboard.
The same data set in a ``named`` region (France) does name the confirmed free rider to the
sponsor, so the walk below would notice if it searched the wrong place.

The leaderboard is opt-in public recognition, but a ranked list of names is still
performance named to management: under ``aggregate`` a sponsor sees no leaderboard names.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.auth.models import Role
from app.calls.models import CallAttendance, CallQuestion, CallSession
from app.extensions import db
from app.mail.models import OutboundEmail
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.progress.models import ModuleProgress
from app.reports.models import Report
from app.reports.services import build_week
from app.rollouts.models import Enrollment, EnrollmentState, RolloutSponsor, RolloutStatus
from app.roster.models import RosterImport
from app.terms.closing import close_term
from app.terms.confirming import confirm_free_rider
from app.terms.models import ExcuseReason, TermReview, Verdict
from app.terms.review import excuse, tell_sponsors_if_reviewed
from tests.factories import PersonFactory, ProgramFactory, RolloutFactory, region, staff

WEEK = "2026-W48"
#: a moment inside the week after WEEK, when the report for WEEK is due
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

#: the learners: every one of these strings must stay out of an aggregate region's channels
LEARNERS = {
    "rider": ("Zelda Quintessa-Freerider", "zelda.quintessa@corp.example"),
    "excused": ("Eudora Plimpton-Excusee", "eudora.plimpton@corp.example"),
    "at_risk": ("Barnaby Hollowell-Laggard", "barnaby.hollowell@corp.example"),
    "done": ("Cornelius Oakhart-Finisher", "cornelius.oakhart@corp.example"),
    "active": ("Wilhelmina Fitzgerald-Caller", "wilhelmina.fitz@corp.example"),
}
SPONSOR_EMAIL = "{code}.sponsor@corp.example"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class World:
    code: str
    values: dict[str, Any]
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    global_sponsor: Any = None


def build(code: str) -> World:
    """One launched rollout in region ``code`` with a learner for each fate, run through
    term 1's close and review, the calls, approvals, master class and the week's report."""
    reg = region(code)
    lead = staff(Role.LOCAL_LEAD, code)
    program = ProgramFactory(structure=date(2026, 10, 12))  # T1 12 Oct–8 Nov, T2 to 6 Dec
    rollout = RolloutFactory(
        program=program, region_id=reg.id, status=RolloutStatus.LAUNCHED, launched_at=at(10, 5)
    )
    rollout.sponsors.append(
        RolloutSponsor(region_id=reg.id, name="Sam Sponsor", email=SPONSOR_EMAIL.format(code=code))
    )
    manager = PersonFactory(region_id=reg.id, name="Marta Managerin")
    started = [
        (EnrollmentState.COMMITTED, at(10, 6)),
        (EnrollmentState.TIME_APPROVED, at(10, 7)),
        (EnrollmentState.ACTIVE, at(10, 8)),
    ]
    world = World(code=code, values={})
    for key, (name, email) in LEARNERS.items():
        person = PersonFactory(region_id=reg.id, name=name, email=email, manager_id=manager.id)
        enrollment = Enrollment(
            region_id=reg.id,
            rollout_id=rollout.id,
            person_id=person.id,
            invited_at=at(10, 5),
            goal=f"{name} wants to lead the data team",
            leaderboard_opt_in=True,
        )
        db.session.add(enrollment)
        db.session.flush()
        for state, when in started:
            enrollment.transition(state, at=when)
        world.enrollments[key] = enrollment
    modules = {m.key: m for m in program.modules}
    done = world.enrollments["done"]
    for key, finished in (("done", 6), ("active", 2), ("at_risk", 2), ("excused", 0)):
        for i in range(1, finished + 1):
            db.session.add(
                ModuleProgress(
                    region_id=reg.id,
                    rollout_id=world.enrollments[key].rollout_id,
                    enrollment_id=world.enrollments[key].id,
                    module_id=modules[f"m{i}"].id,
                    percent=100.0,
                    completed=True,
                    observed_at=at(11, 1),
                    source="summit",
                )
            )
    done.transition(EnrollmentState.COMPLETED, at=at(11, 25))
    done.goal_reached = "reached"
    done.goal_comment = "Cornelius reached the goal"
    for key, status in (
        ("done", AllocationStatus.APPROVED),
        ("active", AllocationStatus.APPROVED),
        ("at_risk", AllocationStatus.DECLINED),
        ("rider", AllocationStatus.PENDING),
    ):
        db.session.add(
            TimeAllocation(
                region_id=reg.id,
                enrollment_id=world.enrollments[key].id,
                manager_id=manager.id,
                status=status,
                hours_requested=2.0,
                requested_at=at(10, 6),
                decided_at=None if status is AllocationStatus.PENDING else at(10, 7),
            )
        )
    past = CallSession(
        region_id=reg.id,
        rollout_id=rollout.id,
        series_date=date(2026, 11, 26),
        starts_at=at(11, 26, 15),
    )
    upcoming = CallSession(
        region_id=reg.id,
        rollout_id=rollout.id,
        series_date=date(2026, 12, 3),
        starts_at=at(12, 3, 15),
    )
    db.session.add_all([past, upcoming])
    db.session.flush()
    for key, attended in (("done", True), ("active", True), ("at_risk", False), ("rider", False)):
        db.session.add(
            CallAttendance(
                region_id=reg.id,
                session_id=past.id,
                enrollment_id=world.enrollments[key].id,
                attended=attended,
            )
        )
    question = CallQuestion(
        region_id=reg.id,
        session_id=upcoming.id,
        enrollment_id=world.enrollments["active"].id,
        text="How do I pass module 3?",
    )
    db.session.add(question)
    master_class = MasterClass(
        program_id=program.id,
        region_id=reg.id,
        title="Chaos engineering",
        starts_at=at(12, 10, 14),
        capacity=20,
    )
    db.session.add(master_class)
    db.session.flush()
    invitation = MasterClassInvitation(
        region_id=reg.id,
        master_class_id=master_class.id,
        enrollment_id=done.id,
        status=InvitationStatus.ACCEPTED,
        invited_at=at(11, 25),
        responded_at=at(11, 25, 12),
    )
    roster_import = RosterImport(
        region_id=reg.id, rollout_id=rollout.id, filename="roster.csv", sha256="0" * 64
    )
    db.session.add_all([invitation, roster_import])
    db.session.flush()

    # term 1 closes; its candidates are reviewed; the sponsors are told the outcome
    term = program.terms[0]
    close_term(region=reg, rollout=rollout, term=term, now=at(11, 10))
    reviews = {r.enrollment_id: r for r in db.session.scalars(select(TermReview)).all()}
    rider_review = reviews[world.enrollments["rider"].id]
    excused_review = reviews[world.enrollments["excused"].id]
    assert rider_review.verdict is Verdict.FREE_RIDER_CANDIDATE
    assert excused_review.verdict is Verdict.FREE_RIDER_CANDIDATE
    excuse(
        region=reg,
        review=excused_review,
        reason=ExcuseReason.LEAVE,
        note="Eudora was on parental leave",
        actor=lead,
        now=at(11, 11),
    )
    confirm_free_rider(
        region=reg, review=rider_review, actor=lead, reason="No module done", now=at(11, 11)
    )
    tell_sponsors_if_reviewed(region=reg, rollout=rollout, term=term, now=at(11, 11))
    world.global_sponsor = staff(Role.SPONSOR, None, email=SPONSOR_EMAIL.format(code="global"))
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        build_week(week=WEEK, send=True)
    db.session.commit()
    world.values = {
        "region": code,
        "slug": rollout.slug,
        "rollout_id": rollout.id,
        "enrollment_id": done.id,
        "person_id": done.person_id,
        "session_id": past.id,
        "question_id": question.id,
        "class_id": master_class.id,
        "invitation_id": invitation.id,
        "week": WEEK,
        "import_id": roster_import.id,
        "allocation_id": db.session.scalars(select(TimeAllocation.id)).first(),
        "review_id": rider_review.id,
        "number": term.number,
    }
    return world


def _fill(rule: Any, values: dict[str, Any]) -> str | None:
    path = rule.rule
    for arg in rule.arguments:
        if arg not in values:
            return None
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(values[arg]), path)
    return path


def _sponsor_walk(app: Any, client: Any, world: World) -> dict[str, str]:
    """Every GET page a sponsor can open: each route filled with the data set's ids, then
    every same-site link found on those pages (CSV downloads, pages, filters). Returns the
    body of each page that answered 200, by path."""
    start = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in (rule.methods or ()) or getattr(view, "summit_public", False):
            continue
        if rule.endpoint == "static":
            continue
        path = _fill(rule, world.values)
        if path is not None:
            start.append(path)
    seen: dict[str, str] = {}
    statuses: dict[str, int] = {}
    queue = deque(sorted(start))
    while queue and len(statuses) < 400:
        path = queue.popleft()
        if path in statuses:
            continue
        response = client.get(path)
        statuses[path] = response.status_code
        if response.status_code != 200:
            continue
        data = response.get_data()
        if data.startswith(b"\x89PNG"):
            continue  # the trend chart: a drawing of figures, no text
        body = data.decode("utf-8")
        seen[path] = body
        if response.mimetype != "text/html":
            continue
        for href in re.findall(r'href="([^"#]+)"', body):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != "localhost":
                continue
            if not parts.path.startswith("/") or parts.path.startswith("/static/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in statuses:
                queue.append(target)
    world.values["_statuses"] = statuses
    return seen


def _sponsor_mail(code: str) -> dict[str, str]:
    """Every email queued for the region's sponsors: subject, text, HTML and attachments."""
    texts = {}
    for email in db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == SPONSOR_EMAIL.format(code=code))
    ):
        parts = [email.subject, email.text_body, email.html_body or ""]
        parts += [
            a.data.decode("utf-8-sig", errors="replace")
            for a in email.attachments
            if not (a.content_type or "").startswith("image/")
        ]
        texts[f"email {email.kind} #{email.id}"] = "\n".join(parts)
    return texts


def _archive(code: str) -> dict[str, str]:
    texts = {}
    for report in db.session.scalars(
        select(Report).where((Report.region_id == region(code).id) | Report.region_id.is_(None))
    ):
        texts[f"report {report.scope} {report.week}"] = "\n".join(
            [report.html, report.text or "", report.csv or "", json.dumps(report.figures)]
        )
    return texts


def _leaks(places: dict[str, str]) -> list[str]:
    found = []
    for where, text in places.items():
        for name, email in LEARNERS.values():
            for needle in (name, email, name.split()[-1]):
                if needle in text:
                    found.append(f"{needle!r} in {where}")
    return found


def test_an_aggregate_region_names_nobody_in_any_channel(app, client, login_as):
    world = build("de")
    assert not region("de").names_individuals
    sponsor = staff(Role.SPONSOR, "de", email=SPONSOR_EMAIL.format(code="de"))
    with time_machine.travel(NOW, tick=False):
        login_as(sponsor)
        pages = _sponsor_walk(app, client, world)
    statuses = world.values["_statuses"]
    # the walk did reach every channel
    for path in (
        "/",
        "/r/de/",
        "/r/de/metrics",
        "/r/de/reports/",
        f"/r/de/reports/{WEEK}",
        f"/r/de/reports/{WEEK}/report.csv",
        f"/r/de/rollouts/{world.values['slug']}",
        f"/r/de/rollouts/{world.values['slug']}/calls",
        f"/r/de/rollouts/{world.values['slug']}/calls/{world.values['session_id']}",
        f"/r/de/rollouts/{world.values['slug']}/terms/1",
        f"/r/de/rollouts/{world.values['slug']}/terms/1/outcome.csv",
        f"/r/de/masterclasses/{world.values['class_id']}",
        "/r/de/leaderboard",
    ):
        assert statuses.get(path) == 200, (path, statuses.get(path))
    # what sponsors must not open at all
    for path in (
        "/audit/",
        "/privacy/people",
        "/r/de/approvals/",
        f"/r/de/approvals/{world.values['slug']}",
        f"/r/de/rollouts/{world.values['slug']}/learners",
        # the import page lists unknown learners' emails (issue 18)
        f"/r/de/rollouts/{world.values['slug']}/progress",
        f"/r/de/masterclasses/invitations/{world.values['invitation_id']}",
    ):
        assert statuses.get(path) == 403, (path, statuses.get(path))
    mail = _sponsor_mail("de")
    kinds = {where.split()[1] for where in mail}
    assert {"reports/regional", "terms/outcome"} <= kinds, kinds
    archive = _archive("de")
    assert archive
    assert len(pages) >= 20
    leaks = _leaks({**pages, **mail, **archive})
    assert leaks == [], "\n".join(leaks)
    # a global sponsor's league table and its email name nobody either
    global_pages = {}
    with time_machine.travel(NOW, tick=False):
        login_as(world.global_sponsor)
        for path in (
            "/reports/global/",
            f"/reports/global/{WEEK}",
            f"/reports/global/{WEEK}/report.csv",
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            global_pages[path] = response.get_data(as_text=True)
    global_mail = _sponsor_mail("global")
    assert global_mail
    assert _leaks({**global_pages, **global_mail}) == []
    # the counts still go up
    outcome = pages[f"/r/de/rollouts/{world.values['slug']}/terms/1"]
    assert re.search(r"Removed \(confirmed free riders\)</th><td[^>]*>1<", outcome)


def test_a_named_region_names_its_free_rider_to_the_sponsor(app, client, login_as):
    world = build("fr")
    assert region("fr").names_individuals
    sponsor = staff(Role.SPONSOR, "fr", email=SPONSOR_EMAIL.format(code="fr"))
    with time_machine.travel(NOW, tick=False):
        login_as(sponsor)
        pages = _sponsor_walk(app, client, world)
    rider = LEARNERS["rider"][0]
    slug = world.values["slug"]
    assert rider in pages[f"/r/fr/rollouts/{slug}/terms/1"]
    assert rider in pages[f"/r/fr/rollouts/{slug}/terms/1/outcome.csv"]
    mail = _sponsor_mail("fr")
    assert any(rider in text for where, text in mail.items() if "terms/outcome" in where)
    assert any(rider in text for where, text in mail.items() if "reports/regional" in where)
    assert rider in _archive("fr")[f"report region {WEEK}"]
    # the walk finds names where the policy allows them, so it would find a leak
    assert _leaks({**pages, **mail})
