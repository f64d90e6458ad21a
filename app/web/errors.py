"""Error pages: friendly HTML for people, JSON for API clients."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.language import N_, _

MESSAGES = {
    400: N_("The request could not be understood. Go back, check the form and try again."),
    401: N_("Please sign in to continue."),
    403: N_("Your role does not allow this. Ask a global admin if you need it."),
    404: N_("There is nothing here, or it belongs to a region you cannot see."),
    405: N_("This address does not accept that kind of request."),
    413: N_("The file is too large. Split it, or upload a compressed Excel file."),
    429: N_("Too many attempts in a short time. Wait a minute and try again."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith(("/xapi", "/api", "/healthz")) or best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        message = _(
            "This form has expired or was sent from elsewhere. Reload the page and try again."
        )
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = exc.code or 500
        message = exc.description if code not in MESSAGES or _custom(exc) else _(MESSAGES[code])
        if _wants_json():
            return jsonify(error=exc.name, message=message), code
        return render_template("errors/error.html", code=code, message=message), code


def _custom(exc: HTTPException) -> bool:
    return exc.description != type(exc).description
