"""The rollouts blueprints, shared by its route modules (``routes``, ``roster_routes``);
``routes`` imports the other, so the factory registers the blueprints once."""

from flask import Blueprint

bp = Blueprint("rollouts", __name__)
public_bp = Blueprint("rollouts_public", __name__)
