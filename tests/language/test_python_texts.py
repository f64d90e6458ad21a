"""Texts written in Python reach the reader through the catalogs too: a flash, a refusal,
a form's error next to its field and the message of a refusal a page shows are marked
(``_()`` / ``gettext`` / ``ngettext`` / ``pgettext``, or ``N_`` where defined and gettext
where shown). An AST scan of app/ fails on any of them written as a bare literal."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

#: calls whose first argument is shown to a person as it is
SHOWN = {"flash", "refuse"}
#: exceptions whose message a page shows to the person who caused them
REFUSALS = {
    "AttendanceFileError",
    "BuddyError",
    "CallChangeError",
    "MappingRefused",
    "QuestionRefused",
    "ReviewError",
    "RolloutError",
}


def _bare_text(node: ast.AST) -> bool:
    """A literal (or an f-string, or a sum of them) that no gettext call wraps."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.IfExp):
        return _bare_text(node.body) or _bare_text(node.orelse)
    if isinstance(node, ast.Dict):
        return any(_bare_text(v) for v in node.values if v is not None)
    return False


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def unmarked(source: str) -> list[tuple[int, str]]:
    """(line, what) for every unmarked text a person would read."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = _name(node.func)
            if (name in SHOWN or name in REFUSALS) and _bare_text(node.args[0]):
                found.append((node.lineno, name))
            # errors.setdefault("field", "...")
            is_errors = isinstance(node.func, ast.Attribute) and _name(node.func.value) == "errors"
            if is_errors and name == "setdefault" and _bare_text(node.args[-1]):
                found.append((node.lineno, "errors[...]"))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            # errors["field"] = "..." (the error shown next to a form field)
            if (
                isinstance(target, ast.Subscript)
                and _name(target.value) == "errors"
                and _bare_text(node.value)
            ):
                found.append((node.lineno, "errors[...]"))
            # error = "..." (the one error a page shows)
            if isinstance(target, ast.Name) and target.id == "error" and _bare_text(node.value):
                found.append((node.lineno, "error ="))
    return found


def test_flashes_refusals_and_form_errors_are_marked_for_translation() -> None:
    problems = [
        f"{path.relative_to(APP.parent)}:{line}: {what}(...) with a bare text"
        for path in sorted(APP.rglob("*.py"))
        for line, what in unmarked(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def shadowed_gettext(source: str) -> list[int]:
    """Lines that assign ``_`` in a module that imports ``_`` (gettext) from app.language:
    ``rollout, _ = load()`` turns the next ``_("...")`` into a TypeError."""
    tree = ast.parse(source)
    imports_it = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "app.language"
        and any(alias.name == "_" and alias.asname is None for alias in node.names)
        for node in tree.body
    )
    if not imports_it:
        return []
    # a comprehension's variables live in the comprehension only: ``[w for w, _ in rows]``
    scoped = {
        id(name)
        for comp in ast.walk(tree)
        if isinstance(comp, ast.comprehension)
        for name in ast.walk(comp.target)
    }
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and node.id == "_"
        and isinstance(node.ctx, ast.Store)
        and id(node) not in scoped
    )


def test_no_module_hides_gettext_behind_a_throwaway_name() -> None:
    problems = [
        f"{path.relative_to(APP.parent)}:{line}"
        for path in sorted(APP.rglob("*.py"))
        for line in shadowed_gettext(path.read_text(encoding="utf-8"))
    ]
    assert problems == []
    assert shadowed_gettext("from app.language import _\nrollout, _ = load()\n") == [2]
    assert shadowed_gettext("from app.language import _\nx = [a for a, _ in rows]\n") == []


def test_the_scan_finds_what_it_is_meant_to_find() -> None:
    assert unmarked('flash("Saved.", "success")') == [(1, "flash")]
    assert unmarked('flash(f"{n} saved.", "success")') == [(1, "flash")]
    assert unmarked('flash("Saved." + (" More." if x else ""), "success")') == [(1, "flash")]
    assert unmarked('return refuse("No.", back)') == [(1, "refuse")]
    assert unmarked('raise QuestionRefused("Too long.")') == [(1, "QuestionRefused")]
    assert unmarked('errors["title"] = "Enter a title."') == [(1, "errors[...]")]
    assert unmarked('form.errors["title"] = "Enter a title."') == [(1, "errors[...]")]
    assert unmarked('errors.setdefault("title", "Enter a title.")') == [(1, "errors[...]")]
    assert unmarked('error = "Choose the file."') == [(1, "error =")]
    marked = (
        'flash(_("Saved."), "success")\n'
        'flash(ngettext("%(num)s saved.", "%(num)s saved.", n), "success")\n'
        "flash(message, category)\n"
        'raise QuestionRefused(_("Too long."))\n'
        'errors["title"] = _("Enter a title.")\n'
        "error = None\n"
    )
    assert unmarked(marked) == []
