"""The top of a sponsor's report, read in 30 seconds: headline, status, one ask.

The status rule (README, "Sponsor reports"): the on-pace share is completion against the
plan (modules completed against the modules the terms require by the week's end, pro
rata). Green ("on track") from 75 % on pace, amber ("needs attention") from 50 %, red
("at risk") below; one step worse when the on-pace share fell by 10 points or more since
last week; no status while nobody is in the program. Pure functions: figures in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.language import _, ngettext, number
from app.metrics.presentation import DASH, format_change, format_value, percent_points

GREEN_FROM = 75
AMBER_FROM = 50
#: a fall of the on-pace share (points, week on week) that makes the status one step worse
SLIDE = 10
STATUSES = ("green", "amber", "red")
#: status colours with text on them at 4.5:1 or more (WCAG AA): the word carries the meaning
COLOURS = {
    "green": ("#1a7f37", "#ffffff"),
    "amber": ("#f4c542", "#1b1f24"),
    "red": ("#b42318", "#ffffff"),
    "none": ("#e6e9ed", "#1b1f24"),
}


@dataclass(frozen=True)
class Status:
    key: str
    label: str
    reason: str
    background: str
    colour: str


def status_of(figures: dict[str, Any], previous: dict[str, Any] | None) -> Status:
    """Red, amber or green by the rule of this module's docstring."""
    share = figures.get("on_pace_rate")
    if share is None:
        bg, fg = COLOURS["none"]
        return Status("none", _("No status yet"), _("Nobody is in the program yet."), bg, fg)
    points = percent_points(share)
    step = 0 if points >= GREEN_FROM else 1 if points >= AMBER_FROM else 2
    before = (previous or {}).get("on_pace_rate")
    fall = 0 if before is None else percent_points(before) - points
    slid = fall >= SLIDE
    key = STATUSES[min(step + slid, 2)]
    labels = {"green": _("On track"), "amber": _("Needs attention"), "red": _("At risk")}
    reason = _(
        "%(share)s of learners are on pace (green from %(green)s, amber from %(amber)s).",
        share=format_value("rate", share),
        green=format_value("rate", GREEN_FROM / 100),
        amber=format_value("rate", AMBER_FROM / 100),
    )
    if slid:
        reason += " " + ngettext(
            "One step lower: the share on pace fell by %(num)s point since last week.",
            "One step lower: the share on pace fell by %(num)s points since last week.",
            fall,
            num=number(fall),
        )
    bg, fg = COLOURS[key]
    return Status(key, labels[key], reason, bg, fg)


def headline(
    figures: dict[str, Any], previous: dict[str, Any] | None, *, rank: int | None, of: int
) -> str:
    """ "Completion 42 % (▲ 3 pts since last week), 2nd of 5 regions; 68 % on pace.\""""
    completion = format_value("rate", figures.get("completion_rate"))
    change = format_change(
        "rate", figures.get("completion_rate"), (previous or {}).get("completion_rate")
    )
    on_pace = format_value("rate", figures.get("on_pace_rate"))
    if change == DASH:  # no figures of last week: say nothing rather than "— since"
        text = _(
            "Completion %(completion)s; %(on_pace)s of learners on pace.",
            completion=completion,
            on_pace=on_pace,
        )
    else:
        text = _(
            "Completion %(completion)s (%(change)s since last week); "
            "%(on_pace)s of learners on pace.",
            completion=completion,
            change=change,
            on_pace=on_pace,
        )
    if rank is not None and of > 1:
        text += " " + _("Rank %(rank)s of %(count)s regions.", rank=number(rank), count=number(of))
    return text


def ask_of(figures: dict[str, Any]) -> str | None:
    """The one thing the sponsor can do this week, by priority: approvals waiting with
    managers, free-rider reviews waiting with the local lead, learners without a buddy."""
    pending = figures.get("approvals_pending") or 0
    if pending:
        managers = figures.get("approvals_pending_managers") or 0
        return _(
            "%(approvals)s with %(managers)s: a word from you helps.",
            approvals=ngettext(
                "%(num)s approval of study time pending",
                "%(num)s approvals of study time pending",
                pending,
                num=number(pending),
            ),
            managers=ngettext(
                "%(num)s manager", "%(num)s managers", max(managers, 1), num=number(managers)
            ),
        )
    reviews = figures.get("free_rider_candidates") or 0
    if reviews:
        return ngettext(
            "%(num)s free-rider review is waiting for the local lead: ask for it to be settled "
            "this week.",
            "%(num)s free-rider reviews are waiting for the local lead: ask for them to be "
            "settled this week.",
            reviews,
            num=number(reviews),
        )
    alone = figures.get("without_buddy") or 0
    if alone:
        return ngettext(
            "%(num)s learner has no buddy yet: ask the local lead to pair them.",
            "%(num)s learners have no buddy yet: ask the local lead to pair them.",
            alone,
            num=number(alone),
        )
    return None


def rank_of(code: str, regions: dict[Any, dict[str, Any]]) -> int | None:
    """A region's place by completion rate among the regions (1 = best; ties share a place)."""
    mine = next((f for f in regions.values() if f["region"]["code"] == code), None)
    if mine is None or mine.get("completion_rate") is None:
        return None
    own = percent_points(mine["completion_rate"])
    better = sum(
        1
        for f in regions.values()
        if f.get("completion_rate") is not None and percent_points(f["completion_rate"]) > own
    )
    return better + 1
