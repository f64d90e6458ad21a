"""The progress blueprint, shared by its route modules (``routes``, ``column_routes``,
``unit_routes``); ``routes`` imports the other two, so the factory registers one blueprint."""

from flask import Blueprint

bp = Blueprint("progress", __name__)
