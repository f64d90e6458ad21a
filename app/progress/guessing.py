"""A first guess at which column of a progress file is which, from the header words (and an
``@`` in the learner column's values): the columns page starts from it, and screening uses
it to tell progress from a roster."""

from __future__ import annotations

from typing import Any

from app.progress.values import fold

#: words in a header that suggest what it holds (folded; first match wins, in this order)
_HINTS: dict[str, tuple[str, ...]] = {
    "learner_column": ("email", "e mail", "courriel", "mail"),
    "learner_id": ("employee id", "external id", "employee", "personnel", "user id", "id"),
    "unit_column": (
        "module",
        "content title",
        "activity",
        "course item",
        "lesson",
        "unit",
        "title",
    ),
    "percent_column": ("percent", "progress", "completion rate", "pourcentage", "fortschritt"),
    "completed_column": ("completed", "complete", "status", "state", "abgeschlossen", "termine"),
    "observed_at_column": ("date", "time", "last activity", "updated", "datum"),
}


def guess(headers: list[str], rows: list[list[str]]) -> dict[str, Any]:
    """A first mapping from the header words (and an ``@`` in the learner column's values)."""
    folded = [fold(h) for h in headers]
    taken: set[int] = set()

    def pick(key: str) -> str:
        for word in _HINTS[key]:
            for i, name in enumerate(folded):
                if i not in taken and (name == word or f" {word} " in f" {name} "):
                    taken.add(i)
                    return headers[i]
        return ""

    mapping: dict[str, Any] = {"learner_kind": "email"}
    mapping["learner_column"] = pick("learner_column")
    if mapping["learner_column"]:
        i = headers.index(mapping["learner_column"])
        if rows and not any("@" in r[i] for r in rows if i < len(r)):
            mapping["learner_kind"] = "employee_id"
    else:
        mapping["learner_column"] = pick("learner_id")
        mapping["learner_kind"] = "employee_id"
    mapping["unit_column"] = pick("unit_column")
    # a percentage column says so with "%" (Udemy Business: "% Marked Completed")
    marked = [i for i, h in enumerate(headers) if "%" in h and i not in taken]
    if marked:
        taken.add(marked[0])
        mapping["percent_column"] = headers[marked[0]]
    else:
        mapping["percent_column"] = pick("percent_column")
    for key in ("completed_column", "observed_at_column"):
        mapping[key] = pick(key)
    if mapping["completed_column"]:
        i = headers.index(mapping["completed_column"])
        seen = sorted({r[i].strip() for r in rows if i < len(r) and r[i].strip()})
        done = [v for v in seen if fold(v) in {"yes", "true", "completed", "complete", "done", "y"}]
        mapping["completed_values"] = done or ["Completed", "Yes"]
    return mapping
