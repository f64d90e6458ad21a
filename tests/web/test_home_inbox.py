"""Each role's home: the lead's inbox items counted per region, never another region's."""

from datetime import timedelta

from app.approvals.models import AllocationStatus, TimeAllocation
from app.auth.models import Role
from app.calls.models import CallAttendance, CallQuestion, CallSession
from app.db import utcnow
from app.extensions import db
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.roster.models import ImportStatus, RosterImport
from app.terms.models import TermReview, Verdict
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff
from tests.statements import statements_during


def _launched(code: str, **kwargs):
    return RolloutFactory(
        region_id=region(code).id, status=RolloutStatus.LAUNCHED, launched_at=utcnow(), **kwargs
    )


def _learner(rollout, state=EnrollmentState.ACTIVE, *, manager=True, buddy=1):
    boss = PersonFactory(region_id=rollout.region_id) if manager else None
    person = PersonFactory(region_id=rollout.region_id, manager_id=boss.id if boss else None)
    return EnrollmentFactory(
        rollout=rollout,
        person=person,
        state=state,
        invited_at=utcnow() - timedelta(days=60),
        time_approved_at=utcnow() - timedelta(days=50),
        buddy_group=buddy,
    )


def _inbox_items(html: str, kind: str) -> list[str]:
    marker = f'data-kind="{kind}"'
    return [part.split("</li>")[0] for part in html.split(marker)[1:]]


def test_lead_inbox_counts_and_links_each_item_of_their_region_only(client, login_as):
    mine, theirs = _launched("de"), _launched("fr")
    for rollout in (mine, theirs):
        waiting = [_learner(rollout, EnrollmentState.COMMITTED) for _ in range(3)]
        for e in waiting:
            db.session.add(
                TimeAllocation(
                    region_id=rollout.region_id,
                    enrollment_id=e.id,
                    status=AllocationStatus.PENDING,
                    hours_requested=2,
                )
            )
        term = rollout.program.terms[0]
        for e in [_learner(rollout) for _ in range(2)]:
            db.session.add(
                TermReview(
                    region_id=rollout.region_id,
                    enrollment_id=e.id,
                    term_id=term.id,
                    verdict=Verdict.FREE_RIDER_CANDIDATE,
                )
            )
        _learner(rollout, manager=False)
        _learner(rollout, buddy=None)
        db.session.add(
            RosterImport(
                region_id=rollout.region_id,
                rollout_id=rollout.id,
                filename="roster.csv",
                sha256="0" * 64,
                status=ImportStatus.FAILED,
            )
        )
        db.session.add(
            CallSession(
                region_id=rollout.region_id,
                rollout_id=rollout.id,
                series_date=(utcnow() + timedelta(days=2)).date(),
                starts_at=utcnow() + timedelta(days=2),
            )
        )
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/").get_data(as_text=True)

    approvals = _inbox_items(html, "approvals")
    assert len(approvals) == 1 and ">3<" in approvals[0] and "/r/de/approvals/" in approvals[0]
    reviews = _inbox_items(html, "reviews")
    assert len(reviews) == 1 and ">2<" in reviews[0]
    assert f"/r/de/rollouts/{mine.slug}/terms/1/review" in reviews[0]
    failed = _inbox_items(html, "failed-roster")
    assert len(failed) == 1 and f"/r/de/rollouts/{mine.slug}/roster" in failed[0]
    no_manager = _inbox_items(html, "no_manager")
    # the managers themselves are people, not learners: one learner has none
    assert len(no_manager) == 1 and ">1<" in no_manager[0] and "stage=no_manager" in no_manager[0]
    no_buddy = _inbox_items(html, "no_buddy")
    assert len(no_buddy) == 1 and ">1<" in no_buddy[0]
    calls = _inbox_items(html, "next-call")
    assert len(calls) == 1 and f"/r/de/rollouts/{mine.slug}/calls/" in calls[0]
    stale = _inbox_items(html, "stale")
    assert len(stale) == 1  # launched, no progress data at all yet
    assert theirs.slug not in html and "/r/fr/" not in html


def test_lead_with_nothing_to_do_sees_an_empty_state(client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/").get_data(as_text=True)
    assert "Nothing waits for you" in html
    assert "No call is planned." in html


def test_expert_sees_next_call_questions_and_learners_missing_calls_in_a_row(client, login_as):
    expert = staff(Role.EXPERT, "de")
    rollout = _launched("de", expert_id=expert.id)
    other = _launched("fr")
    now = utcnow()
    present, absent = _learner(rollout), _learner(rollout)
    absent.person.name = "Absent Anna"
    for days in (21, 14, 7):
        held = CallSession(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            series_date=(now - timedelta(days=days)).date(),
            starts_at=now - timedelta(days=days),
        )
        db.session.add(held)
        db.session.flush()
        db.session.add(
            CallAttendance(
                region_id=rollout.region_id, session_id=held.id, enrollment_id=present.id
            )
        )
    upcoming = CallSession(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        series_date=(now + timedelta(days=3)).date(),
        starts_at=now + timedelta(days=3),
    )
    foreign = CallSession(
        region_id=other.region_id,
        rollout_id=other.id,
        series_date=(now + timedelta(days=1)).date(),
        starts_at=now + timedelta(days=1),
    )
    db.session.add_all([upcoming, foreign])
    db.session.flush()
    db.session.add(
        CallQuestion(
            region_id=rollout.region_id,
            session_id=upcoming.id,
            enrollment_id=present.id,
            text="How do I submit module 3?",
        )
    )
    login_as(expert)
    html = client.get("/").get_data(as_text=True)
    assert len(_inbox_items(html, "question")) == 1
    assert "How do I submit module 3?" in html
    absentees = _inbox_items(html, "absentee")
    assert len(absentees) == 1 and "Absent Anna" in absentees[0] and ">3<" in absentees[0]
    assert other.slug not in html


def test_global_admin_league_sorts_server_side(client, login_as):
    low, high = _launched("de"), _launched("fr")
    _learner(low)
    _learner(low, EnrollmentState.COMPLETED)
    _learner(high, EnrollmentState.COMPLETED)
    login_as(staff(Role.GLOBAL_ADMIN))
    html = client.get("/?sort=completion&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    assert html.index(high.program.title) < html.index(low.program.title)
    html = client.get("/?sort=completion&dir=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html
    assert html.index(low.program.title) < html.index(high.program.title)
    assert "50 %" in html or "50%" in html


def test_region_sponsor_sees_their_report_links_not_no_region(client, login_as):
    login_as(staff(Role.SPONSOR, "fr"))
    html = client.get("/").get_data(as_text=True)
    assert "You have no region yet" not in html
    assert "/r/fr/reports/" in html


def test_global_sponsor_gets_the_league_of_regions(client, login_as):
    sponsor = staff(Role.SPONSOR)
    assert [r.region_id for r in sponsor.roles] == [None]
    login_as(sponsor)
    html = client.get("/").get_data(as_text=True)
    assert "You have no region yet" not in html
    assert "/reports/global/" in html


def test_region_overview_sorts_by_completion(client, login_as):
    low, high = _launched("de"), _launched("de")
    _learner(low)
    _learner(high, EnrollmentState.COMPLETED)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/?sort=completion&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    assert html.index(f'rollouts/{high.slug}"') < html.index(f'rollouts/{low.slug}"')


def test_region_overview_has_no_trend_before_any_learner_was_invited(client, login_as):
    rollout = _launched("de")
    EnrollmentFactory(rollout=rollout, invited_at=utcnow() - timedelta(days=15))
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/").get_data(as_text=True)
    svg = html[
        html.index('id="region-trend-title"') : html.index(
            "</svg>", html.index('id="region-trend-title"')
        )
    ]
    # eight weeks are counted, only the two or three since the first invitation are drawn
    assert 1 <= svg.count('class="chart-marker"') <= 3
    assert ">—</text>" not in svg


def _statements(client, url: str) -> int:  # type: ignore[no-untyped-def]
    def load() -> None:
        assert client.get(url).status_code == 200

    return len(statements_during(load))


def _busy_rollout(code: str) -> None:
    rollout = _launched(code)
    for e in [_learner(rollout, EnrollmentState.COMMITTED), _learner(rollout, manager=False)]:
        db.session.add(
            TimeAllocation(
                region_id=rollout.region_id,
                enrollment_id=e.id,
                status=AllocationStatus.PENDING,
                hours_requested=2,
            )
        )
    db.session.add(
        CallSession(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            series_date=(utcnow() + timedelta(days=2)).date(),
            starts_at=utcnow() + timedelta(days=2),
        )
    )


def test_home_queries_do_not_grow_with_rollouts(client, login_as):
    """One statement per kind of item, whatever the number of rollouts and regions."""
    lead = staff(Role.LOCAL_LEAD, "de")
    lead.roles.append(type(lead.roles[0])(role=Role.LOCAL_LEAD, region_id=region("fr").id))
    admin = staff(Role.GLOBAL_ADMIN)
    _busy_rollout("de")
    login_as(lead)
    client.get("/")  # warm the per-process caches (regions, translations)
    few = _statements(client, "/")
    login_as(admin)
    client.get("/")
    few_admin = _statements(client, "/")
    for code in ("de", "fr", "de", "fr"):
        _busy_rollout(code)
    login_as(lead)
    client.get("/")
    assert _statements(client, "/") == few
    login_as(admin)
    client.get("/")
    assert _statements(client, "/") == few_admin


def test_a_failed_import_leaves_the_inbox_once_a_later_one_succeeds(client, login_as):
    from app.progress.models import ImportStatus as ProgressStatus
    from app.progress.models import ProgressImport

    rollout = _launched("de")
    failed = ProgressImport(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        filename="progress.csv",
        status=ProgressStatus.FAILED,
        created_at=utcnow() - timedelta(days=2),
    )
    db.session.add(failed)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/").get_data(as_text=True)
    (item,) = _inbox_items(html, "failed-progress")
    assert f"/r/de/rollouts/{rollout.slug}/progress" in item
    db.session.add(
        ProgressImport(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            filename="progress-fixed.csv",
            status=ProgressStatus.DONE,
            created_at=utcnow() - timedelta(days=1),
        )
    )
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert _inbox_items(html, "failed-progress") == []


def _reference_order(rows, sort, descending):
    """The league's order as the page promised it when it sorted in Python: rows without a
    figure last, then the figure, the region's name, the program's title, in the direction
    asked (rows without a figure by region and program in that direction too)."""
    key = {
        "region": lambda r: r.region_name.casefold(),
        "program": lambda r: r.program.casefold(),
        "status": lambda r: r.status,
        "learners": lambda r: r.learners,
        "completion": lambda r: r.completion,
        "pace": lambda r: r.pace,
        "trend": lambda r: r.trend,
    }[sort]
    known = sorted(
        (r for r in rows if key(r) is not None),
        key=lambda r: (key(r), r.region_name, r.program),
        reverse=descending,
    )
    unknown = sorted(
        (r for r in rows if key(r) is None),
        key=lambda r: (r.region_name, r.program),
        reverse=descending,
    )
    return known + unknown


def test_the_league_sorts_and_pages_in_the_database_in_one_order():
    from app.web.inbox import SORT_KEYS, league, league_page

    a, b, c, d, e, f = (_launched(code) for code in ("de", "de", "fr", "fr", "in", "in"))
    g = RolloutFactory(region_id=region("de").id, status=RolloutStatus.DRAFT)
    for rollout, states in (
        (a, [EnrollmentState.ACTIVE, EnrollmentState.COMPLETED]),
        (b, [EnrollmentState.COMPLETED]),
        (c, [EnrollmentState.ACTIVE] * 3),
        (e, [EnrollmentState.ACTIVE] * 3 + [EnrollmentState.COMPLETED]),
        (f, [EnrollmentState.ACTIVE, EnrollmentState.COMPLETED]),  # ties with a
        (g, [EnrollmentState.WITHDRAWN]),  # nobody left to complete: no rate
    ):
        for state in states:
            _learner(rollout, state)
    db.session.commit()
    now = utcnow()
    rows = league(None, now)
    by_slug = {r.slug: r for r in rows}
    assert [by_slug[x.slug].completion for x in (a, b, c, d, e, f, g)] == [
        0.5,
        1.0,
        0.0,
        None,
        0.25,
        0.5,
        None,
    ]
    assert by_slug[a.slug].learners == 2 and by_slug[g.slug].learners == 0
    assert by_slug[d.slug].pace is None and by_slug[a.slug].trend == 0.5
    for sort in SORT_KEYS:
        for descending in (True, False):
            whole = league(None, now, sort=sort, descending=descending)
            assert whole == _reference_order(whole, sort, descending), (sort, descending)
            pages, totals = [], set()
            for page in range(1, 6):
                got, total = league_page(
                    None, now, sort=sort, descending=descending, page=page, page_size=2
                )
                pages += got
                totals.add(total)
            assert pages == whole and totals == {7}, (sort, descending)
    # a region's league holds only its rollouts, in the same order
    german = league([region("de").id], now, sort="completion")
    assert [r.slug for r in german] == [b.slug, a.slug, g.slug]
