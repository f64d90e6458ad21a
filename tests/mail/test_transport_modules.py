"""mail.graph and mail.transports no longer import each other (issue 22, item 2): the
protocol and errors a transport needs live in app.mail.transport_base."""

from __future__ import annotations

import ast
from pathlib import Path

import app.mail as mail_package


def _imports(module: str) -> set[str]:
    tree = ast.parse((Path(mail_package.__file__).parent / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):  # module level and inside functions alike
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_graph_and_transports_do_not_import_each_other() -> None:
    assert "app.mail.transports" not in _imports("graph")
    assert not {m for m in _imports("transport_base") if m.startswith("app")}
    assert "app.mail.graph" in _imports("transports")


def test_the_errors_are_the_same_classes_wherever_imported() -> None:
    from app.mail import graph, transport_base, transports

    assert transports.TransientMailError is transport_base.TransientMailError
    assert graph.PermanentMailError is transports.PermanentMailError
