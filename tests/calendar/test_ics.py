from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from app.ics import Attendee, InviteEvent, build_calendar


def test_invite_carries_vtimezone_and_keeps_the_instant():
    starts = datetime(2026, 10, 29, 15, 0, tzinfo=UTC)  # 16:00 in Berlin after the DST change
    data = build_calendar(
        [
            InviteEvent(
                uid="call-1@summit",
                summary="Weekly expert call",
                starts_at=starts,
                duration=timedelta(minutes=45),
                time_zone="Europe/Berlin",
                sequence=2,
                attendees=(Attendee("a@example.com", "Anna Müller"),),
            )
        ],
        organizer_email="summit@example.com",
    )
    cal = Calendar.from_ical(data)
    assert cal["method"] == "REQUEST"
    tz = [c for c in cal.walk("VTIMEZONE")]
    assert [str(t["tzid"]) for t in tz] == ["Europe/Berlin"]
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtstart").hour == 16
    assert event["sequence"] == 2
    assert "Anna Müller" in event["attendee"].params["cn"]


def test_a_recurring_event_with_exdate_and_an_override_in_one_zone():
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 15, 16, 0, tzinfo=berlin)
    common = {
        "uid": "series@summit",
        "summary": "Weekly expert call",
        "duration": timedelta(minutes=45),
        "time_zone": "Europe/Berlin",
        "sequence": 3,
    }
    data = build_calendar(
        [
            InviteEvent(
                starts_at=first.astimezone(UTC),
                rrule={
                    "freq": "weekly",
                    "byday": "TH",
                    "until": datetime(2026, 11, 5, 15, 0, tzinfo=UTC),
                },
                # given in UTC, written as Berlin wall time like DTSTART (after the DST change)
                exdates=(datetime(2026, 10, 29, 15, 0, tzinfo=UTC),),
                **common,
            ),
            InviteEvent(
                starts_at=datetime(2026, 10, 23, 7, 30, tzinfo=UTC),
                recurrence_id=datetime(2026, 10, 22, 14, 0, tzinfo=UTC),
                **common,
            ),
        ],
        organizer_email="summit@example.com",
    )
    text = data.decode()
    assert "RRULE:FREQ=WEEKLY;UNTIL=20261105T150000Z;BYDAY=TH" in text
    assert "EXDATE;TZID=Europe/Berlin:20261029T160000" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20261022T160000" in text
    cal = Calendar.from_ical(data)
    master, moved = cal.walk("VEVENT")
    assert str(master["uid"]) == str(moved["uid"]) and master["sequence"] == moved["sequence"] == 3
    assert "rrule" not in moved and "exdate" not in moved
    assert moved.decoded("dtstart") == datetime(2026, 10, 23, 9, 30, tzinfo=berlin)


def test_the_zone_is_written_as_a_yearly_rule_that_matches_the_tz_database():
    from app.ics import yearly_timezone

    starts = datetime(2026, 10, 29, 15, 0, tzinfo=UTC)
    data = build_calendar(
        [
            InviteEvent(
                uid="call-1@summit",
                summary="Weekly expert call",
                starts_at=starts,
                duration=timedelta(minutes=45),
                time_zone="America/New_York",
                rrule={"freq": "weekly", "byday": "TH", "count": 10},
            )
        ],
        organizer_email="summit@example.com",
    )
    text = data.decode()
    # Outlook derives a recurring series' zone from yearly rules, not from a list of dates
    assert "RDATE" not in text and text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")
    [tz] = Calendar.from_ical(data).walk("VTIMEZONE")
    rules = {c.name: c["rrule"] for c in tz.subcomponents}
    assert rules["DAYLIGHT"]["bymonth"] == [3] and rules["DAYLIGHT"]["byday"] == ["2SU"]
    assert rules["STANDARD"]["bymonth"] == [11] and rules["STANDARD"]["byday"] == ["1SU"]
    for name in ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"):
        written = yearly_timezone(name).to_tz()
        zone = ZoneInfo(name)
        for day in range(0, 2 * 365, 5):
            instant = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
            assert instant.astimezone(written).utcoffset() == instant.astimezone(zone).utcoffset()
