"""Summit: the application factory.

``create_app`` is a flat list of ``register_*`` steps. Nothing here touches the
database, Redis or the network: that happens when a request or a command runs.
Every blueprint, signal receiver and command is named below: the factory is the
top of the layers (README, "Architecture"), so it may import anything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import dbsetup, language, transaction
from app import models as _models  # noqa: F401 (every model in the metadata: Alembic, create_all)
from app.approvals import cli as approvals_cli
from app.approvals import handlers as approvals_handlers
from app.approvals import public as approvals_public
from app.approvals import routes as approvals_routes
from app.approvals.emails import DECIDE_PURPOSE
from app.approvals.fresh_links import find_decision_link
from app.auth import access
from app.auth import cli as auth_cli
from app.auth import routes as auth_routes
from app.buddies import routes as buddies_routes
from app.calls import cli as calls_cli
from app.calls import handlers as calls_handlers
from app.calls import public as calls_public
from app.calls import routes as calls_routes
from app.calls.fresh_links import find_question_link
from app.calls.services import QUESTION_PURPOSE
from app.connectors import cli as connectors_cli
from app.connectors import handlers as connectors_handlers
from app.connectors import routes as connectors_routes
from app.demo import cli as demo_cli
from app.extensions import csrf, db, migrate
from app.freshlinks import routes as freshlinks_routes
from app.freshlinks import services as fresh
from app.goals import cli as goals_cli
from app.goals import handlers as goals_handlers
from app.goals import public as goals_public
from app.goals.fresh_links import find_survey_link
from app.goals.services import SURVEY_MAX_AGE, SURVEY_PURPOSE
from app.journey import public as journey_public
from app.journey import routes as journey_routes
from app.journey.fresh_links import find_journey_link, find_journey_link_of_send
from app.journey.services import JOURNEY_PURPOSE, LINK_MAX_AGE, TRACK_PURPOSE
from app.mail import cli as mail_cli
from app.mail import routes as mail_routes
from app.masterclasses import handlers as masterclasses_handlers
from app.masterclasses import public as masterclasses_public
from app.masterclasses import routes as masterclasses_routes
from app.masterclasses.emails import RSVP_MAX_AGE, RSVP_PURPOSE
from app.masterclasses.fresh_links import find_opt_in_link, find_rsvp_link
from app.masterclasses.recognition import OPT_IN_MAX_AGE, OPT_IN_PURPOSE
from app.metrics import routes as metrics_routes
from app.ops import audit_routes
from app.ops import routes as ops_routes
from app.privacy import cli as privacy_cli
from app.privacy import routes as privacy_routes
from app.programs import routes as programs_routes
from app.progress import cli as progress_cli
from app.progress import routes as progress_routes
from app.readcache import read_cache
from app.regions import cli as regions_cli
from app.reports import cli as reports_cli
from app.reports import fresh_links as reports_fresh_links
from app.reports import public as reports_public
from app.reports import routes as reports_routes
from app.reports.subscriptions import GLOBAL_PURPOSE, REGION_PURPOSE
from app.rollouts import actions as rollouts_actions
from app.rollouts import cli as rollouts_cli
from app.rollouts import public as rollouts_public
from app.rollouts import routes as rollouts_routes
from app.rollouts.fresh_links import find_commit_link
from app.rollouts.onboarding import COMMIT_PURPOSE
from app.roster import cli as roster_cli
from app.roster import routes as roster_routes
from app.scoping import region_scope
from app.settings import INSTANCE_DIR, Settings
from app.terms import cli as terms_cli
from app.terms import public as terms_public
from app.terms import routes as terms_routes
from app.terms.common import BUDDY_PURPOSE
from app.terms.fresh_links import find_signoff_link
from app.web import errors, people, security  # noqa: F401 (people: its routes)
from app.web import routes as web_routes
from app.xapi import cli as xapi_cli
from app.xapi import routes as xapi_routes

#: in the order the capabilities were registered before (the order of ``before_request``
#: hooks and of URL rules follows it)
BLUEPRINTS = (
    programs_routes.bp,
    rollouts_routes.bp,
    rollouts_actions.bp,
    roster_routes.bp,
    buddies_routes.bp,
    rollouts_public.public_bp,
    approvals_routes.bp,
    approvals_public.public_bp,
    calls_routes.bp,
    calls_public.public_bp,
    progress_routes.bp,
    xapi_routes.public_bp,
    connectors_routes.bp,
    terms_routes.bp,
    terms_public.public_bp,
    masterclasses_routes.bp,
    masterclasses_public.public_bp,
    goals_public.public_bp,
    journey_routes.bp,
    journey_public.public_bp,
    metrics_routes.bp,
    reports_routes.bp,
    reports_public.public_bp,
    mail_routes.bp,
    freshlinks_routes.public_bp,
    audit_routes.bp,
    auth_routes.bp,
    ops_routes.bp,
    privacy_routes.bp,
    web_routes.bp,
)

#: each capability's signal receivers (``handlers.connect``), connected in this order
HANDLERS = (
    approvals_handlers.connect,
    calls_handlers.connect,
    connectors_handlers.connect,
    masterclasses_handlers.connect,
    goals_handlers.connect,
)

#: every ``summit`` command group (``summit worker`` and ``summit scheduler`` are added by
#: the console script itself, ``app/cli.py``: they run jobs)
COMMANDS = (
    *regions_cli.COMMANDS,
    *rollouts_cli.COMMANDS,
    *roster_cli.COMMANDS,
    *approvals_cli.COMMANDS,
    *calls_cli.COMMANDS,
    *progress_cli.COMMANDS,
    *xapi_cli.COMMANDS,
    *connectors_cli.COMMANDS,
    *terms_cli.COMMANDS,
    *goals_cli.COMMANDS,
    *reports_cli.COMMANDS,
    *mail_cli.COMMANDS,
    *auth_cli.COMMANDS,
    *privacy_cli.COMMANDS,
    *demo_cli.COMMANDS,
)


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``settings`` overrides the environment (tests pass a dict)."""
    if not isinstance(settings, Settings):
        settings = Settings.from_env(overrides=settings)
    app = Flask("app", instance_path=str(INSTANCE_DIR))  # the package: its templates, its logger
    register_settings(app, settings)
    register_proxy(app, settings)
    register_logging(app)
    register_extensions(app)
    register_scoping(app)
    register_blueprints(app)
    register_transaction(app)
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
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
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
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    # idle connections are pinged on checkout (dbsetup.ping_when_idle); the statement
    # timeout of the process's kind is set as each connection opens (dbsetup)
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_timeout": settings.database_pool_timeout,
    }


def register_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(INSTANCE_DIR.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    dbsetup.init_app(app)
    read_cache.init_app(app, session=db.session, scope=region_scope)


def register_scoping(app: Flask) -> None:
    access.init_app(app)


def register_transaction(app: Flask) -> None:
    """One place commits: every view's request commits when the view returns
    (``app/transaction.py``); views and services never commit."""
    transaction.init_app(app)


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_handlers() -> None:
    """Connect each capability's signal receivers (``app/<capability>/handlers.py``)."""
    for connect in HANDLERS:
        connect()


def register_fresh_links(app: Flask) -> None:
    """Every signed-link purpose, and how its person gets a fresh link once it expired."""
    links = fresh.FreshLinks()
    links.add(DECIDE_PURPOSE, find_decision_link)
    links.add(COMMIT_PURPOSE, find_commit_link)
    links.add(BUDDY_PURPOSE, find_signoff_link)
    links.add(QUESTION_PURPOSE, find_question_link)
    links.add(RSVP_PURPOSE, find_rsvp_link, max_age=RSVP_MAX_AGE)
    links.add(OPT_IN_PURPOSE, find_opt_in_link, max_age=OPT_IN_MAX_AGE)
    links.add(SURVEY_PURPOSE, find_survey_link, max_age=SURVEY_MAX_AGE)
    links.add(JOURNEY_PURPOSE, find_journey_link, max_age=LINK_MAX_AGE)
    links.add(TRACK_PURPOSE, find_journey_link_of_send, max_age=LINK_MAX_AGE)
    # a sponsor's link names a sponsor row or a staff member, not a Person
    for purpose, find in (
        (REGION_PURPOSE, reports_fresh_links.find_regional_link),
        (GLOBAL_PURPOSE, reports_fresh_links.find_global_link),
    ):
        links.add(purpose, find, max_age=reports_fresh_links.LINK_MAX_AGE, names_person=False)
    fresh.init_app(app, links)


def register_cli(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def register_errorhandlers(app: Flask) -> None:
    errors.init_app(app)


def register_security_headers(app: Flask) -> None:
    security.init_app(app)


def register_template_helpers(app: Flask) -> None:
    """Flask-Babel, gettext in Jinja and the one set of date and number filters."""
    language.init_app(app)
