"""The rollouts blueprints, shared by ``routes`` and the roster's pages (``app.roster.routes``,
which add their URLs to ``bp``); the factory imports both and registers the blueprints once."""

from flask import Blueprint

bp = Blueprint("rollouts", __name__)
public_bp = Blueprint("rollouts_public", __name__)
