"""Work that races: each piece in a thread of its own, with its own app context and
session, as two requests or jobs would run it (the term close's and the progress
import's race tests, the chaos suite)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.extensions import db


def at_once(
    app: Flask, *works: Callable[[], Any], timeout: float = 60
) -> tuple[list[BaseException], list[Any]]:
    """Run ``works`` in threads started together; each is committed when it returns and
    rolled back when it raises. The exceptions raised, and what the committed ones returned
    (in the order they committed)."""
    start = threading.Barrier(len(works))
    errors: list[BaseException] = []
    results: list[Any] = []

    def run(work: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                start.wait(10)
                result = work()
                db.session.commit()
                results.append(result)
            except BaseException as exc:
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return errors, results
