"""Summit: a Flask application; ``create_app`` builds it (:mod:`app.factory`).

This package's ``__init__`` runs before any of its modules, so it imports none of them:
``import app.settings`` must not load the whole application.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from app.settings import Settings


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``settings`` overrides the environment (tests pass a dict)."""
    # the one import kept inside a function for the package's sake: see the docstring
    from app.factory import create_app as build

    return build(settings)
