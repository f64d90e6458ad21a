"""The call series as one recurring calendar event (RFC 5545/5546), from the sessions.

Every calendar file Summit sends about a rollout's calls describes the WHOLE series:
one master VEVENT (UID ``call-series-<rollout>@summit``) with DTSTART/DTEND in the
region's zone, ``RRULE:FREQ=WEEKLY;BYDAY=..;UNTIL=..`` on the rollout's weekly slot,
one EXDATE line (same TZID, same local time as DTSTART) for weeks without a call
(a holiday the region cancels, a session cancelled by hand), and an override VEVENT
(same UID, RECURRENCE-ID = the slot's start) for each session held at another time,
day, length or link (a holiday moved to the next business day, a session moved by hand,
weeks before a change of the slot). That is the shape Outlook itself sends for a
recurring meeting; Outlook imports only the first VEVENT of a file otherwise
([MS-STANOICAL] 2.2.175), so one event per session showed Outlook users one call.

Because each file is the whole series, a late joiner and an update carry the same
thing, and a client that missed a message is put right by the next one. SEQUENCE is
derived from the sessions (the sum of their SEQUENCEs plus their number): every change
Summit makes raises a session's SEQUENCE or adds a session, so the series' SEQUENCE
rises with every change without a column of its own.

The rules are local wall time with TZID, so a 16:00 Berlin call stays 16:00 across
a DST change: the slot of each week is computed the way the planner computes it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.calls.models import CallSession
from app.calls.planning import local_instant
from app.extensions import db

log = logging.getLogger(__name__)

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def series_uid(rollout_id: int) -> str:
    """The UID of a rollout's call series: the same for every invitee, for its whole life."""
    return f"call-series-{rollout_id}@summit"


def series_sequence(sessions: Sequence[CallSession]) -> int:
    """The series' SEQUENCE: rises whenever a session changes (its SEQUENCE rises) or is added."""
    return sum(s.sequence for s in sessions) + len(sessions)


@dataclass(frozen=True)
class Override:
    #: the slot's original start (RECURRENCE-ID)
    recurrence_id: datetime
    session: CallSession


@dataclass(frozen=True)
class SeriesShape:
    """The recurring event that reproduces the scheduled sessions exactly."""

    #: DTSTART of the master (UTC; written in the region's zone)
    starts_at: datetime
    duration: timedelta
    weekday: int
    #: the last slot's start (UTC), the RRULE's UNTIL
    until: datetime
    exdates: tuple[datetime, ...]
    overrides: tuple[Override, ...]
    #: the link of the master (the one most sessions use)
    join_url: str
    sequence: int

    @property
    def rrule(self) -> dict[str, object]:
        return {"freq": "weekly", "byday": BYDAY[self.weekday], "until": self.until}


def slot_of(session: CallSession, *, weekday: int, at: time, zone: str) -> datetime:
    """The weekly slot a session stands for: ``weekday`` at ``at`` (local) in its
    series week (the ISO week of ``series_date``), as a UTC instant."""
    monday = session.series_date - timedelta(days=session.series_date.weekday())
    return local_instant(monday + timedelta(days=weekday), at, zone)


def shape_series(
    sessions: Sequence[CallSession], *, weekday: int, at: time, duration_minutes: int, zone: str
) -> SeriesShape | None:
    """The master + overrides for ``sessions`` on the weekly slot ``weekday`` at ``at``
    (local, ``zone``); None when no session is scheduled (there is nothing to hold)."""
    duration = timedelta(minutes=duration_minutes)
    by_slot: dict[datetime, CallSession] = {}
    # scheduled sessions first: a cancelled one never hides a held one in the same week
    for s in sorted(sessions, key=lambda s: (s.cancelled, s.series_date, s.id or 0)):
        slot = slot_of(s, weekday=weekday, at=at, zone=zone)
        if slot in by_slot:
            # one session per week is what the planner makes; a second has no slot to take
            if not s.cancelled:
                log.warning(
                    "call session %s shares its week with %s: left out of the series",
                    s.id,
                    by_slot[slot].id,
                )
            continue
        by_slot[slot] = s
    scheduled = {slot: s for slot, s in by_slot.items() if not s.cancelled}
    if not scheduled:
        return None
    urls = Counter(s.join_url for s in scheduled.values())
    join_url = max(urls, key=lambda u: (urls[u], u))
    first, last = min(scheduled), max(scheduled)
    first_day = first.astimezone(ZoneInfo(zone)).date()
    exdates: list[datetime] = []
    overrides: list[Override] = []
    week = 0
    while True:
        # each week's slot from its local date: the wall time stays, the UTC instant moves
        slot = local_instant(first_day + timedelta(weeks=week), at, zone)
        if slot > last:
            break
        week += 1
        session = scheduled.get(slot)
        if session is None:
            exdates.append(slot)
            continue
        if (
            session.starts_at != slot
            or session.duration_minutes != duration_minutes
            or session.join_url != join_url
            or session.change_note
        ):
            overrides.append(Override(slot, session))
    return SeriesShape(
        starts_at=first,
        duration=duration,
        weekday=weekday,
        until=last,
        exdates=tuple(exdates),
        overrides=tuple(overrides),
        join_url=join_url,
        sequence=series_sequence(sessions),
    )


def rollout_sessions(rollout_id: int) -> list[CallSession]:
    """Every session of the rollout (past and future, cancelled too): the series' source."""
    return list(
        db.session.scalars(
            select(CallSession)
            .where(CallSession.rollout_id == rollout_id)
            .order_by(CallSession.series_date, CallSession.id)
        )
    )
