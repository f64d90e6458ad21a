"""Summit: the application factory.

``create_app`` is a flat list of ``register_*`` steps. Nothing here touches the
database, Redis or the network: that happens when a request or a command runs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.settings import INSTANCE_DIR, Settings

#: one package per capability; each may provide routes.bp, cli.cli and a demo seed
CAPABILITIES = (
    "regions",
    "people",
    "programs",
    "rollouts",
    "approvals",
    "calls",
    "progress",
    "connectors",
    "terms",
    "masterclasses",
    "goals",
    "metrics",
    # after the capabilities whose data the demo reports show
    "reports",
    "mail",
    "links",
    "audit",
    "auth",
    "ops",
    "privacy",
    "web",
    "demo",
)


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``settings`` overrides the environment (tests pass a dict)."""
    if not isinstance(settings, Settings):
        settings = Settings.from_env(overrides=settings)
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    register_settings(app, settings)
    register_proxy(app, settings)
    register_logging(app)
    register_extensions(app)
    register_scoping(app)
    register_blueprints(app)
    register_handlers()
    register_fresh_links(app)
    register_cli(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


def register_settings(app: Flask, settings: Settings) -> None:
    app.extensions["summit.settings"] = settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        TESTING=settings.env == "test",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        MAX_CONTENT_LENGTH=200 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        # no Referer is needed: app.csrf checks Origin instead (token pages send none)
        WTF_CSRF_SSL_STRICT=False,
        PREFERRED_URL_SCHEME="https" if settings.base_url.startswith("https://") else "http",
        # the navigation shows the dev mailbox when mail stays in it
        SUMMIT_DEV_MAILBOX=settings.mail_transport == "dev",
    )


def register_proxy(app: Flask, settings: Settings) -> None:
    """Trust ``X-Forwarded-*`` from exactly the configured number of proxies, else none:
    the client address (rate limits, audit), scheme and host are the connection's own."""
    hops = settings.trusted_proxy_hops
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {}  # idle connections are pinged on checkout (dbsetup.ping_when_idle)


def register_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(INSTANCE_DIR.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    from app import dbsetup
    from app.readcache import read_cache
    from app.scoping import region_scope

    dbsetup.init_app(app)
    read_cache.init_app(app, session=db.session, scope=region_scope)


def register_scoping(app: Flask) -> None:
    from app.auth import access

    access.init_app(app)


def register_blueprints(app: Flask) -> None:
    for name in CAPABILITIES:
        try:
            routes = importlib.import_module(f"app.{name}.routes")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{name}.routes":
                raise
            continue
        for attr in ("bp", "public_bp"):
            blueprint = getattr(routes, attr, None)
            if blueprint is not None:
                app.register_blueprint(blueprint)


def register_handlers() -> None:
    """Import each capability's signal receivers (``app/<capability>/handlers.py``)."""
    for name in CAPABILITIES:
        try:
            importlib.import_module(f"app.{name}.handlers")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{name}.handlers":
                raise
            continue


def register_fresh_links(app: Flask) -> None:
    """Every signed-link purpose, and how its person gets a fresh link once it expired."""
    from app.approvals.emails import DECIDE_PURPOSE
    from app.approvals.fresh_links import find_decision_link
    from app.calls.fresh_links import find_question_link
    from app.calls.services import QUESTION_PURPOSE
    from app.goals.fresh_links import find_survey_link
    from app.goals.services import SURVEY_MAX_AGE, SURVEY_PURPOSE
    from app.links import fresh
    from app.masterclasses.emails import RSVP_MAX_AGE, RSVP_PURPOSE
    from app.masterclasses.fresh_links import find_opt_in_link, find_rsvp_link
    from app.masterclasses.recognition import OPT_IN_MAX_AGE, OPT_IN_PURPOSE
    from app.reports import fresh_links as reports
    from app.reports.services import GLOBAL_PURPOSE, REGION_PURPOSE
    from app.rollouts.fresh_links import find_commit_link
    from app.rollouts.onboarding import COMMIT_PURPOSE
    from app.terms.common import BUDDY_PURPOSE
    from app.terms.fresh_links import find_signoff_link

    links = fresh.FreshLinks()
    links.add(DECIDE_PURPOSE, find_decision_link)
    links.add(COMMIT_PURPOSE, find_commit_link)
    links.add(BUDDY_PURPOSE, find_signoff_link)
    links.add(QUESTION_PURPOSE, find_question_link)
    links.add(RSVP_PURPOSE, find_rsvp_link, max_age=RSVP_MAX_AGE)
    links.add(OPT_IN_PURPOSE, find_opt_in_link, max_age=OPT_IN_MAX_AGE)
    links.add(SURVEY_PURPOSE, find_survey_link, max_age=SURVEY_MAX_AGE)
    # a sponsor's link names a sponsor row or a staff member, not a Person
    for purpose, find in (
        (REGION_PURPOSE, reports.find_regional_link),
        (GLOBAL_PURPOSE, reports.find_global_link),
    ):
        links.add(purpose, find, max_age=reports.LINK_MAX_AGE, names_person=False)
    fresh.init_app(app, links)


def register_cli(app: Flask) -> None:
    for name in CAPABILITIES:
        try:
            module = importlib.import_module(f"app.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{name}.cli":
                raise
            continue
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)


def register_errorhandlers(app: Flask) -> None:
    from app.web import errors

    errors.init_app(app)


def register_security_headers(app: Flask) -> None:
    from app.web import security

    security.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from app import language

    language.init_app(app)
