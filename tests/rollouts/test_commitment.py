"""The learner's commit page (issue 25): the course, a buddy picked by name from the
rollout's committed learners, the study slot and its calendar file, "I can't take part"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events
import time_machine
from sqlalchemy import event, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.rollouts.buddies import pair_buddies
from app.rollouts.commitment import CommitError, buddy_choices, resolve_buddy
from app.rollouts.models import EnrollmentState
from app.rollouts.onboarding import commit_url
from app.rollouts.services import launch_rollout
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _rollout(**kw):  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(**kw)
    rollout.program.description = "Cloud basics for every engineer."
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    return rollout


def _learner(rollout, name, state=EnrollmentState.INVITED, **person):  # type: ignore[no-untyped-def]
    return EnrollmentFactory(
        rollout=rollout,
        person=PersonFactory(name=name, region_id=rollout.region_id, **person),
        state=state,
        goal="Learn it" if state is not EnrollmentState.INVITED else None,
    )


def test_the_page_shows_the_course_and_offers_only_this_rollouts_committed_names(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    _learner(rollout, "Berta Brandt", EnrollmentState.COMMITTED, employee_id="EMP-SECRET")
    _learner(rollout, "Carl Invited")  # not committed: not offered
    other = RolloutFactory(region_id=region("fr").id)
    _learner(other, "Fleur Paris", EnrollmentState.COMMITTED)  # another region's rollout
    db.session.commit()
    html = client.get(_path(commit_url(anna))).get_data(as_text=True)
    assert "Cloud basics for every engineer." in html
    assert 'href="https://learning.example.com/course"' in html
    assert "7. September 2026" in html  # the terms' dates in the learner's (German) locale
    assert "Ihr Buddy" in html and 'list="buddy-names"' in html
    datalist = html[html.index('<datalist id="buddy-names">') : html.index("</datalist>")]
    names = set(re.findall(r'<option value="([^"]+)">', datalist))
    assert "Berta Brandt" in names
    assert not names & {"Carl Invited", "Fleur Paris", "Anna Schulz"}
    assert "EMP-SECRET" not in html and "@example.com" not in html
    # honest about who reads the goal; the old promise is gone
    assert "Ihre Führungskraft liest Ihr Ziel" in html and "zurück" not in html


def test_naming_a_buddy_by_name_pairs_them_and_an_unknown_name_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    berta = _learner(rollout, "Berta Brandt", EnrollmentState.COMMITTED)
    db.session.commit()
    path = _path(commit_url(anna))
    token = _csrf(client.get(path).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "goal": "Move our batch jobs to the cloud",
        "study_weekday": "0",
        "study_time": "08:00",
        "study_zone": "Europe/Berlin",
    }
    refused = client.post(path, data={**form, "buddy": "Nobody Known"})
    assert refused.status_code == 400
    assert "Wir haben in diesem Programm niemanden namens „Nobody Known“ gefunden" in (
        refused.get_data(as_text=True)
    )
    db.session.expire_all()
    assert anna.state is EnrollmentState.INVITED
    # another rollout's learner, by id: refused the same way
    stranger = _learner(RolloutFactory(), "Sven Stranger", EnrollmentState.COMMITTED)
    db.session.commit()
    assert client.post(path, data={**form, "buddy": str(stranger.id)}).status_code == 400
    # by the name typed in full (a datalist, no JS) or by the list's value
    assert client.post(path, data={**form, "buddy": "berta brandt"}).status_code == 302
    db.session.expire_all()
    assert anna.requested_buddy == berta.person.employee_id
    pair_buddies(region=rollout.region, rollout=rollout)
    assert anna.buddy_group is not None and anna.buddy_group == berta.buddy_group


def test_i_cannot_take_part_reaches_the_lead(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    db.session.commit()
    path = _path(commit_url(anna))
    token = _csrf(client.get(path).get_data(as_text=True))
    empty = client.post(path, data={"csrf_token": token, "action": "decline", "reason": " "})
    assert empty.status_code == 400
    assert "warum Sie nicht teilnehmen können" in empty.get_data(as_text=True)
    form = {"csrf_token": token, "action": "decline", "reason": "On parental leave until May"}
    assert client.post(path, data=form).status_code == 302
    assert client.post(path, data=form).status_code == 302  # the second click: nothing new
    db.session.expire_all()
    assert anna.state is EnrollmentState.WITHDRAWN and anna.declined_at is not None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "enrollment.declined")
    ).all()
    assert len(events) == 1
    calm = client.get(path).get_data(as_text=True)
    assert "Vielen Dank für Ihre Nachricht" in calm and "Ich bin dabei" not in calm
    login_as(staff(Role.LOCAL_LEAD, "de"))
    overview = client.get(f"/r/de/rollouts/{rollout.slug}").get_data(as_text=True)
    assert "Anna Schulz" in overview and "On parental leave until May" in overview


def test_the_study_slot_drives_the_calendar_file_across_dst(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()  # program 7 Sep – 29 Nov 2026: Berlin leaves summer time on 25 Oct
    anna = _learner(rollout, "Anna Schulz", time_zone="America/New_York")
    db.session.commit()
    path = _path(commit_url(anna))
    html = client.get(path).get_data(as_text=True)
    # the learner's own zone is preselected (not the region's)
    assert re.search(r'<option value="America/New_York"\s+selected', html)
    assert client.get(path + "/study-time.ics").status_code == 404  # not committed yet
    form = {
        "csrf_token": _csrf(html),
        "goal": "Automate our deployments",
        "study_weekday": "2",
        "study_time": "07:30",
        "study_zone": "America/New_York",
    }
    assert client.post(path, data=form).status_code == 302
    done = client.get(path).get_data(as_text=True)
    assert "jeden Mittwoch um 07:30 (America/New_York)" in done
    response = client.get(path + "/study-time.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    [zone] = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"
    [event] = cal.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    starts = [
        e["DTSTART"].dt
        for e in recurring_ical_events.of(cal).between(date(2026, 9, 1), date(2026, 12, 31))
    ]
    assert len(starts) == 12 and {s.weekday() for s in starts} == {2}
    assert {s.strftime("%H:%M") for s in starts} == {"07:30"}  # wall clock kept
    # New York leaves summer time on 1 November: the UTC instant moves by an hour
    utc = {s.astimezone(UTC).strftime("%H:%M") for s in starts}
    assert utc == {"11:30", "12:30"}


def test_a_bad_slot_is_refused_and_a_get_changes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    db.session.commit()
    path = _path(commit_url(anna))
    html = client.get(path).get_data(as_text=True)
    bad = {
        "csrf_token": _csrf(html),
        "goal": "Something real",
        "study_weekday": "9",
        "study_time": "25:99",
        "study_zone": "Mars/Olympus",
    }
    response = client.post(path, data=bad)
    assert response.status_code == 400
    assert "Wählen Sie für Ihre wöchentliche Lernzeit" in response.get_data(as_text=True)
    db.session.expire_all()
    assert anna.state is EnrollmentState.INVITED and anna.study_weekday is None
    # without CSRF: refused
    assert client.post(path, data={**bad, "csrf_token": "x"}).status_code == 400


def test_an_expired_link_explains_itself_in_the_learners_language(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz", locale="fr_FR")
    db.session.commit()
    path = _path(commit_url(anna))
    later = datetime.now(UTC) + timedelta(days=400)
    with time_machine.travel(later):
        expired = client.get(path)
    assert expired.status_code == 410 and "Ce lien a expiré" in expired.get_data(as_text=True)


def test_the_study_block_of_the_approval_uses_the_learners_slot() -> None:
    from app.approvals.emails import study_block_start
    from app.approvals.models import TimeAllocation

    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz", EnrollmentState.COMMITTED)
    anna.study_weekday, anna.study_time, anna.study_time_zone = 0, time(9, 15), "Asia/Kolkata"
    allocation = TimeAllocation(enrollment=anna, region_id=anna.region_id, hours_requested=2.0)
    start = study_block_start(allocation)
    assert (start.date(), start.strftime("%H:%M"), str(start.tzinfo)) == (
        date(2026, 9, 7),
        "09:15",
        "Asia/Kolkata",
    )


def test_a_typed_buddy_is_looked_up_in_the_roster_and_nothing_is_half_saved(client) -> None:  # type: ignore[no-untyped-def]
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    _learner(rollout, "Max Müller", EnrollmentState.COMMITTED, email="max.mueller@example.com")
    weber = _learner(rollout, "Max Weber", EnrollmentState.COMMITTED, email="max.weber@example.com")
    ben = _learner(rollout, "Ben Annecy", email="ben.annecy@example.com")  # invited: on the roster
    _learner(RolloutFactory(), "Tom Fremd", EnrollmentState.COMMITTED, email="tom@example.com")
    db.session.commit()
    path = _path(commit_url(anna))
    token = _csrf(client.get(path).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "goal": "Move our batch jobs to the cloud",
        "study_weekday": "0",
        "study_time": "08:00",
        "study_zone": "Europe/Berlin",
    }
    several = client.post(path, data={**form, "buddy": "Max"})
    assert several.status_code == 400
    html = several.get_data(as_text=True)
    assert "Max Müller (max.m…@example.com)" in html and "Max Weber (max.w…@example.com)" in html
    assert 'value="Max"' in html  # what they typed stays in the box
    db.session.expire_all()
    assert anna.state is EnrollmentState.INVITED and anna.goal is None
    # another rollout's learner is nobody here
    assert client.post(path, data={**form, "buddy": "tom@example.com"}).status_code == 400
    # a work email picks one person, even one who has not committed yet
    assert client.post(path, data={**form, "buddy": "Max.Weber@example.com"}).status_code == 302
    db.session.expire_all()
    assert anna.requested_buddy == weber.person.employee_id
    assert ben.state is EnrollmentState.INVITED


class _Statements:
    """The SELECTs the database receives (counted at the engine, the edge)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append(statement)

    def __enter__(self) -> _Statements:
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(db.engine, "before_cursor_execute", self)


def test_buddy_lookups_are_one_bounded_query_with_the_same_messages() -> None:
    rollout = _rollout()
    anna = _learner(rollout, "Anna Schulz")
    for i in range(30):  # a big cohort of namesakes by prefix
        _learner(rollout, f"Max Zed{i:02d}", EnrollmentState.COMMITTED, email=f"mz{i}@example.com")
    exact = _learner(rollout, "Max", EnrollmentState.COMMITTED, email="max@example.com")
    maxine = _learner(rollout, "Maxine Ortiz", employee_id="E-ORTIZ", email="mo@example.com")
    _learner(rollout, "Gone Max", EnrollmentState.WITHDRAWN)
    _learner(RolloutFactory(), "Max Fremd", EnrollmentState.COMMITTED)  # another rollout
    db.session.commit()
    assert anna.rollout_id  # loaded again after the commit, before counting

    with _Statements() as statements:
        assert resolve_buddy(anna, "  max ") == exact  # the exact name wins over 31 prefixes
    assert len(statements.seen) == 1 and "LIMIT" in statements.seen[0].upper()
    assert resolve_buddy(anna, "e-ortiz") == maxine  # an employee id, any case
    assert resolve_buddy(anna, "MO@example.com") == maxine
    assert resolve_buddy(anna, str(exact.id)) == exact
    assert resolve_buddy(anna, "") is None

    # several people: the same message, the first ten by name
    with _Statements() as statements, pytest.raises(CommitError) as several:
        resolve_buddy(anna, "Max Z")
    assert len(statements.seen) == 1
    assert several.value.key == "buddy_ambiguous"
    assert str(several.value) == (
        "More than one person in this program fits “Max Z”: "
        + ", ".join(f"Max Zed{i:02d} (mz{i}…@example.com)" for i in range(10))
        + ". Type the full name or the work email of the one you mean."
    )
    with pytest.raises(CommitError) as part:  # the start of a name: who could be meant
        resolve_buddy(anna, "orti")
    assert str(part.value).startswith("More than one person in this program fits “orti”: Maxine")

    # nobody: the same message, for someone of another rollout or who left too
    for nobody in ("Max Fremd", "Gone Max", "Zoe", "100%"):
        with pytest.raises(CommitError) as unknown:
            resolve_buddy(anna, nobody)
        assert unknown.value.key == "buddy_unknown"
        assert str(unknown.value) == (
            f"We found nobody called “{nobody}” in this program. Type your buddy’s full name "
            "or work email, or leave the field empty and we pair you with someone."
        )

    with _Statements() as statements:
        offered = buddy_choices(anna)
    assert len(statements.seen) == 1 and "LIMIT" in statements.seen[0].upper()
    assert [name for _id, name in offered] == ["Max", *(f"Max Zed{i:02d}" for i in range(30))]
    assert [name for _id, name in buddy_choices(anna, "zed0")] == [
        f"Max Zed{i:02d}" for i in range(10)
    ]
    assert buddy_choices(anna, "ortiz") == []  # invited, not committed: never offered
