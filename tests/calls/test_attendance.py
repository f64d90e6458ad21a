import codecs
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.calls import services
from app.calls.attendance import import_report, min_attendance_minutes, record_attendance
from app.calls.attendance_report import AttendanceFileError, parse_duration, parse_report
from app.calls.models import CallAttendance
from app.calls.queries import learner_rates, missed_calls_in_a_row, session_rates
from app.extensions import db
from tests.calls.helpers import learner, make_rollout, sign_in

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
AFTER_FIVE_CALLS = datetime(2026, 10, 9, 12, 0, tzinfo=UTC)

TEAMS_NEW = """1. Summary
Meeting title\tSoftware Engineer of the Future: weekly expert call
Attended participants\t5
Start time\t9/10/26, 4:00:12 PM
End time\t9/10/26, 4:52:40 PM
Meeting duration\t52m 28s

2. Participants
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole
Expert de\t9/10/26, 3:58:01 PM\t9/10/26, 4:52:40 PM\t54m 39s\texpert.de@example.com\texpert.de@example.com\tOrganizer
Anna Müller\t9/10/26, 4:00:12 PM\t9/10/26, 4:45:00 PM\t44m 48s\tAnna@Example.com\tanna@example.com\tAttendee
Tim Berger\t9/10/26, 4:05:00 PM\t9/10/26, 4:50:00 PM\t1h 2m 3s\t\ttim.berger@corp.onmicrosoft.com\tAttendee
Anna Müller\t9/10/26, 4:46:00 PM\t9/10/26, 4:50:00 PM\t4m\tanna@example.com\tanna@example.com\tAttendee
Guest From Vendor\t9/10/26, 4:10:00 PM\t9/10/26, 4:20:00 PM\t10m\tguest@vendor.example\t\tAttendee

3. In-Meeting Activities
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole
Anna Müller\t9/10/26, 4:00:12 PM\t9/10/26, 4:45:00 PM\t44m 48s\tanna@example.com\tAttendee
"""  # noqa: E501

TEAMS_LEGACY = """Full Name\tUser Action\tTimestamp
Anna Müller\tJoined\t9/10/2026, 4:00:12 PM
Anna Müller\tLeft\t9/10/2026, 4:30:12 PM
Anna Müller\tJoined\t9/10/2026, 4:35:00 PM
Anna Müller\tLeft\t9/10/2026, 4:45:00 PM
Somebody Else\tJoined\t9/10/2026, 4:01:00 PM
"""


def _utf16(text: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")


def _rollout_with_learners():
    with time_machine.travel(BEFORE_START, tick=False):
        rollout = make_rollout("de")
        anna = learner(rollout, name="Anna Müller", email="anna@example.com")
        tim = learner(rollout, name="Tim Berger", email="tim@example.com")
        ida = learner(rollout, name="Ida Roth", email="ida@example.com")
        services.generate_series(region=rollout.region, rollout=rollout, notify=False)
    return rollout, anna, tim, ida


def test_teams_utf16_report_with_host_duplicate_and_unknown_rows():
    rollout, anna, tim, ida = _rollout_with_learners()
    session = services.sessions_of(rollout.id)[0]
    data = _utf16(TEAMS_NEW)
    result = import_report(region=rollout.region, session=session, data=data, actor=None)
    assert result.format == "teams"
    assert result.matched == 2  # Anna by email (any case), Tim by his unambiguous name
    assert result.hosts == 1
    assert result.duplicates == [(13, "Anna Müller")]
    assert result.unknown == [(14, "Guest From Vendor", "guest@vendor.example")]
    rows = {
        a.enrollment_id: a
        for a in db.session.scalars(
            select(CallAttendance).where(CallAttendance.session_id == session.id)
        )
    }
    assert rows[anna.id].minutes == 49 and rows[anna.id].attended
    assert rows[tim.id].minutes == 62
    assert ida.id not in rows
    # the same file again changes nothing
    again = import_report(region=rollout.region, session=session, data=data, actor=None)
    assert again.matched == 2
    assert db.session.scalars(select(CallAttendance)).all().__len__() == 2


def test_legacy_teams_export_pairs_joins_and_leaves():
    fmt, rows = parse_report(_utf16(TEAMS_LEGACY))
    assert fmt == "teams-legacy"
    assert [(r.name, r.minutes) for r in rows] == [("Anna Müller", 40), ("Somebody Else", None)]


def test_durations_and_unreadable_files():
    assert parse_duration("1h 2m 3s") == 62
    assert parse_duration("45m 40s") == 46
    assert parse_duration("0:44:48") == 45
    assert parse_duration("") is None
    with pytest.raises(AttendanceFileError):
        parse_report(b"just,some,columns\n1,2,3\n")


def test_plain_csv_upload_through_the_page(client, csrf_token, login_as):
    rollout, *_ = _rollout_with_learners()
    session = services.sessions_of(rollout.id)[0]
    csv = (
        "name,email,join,leave\n"
        "Anna Müller,anna@example.com,2026-09-10 16:00,2026-09-10 16:40\n"
        "Anna Müller,anna@example.com,2026-09-10 16:41,2026-09-10 16:45\n"
        '=HYPERLINK("x"),<b>who@else.example</b>,2026-09-10 16:00,2026-09-10 16:10\n'
        "Tim Berger,tim@example.com,2026-09-10 16:05,2026-09-10 16:45\n"
    ).encode()
    sign_in(login_as, rollout.expert)
    path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
    from io import BytesIO

    response = client.post(
        f"{path}/attendance/upload",
        data={"csrf_token": csrf_token(path), "report": (BytesIO(csv), "attendance.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 learners marked present" in html
    assert "Duplicate rows (1)" in html and "Rows matching nobody invited (1)" in html
    assert "&lt;b&gt;who@else.example&lt;/b&gt;" in html
    db.session.expire_all()
    assert session_rates(rollout.id)[session.id].attended == 2

    bad = client.post(
        f"{path}/attendance/upload",
        data={"csrf_token": csrf_token(path), "report": (BytesIO(b"nothing"), "x.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "No participants table found" in bad.get_data(as_text=True)


def test_attendance_rates_and_missed_calls_in_a_row(client, csrf_token, login_as):
    rollout, anna, tim, ida = _rollout_with_learners()
    sessions = services.sessions_of(rollout.id)
    everyone = [anna.id, tim.id, ida.id]
    present = [
        [anna.id, tim.id, ida.id],
        [anna.id, ida.id],
        [anna.id, ida.id],
        [anna.id],
    ]
    for session, here in zip(sessions[:3], present[:3], strict=False):
        record_attendance(
            region=rollout.region, session=session, present=here, listed=everyone, actor=None
        )
    # the fourth through the page's form
    with time_machine.travel(AFTER_FIVE_CALLS, tick=False):
        sign_in(login_as, rollout.expert)
        path = f"/r/de/rollouts/{rollout.slug}/calls/{sessions[3].id}"
        page = client.get(path).get_data(as_text=True)
        assert "Anna Müller" in page and "Ida Roth" in page
        client.post(
            f"{path}/attendance",
            data={"csrf_token": csrf_token(path), "present": [str(anna.id)], "listed": everyone},
        )
        db.session.expire_all()
        missed = missed_calls_in_a_row(rollout_id=rollout.id)
        assert missed == {anna.id: 0, tim.id: 3, ida.id: 1}
        rates = session_rates(rollout.id)
        assert [rates[s.id].attended for s in sessions[:5]] == [3, 2, 2, 1, 0]
        assert rates[sessions[3].id].rate == pytest.approx(1 / 3)
        assert rates[sessions[4].id].recorded is False  # held but not recorded: not counted
        page, total = learner_rates(rollout_id=rollout.id)
        assert total == 3
        by_name = {r.name: (r.held, r.attended, r.missed_in_a_row) for r in page}
        assert by_name == {"Anna Müller": (4, 4, 0), "Ida Roth": (4, 3, 1), "Tim Berger": (4, 1, 3)}
        dashboard = client.get(f"/r/de/rollouts/{rollout.slug}/calls").get_data(as_text=True)
        assert "Tim Berger" in dashboard and 'badge badge-warn">3<' in dashboard


def test_a_german_teams_export_and_a_semicolon_csv_from_excel():
    german = (
        "1. Zusammenfassung\n"
        "Besprechungstitel\tWöchentlicher Expertencall\n"
        "\n"
        "2. Teilnehmer\n"
        "Name\tErster Beitritt\tLetztes Verlassen\tDauer in der Besprechung\tE-Mail\t"
        "Teilnehmer-ID (UPN)\tRolle\n"
        "Anna Müller\t10.9.2026, 16:00:12\t10.9.2026, 16:45:00\t44 Min. 48 Sek.\t"
        "anna@example.com\tanna@example.com\tTeilnehmer\n"
        "Stefan Brandt\t10.9.2026, 15:58:00\t10.9.2026, 16:50:00\t1 Std. 2 Min.\t"
        "stefan@example.com\tstefan@example.com\tOrganisator\n"
    )
    fmt, rows = parse_report(_utf16(german))
    assert fmt == "teams"
    assert [(r.name, r.email, r.minutes, r.role) for r in rows] == [
        ("Anna Müller", "anna@example.com", 45, "teilnehmer"),
        ("Stefan Brandt", "stefan@example.com", 62, "organisator"),
    ]
    excel = (
        "\ufeffName;E-Mail;Beitrittszeit;Zeitpunkt des Verlassens\n"
        "Ida Roth;ida@example.com;16:00;16:30\n"
    )
    fmt, rows = parse_report(excel.encode("utf-8"))
    assert fmt == "csv" and [(r.email, r.minutes) for r in rows] == [("ida@example.com", 30)]


# the new Teams report (see TEAMS_NEW above): Ida looked in for 2 min 50 s
TEAMS_SHORT_VISIT = TEAMS_NEW.replace(
    "Guest From Vendor\t9/10/26, 4:10:00 PM\t9/10/26, 4:20:00 PM\t10m\tguest@vendor.example\t\tAttendee",  # noqa: E501
    "Ida Roth\t9/10/26, 4:01:00 PM\t9/10/26, 4:03:50 PM\t2m 50s\tida@example.com\tida@example.com\tAttendee",  # noqa: E501
)


def test_a_visit_under_the_regions_minimum_is_not_present_and_the_page_says_why(
    client, csrf_token, login_as
):
    rollout, anna, _tim, ida = _rollout_with_learners()
    session = services.sessions_of(rollout.id)[0]
    assert min_attendance_minutes(rollout.region) == 10  # the default
    result = import_report(
        region=rollout.region, session=session, data=_utf16(TEAMS_SHORT_VISIT), actor=None
    )
    assert result.matched == 2 and result.too_short == [("Ida Roth", 170)]
    rows = {
        a.enrollment_id: a
        for a in db.session.scalars(
            select(CallAttendance).where(CallAttendance.session_id == session.id)
        )
    }
    assert not rows[ida.id].attended and rows[ida.id].seconds == 170
    assert rows[anna.id].attended and rows[anna.id].seconds == 44 * 60 + 48 + 4 * 60
    db.session.commit()
    sign_in(login_as, rollout.expert)
    path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
    html = client.get(path).get_data(as_text=True)
    assert "2 min 50 s, under the 10-minute minimum" in html
    assert "Marked present:" in html

    # a region that counts from 2 minutes counts her
    rollout.region.settings = {**rollout.region.settings, "calls": {"min_attendance_minutes": 2}}
    db.session.flush()
    again = import_report(
        region=rollout.region, session=session, data=_utf16(TEAMS_SHORT_VISIT), actor=None
    )
    assert again.matched == 3 and again.too_short == []
    db.session.refresh(rows[ida.id])
    assert rows[ida.id].attended


def test_select_all_and_search_work_without_javascript(client, login_as):
    rollout, *_ = _rollout_with_learners()
    session = services.sessions_of(rollout.id)[0]
    db.session.commit()
    sign_in(login_as, rollout.expert)
    path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
    everyone = client.get(f"{path}?select=all").get_data(as_text=True)
    assert everyone.count(" checked>") == 3
    found = client.get(f"{path}?q=ROTH").get_data(as_text=True)
    assert "Ida Roth" in found and "Anna Müller" not in found
    assert client.get(f"{path}?q=%25").status_code == 200
