"""Udemy Business "User course activity" report (Data export reports > User activity).

One row per learner and course: ``User First Name``, ``User Last Name``, ``User Email``,
``External ID``, ``User Groups``, ``Course ID``, ``Course Title``, (``Course Locale``,)
``Course Duration``, ``% Marked Completed`` (0–100, "the most recent percentage of a course
the user has completed"), ``Minutes Video Consumed``, ``Date Enrolled``, ``Date Started``,
``First Date Completed``, ``Date Completed``, ``Date Last Accessed`` (older exports: ``Date
Last Active``), ``Course Category``, ``Assigned``, ``Assigned By``, ``User Is Deactivated``
(the fixture README names the sources). Completed: a completion date or 100 %; the time is
the first completion, else the last access.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.progress.reading import ProgressRecord, ReadContext, learner
from app.progress.values import month_table, parse_local_date, parse_percent

UDEMY_REQUIRED = ("User Email", "Course Title", "% Marked Completed")


def read_udemy(
    header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    col = {name.strip(): i for i, name in enumerate(header)}
    months = month_table(["en"])

    def cell(row: list[str], *names: str) -> str:
        for name in names:
            i = col.get(name)
            if i is not None and i < len(row) and row[i].strip():
                return row[i]
        return ""

    def date(text: str):  # type: ignore[no-untyped-def]
        return parse_local_date(text, ctx.zone, months, day_first=False)

    for row in rows:
        who = learner(cell(row, "User Email"), cell(row, "External ID"))
        title = cell(row, "Course Title").strip()
        if who is None or not title:
            continue
        raw = cell(row, "% Marked Completed").strip()
        try:  # a number from 0 to 100 ("45.5"); "45 %" or "0.455" as parse_percent reads them
            percent = max(0.0, min(100.0, float(raw)))
        except ValueError:
            percent = parse_percent(raw) or 0.0
        completed_on = date(cell(row, "First Date Completed", "Date Completed"))
        completed = completed_on is not None or percent >= 100
        if not completed and percent <= 0:
            continue
        last_seen = date(cell(row, "Date Last Accessed", "Date Last Active"))
        when = completed_on if completed and completed_on else last_seen
        yield ProgressRecord(
            who[0],
            who[1],
            title,
            100.0 if completed else percent,
            completed,
            when or ctx.observed_at,
        )
