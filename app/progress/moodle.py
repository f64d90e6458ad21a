"""Moodle completion reports, read as Moodle writes them, in the languages Summit speaks.

Course completion report (``report/completion/index.php``, CSV): ``ID``, ``Name``, the
identity fields (``Email address``…), then per activity criterion ``<activity>`` (its
state) and ``<activity> - Completion date`` (``strftimedatetimeshort``), other criteria
(their date) and ``Course complete`` (a date). Activity completion report
(``report/progress/index.php``, CSV): an unnamed full-name column, the identity and custom
profile fields, then per activity ``<activity>`` and a second column headed by the
activity's expected completion date (``%F %T``) or nothing; each learner's cells are the
state and the time it was set (``%F %T``, the exporting user's zone: the region's).

States are ``completion-y``, ``-pass``, ``-fail``, ``-n`` and the teacher's overrides
``completion-y-override`` / ``-n-override`` (``Completed (set by {$a})``) of the
``completion`` language pack. Completed: ``y``, ``pass`` and ``y-override``; ``fail`` is
attempted (0 %, not completed); ``n`` and ``n-override`` are nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.progress.reading import FormatError, ProgressRecord, ReadContext, learner
from app.progress.values import fold, month_table, parse_local_date


@dataclass(frozen=True)
class MoodleProfile:
    """The localised words of Moodle's completion report exports in one language."""

    language: str
    email: str
    id_number: str
    identity: tuple[str, ...]
    completed: tuple[str, ...]
    not_completed: tuple[str, ...]
    course_complete: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    #: ``completion-fail``: graded, pass grade not reached (attempted, not completed)
    failed: tuple[str, ...] = ()
    #: ``completion-y-override`` with ``{}`` where Moodle puts the teacher's name
    completed_override: tuple[str, ...] = ()
    #: ``report_completion``'s ``completiondate`` (``<activity> - Completion date``)
    completion_date: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, data: dict[str, Any]) -> MoodleProfile:
        return cls(
            language=str(data.get("language", "custom")),
            email=str(data["email"]),
            id_number=str(data.get("id_number", "")),
            identity=tuple(data.get("identity", ())),
            completed=tuple(data.get("completed", ())),
            not_completed=tuple(data.get("not_completed", ())),
            course_complete=tuple(data.get("course_complete", ())),
            months=tuple(data.get("months", ())),
            failed=tuple(data.get("failed", ())),
            completed_override=tuple(data.get("completed_override", ())),
            completion_date=tuple(data.get("completion_date", ())),
        )


#: from moodle/moodle lang/en and the de/fr language packs (see tests/progress/fixtures/README)
MOODLE_PROFILES: tuple[MoodleProfile, ...] = (
    MoodleProfile(
        language="en",
        email="Email address",
        id_number="ID number",
        identity=("ID", "Name", "First name", "Last name", "Surname", "Username", "Department"),
        completed=("Completed", "Completed (achieved pass grade)", "Completed (passed)"),
        not_completed=("Not completed",),
        failed=("Completed (did not achieve pass grade)", "Completed (failed)"),
        completed_override=("Completed (set by {})",),
        course_complete=("Course complete",),
        completion_date=("Completion date",),
    ),
    MoodleProfile(
        language="de",
        email="E-Mail-Adresse",
        id_number="ID-Nummer",
        identity=("ID", "Name", "Vorname", "Nachname", "Anmeldename", "Abteilung"),
        completed=(
            "Abgeschlossen",
            "Abgeschlossen (Bestehensgrenze erreicht)",
            "Abgeschlossen (bestanden)",
        ),
        not_completed=("Nicht abgeschlossen",),
        failed=(
            "Abgeschlossen (Bestehensgrenze nicht erreicht)",
            "Abgeschlossen (nicht bestanden)",
        ),
        completed_override=("Abgeschlossen (gesetzt von {})",),
        course_complete=("Kurs abschließen", "Kursabschluss", "Kurs abgeschlossen"),
        completion_date=("Datum des Kursabschlusses", "Abschlussdatum"),
    ),
    MoodleProfile(
        language="fr",
        email="Adresse de courriel",
        id_number="Numéro d'identification",
        identity=("ID", "Nom", "Prénom", "Nom d'utilisateur", "Département"),
        completed=("Terminé", "Terminé (note pour passer atteinte)", "Achevé"),
        not_completed=("Non terminé", "Pas terminé", "Non achevé"),
        failed=("Terminé (n'a pas atteint la note pour passer)",),
        completed_override=("Terminé (défini par {})",),
        course_complete=("Cours terminé", "Cours achevé"),
        completion_date=("Date d'achèvement",),
    ),
)


def profile_for(header: list[str], ctx: ReadContext) -> MoodleProfile | None:
    names = {h.strip() for h in header}
    for profile in ctx.moodle_profiles or MOODLE_PROFILES:
        if profile.email in names:
            return profile
    return None


@dataclass(frozen=True)
class _Words:
    done: frozenset[str]
    failed: frozenset[str]
    open: frozenset[str]
    #: folded text before the teacher's name of each override
    override_prefixes: tuple[str, ...]

    @classmethod
    def of(cls, profile: MoodleProfile) -> _Words:
        return cls(
            done=frozenset(fold(w) for w in profile.completed),
            failed=frozenset(fold(w) for w in profile.failed),
            open=frozenset(fold(w) for w in profile.not_completed),
            override_prefixes=tuple(
                fold(t.split("{}", 1)[0]) + " " for t in profile.completed_override if "{}" in t
            ),
        )

    def state(self, cell: str) -> bool | None:
        """True: completed, False: attempted, None: nothing."""
        state = fold(cell)
        if state in self.done:
            return True
        if state in self.failed:
            return False
        if state in self.open or not state:
            return None
        if any(state.startswith(prefix) for prefix in self.override_prefixes):
            return True
        return None


_DATE_HEADING = re.compile(
    # "%F %T" (Moodle 3.x+), strftimedate ("12 October 2026", "12. Oktober 2026"), or the
    # same date after Excel re-saved the file in the lead's locale ("12.10.2026 00:00",
    # "10/12/2026 0:00")
    r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?|\d{1,2}\.? [^\W\d_]+\.? \d{4}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
)


def activity_columns(
    header: list[str], profile: MoodleProfile
) -> list[tuple[int, str, int | None]]:
    """(state column, activity, its date column) for each activity of either report.

    An activity is a column followed by its date column: headed ``<activity> - Completion
    date`` (course completion report), or by the activity's expected completion date or
    nothing (activity completion report). Other columns (identity and custom profile
    fields, course-level criteria, ``Course complete``) hold no activity state.
    """
    skip = {profile.email, profile.id_number, *profile.identity, *profile.course_complete}
    date_words = {fold(w) for w in profile.completion_date}
    columns: list[tuple[int, str, int | None]] = []
    i = 0
    while i < len(header) - 1:
        name, following = header[i], header[i + 1]
        if not name or name in skip:
            i += 1
            continue
        paired = (
            not following
            or _DATE_HEADING.fullmatch(following) is not None
            or (
                following.startswith(name + " - ")
                and fold(following[len(name) + 3 :]) in date_words
            )
        )
        if paired:
            columns.append((i, name, i + 1))
        i += 2 if paired else 1
    return columns


def read_moodle(
    header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    """Either completion report; a completed activity's time is its completion date."""
    profile = profile_for(header, ctx)
    if profile is None:
        raise FormatError(
            "no Moodle email column found (set the region's Moodle profile)",
            code="not_format|moodle|Email address / E-Mail-Adresse / Adresse de courriel",
        )
    header = [h.strip() for h in header]
    email_i = header.index(profile.email)
    id_i = header.index(profile.id_number) if profile.id_number in header else None
    months = month_table(["en", profile.language], profile.months)
    words = _Words.of(profile)
    activities = activity_columns(header, profile)
    for row in rows:
        width = len(row)
        who = learner(
            row[email_i] if email_i < width else "",
            row[id_i] if id_i is not None and id_i < width else "",
        )
        if who is None:
            continue
        for i, name, date_i in activities:
            completed = words.state(row[i]) if i < width else None
            if completed is None:
                continue
            when = None
            if date_i is not None and date_i < width:
                when = parse_local_date(row[date_i], ctx.zone, months)
            yield ProgressRecord(
                who[0],
                who[1],
                name,
                100.0 if completed else 0.0,
                completed,
                when or ctx.observed_at,
            )
