"""A rollout's dates checked against each other: its program's terms, and the cohort's
start against term 1."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from app.language import gettext, local_date
from app.programs.models import Program, Term


def term_problems(terms: list[Term]) -> list[str]:
    """What is wrong with a program's terms: none at all, a term that ends before it
    starts, terms out of order or overlapping."""
    if not terms:
        return [gettext("The program has no term yet: add its terms and their dates.")]
    problems = []
    ordered = sorted(terms, key=lambda t: t.number)
    for term in ordered:
        if term.ends_on < term.starts_on:
            problems.append(
                gettext(
                    "Term %(n)s ends (%(end)s) before it starts (%(start)s).",
                    n=term.number,
                    end=local_date(term.ends_on),
                    start=local_date(term.starts_on),
                )
            )
    for before, after in pairwise(ordered):
        if after.starts_on <= before.ends_on:
            problems.append(
                gettext(
                    "Term %(n)s starts (%(start)s) before term %(prev)s ends (%(end)s): "
                    "terms follow each other without overlapping.",
                    n=after.number,
                    start=local_date(after.starts_on),
                    prev=before.number,
                    end=local_date(before.ends_on),
                )
            )
    return problems


def cohort_start_problem(cohort_start: date | None, program: Program | None) -> str | None:
    """Why ``cohort_start`` does not fit the program's term 1, or None. The cohort starts
    together within term 1: before it, the weekly calls would run with nothing due; after
    it, every learner would start behind."""
    if cohort_start is None or program is None or not program.terms:
        return None
    first = min(program.terms, key=lambda t: t.number)
    if cohort_start < first.starts_on:
        return gettext(
            "The cohort would start on %(day)s, before term 1 begins (%(start)s). Start "
            "the cohort on or after %(start)s.",
            day=local_date(cohort_start),
            start=local_date(first.starts_on),
        )
    if cohort_start > first.ends_on:
        return gettext(
            "The cohort would start on %(day)s, after term 1 ends (%(end)s): every "
            "learner would start behind. Start it between %(start)s and %(end)s.",
            day=local_date(cohort_start),
            start=local_date(first.starts_on),
            end=local_date(first.ends_on),
        )
    return None
