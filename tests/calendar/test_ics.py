from datetime import UTC, datetime, timedelta

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
