"""Sign-in pages. Development sign-in exists only with SUMMIT_ENV=development and no Entra ID."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from app.auth.access import current_staff, public, require_role, sign_in, sign_out
from app.auth.directory import start_directory_import
from app.auth.forms import ProfileForm, SignInForm
from app.auth.models import DirectoryImport, ImportStatus, Role, StaffUser
from app.auth.roles import claim_values, role_mapping
from app.auth.services import provision_staff, set_staff_locale
from app.auth.strict import strict_approvals_enabled
from app.extensions import db
from app.language import _, number
from app.links.ratelimit import allow
from app.microsoft import entra
from app.microsoft.graph import GraphClient, GraphError
from app.regions.models import Region
from app.scoping import set_region_scope
from app.transaction import writes_on_get

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")


def dev_sign_in_enabled() -> bool:
    """Only with SUMMIT_ENV=development set explicitly (``make run`` does), never with Entra."""
    settings = current_app.extensions["summit.settings"]
    return settings.env == "development" and not settings.entra_configured


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would turn sign-in into a phishing aid."""
    if not target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


@bp.get("/sign-in")
@public
def sign_in_page() -> Any:

    staff: list[StaffUser] = []
    region_names: dict[int, str] = {}
    if dev_sign_in_enabled():
        staff = list(
            db.session.scalars(
                select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
            )
        )
        set_region_scope(db.session, None)  # region names are shown next to the demo roles
        # dict(result) would treat the Result as a mapping (it has .keys()): iterate it
        region_names = {
            region_id: name
            for region_id, name in db.session.execute(select(Region.id, Region.name))
        }
    return render_template(
        "auth/sign_in.html",
        staff=staff,
        dev_enabled=dev_sign_in_enabled(),
        entra_enabled=current_app.extensions["summit.settings"].entra_configured,
        region_names=region_names,
        next=request.args.get("next", ""),
    )


@bp.post("/dev-sign-in")
@public
def dev_sign_in() -> Any:
    if not dev_sign_in_enabled():
        abort(404)
    form = SignInForm()
    user = db.session.get(StaffUser, form.user_id.data or 0)
    if user is None or not user.active:
        flash(_("Pick one of the listed people."), "error")
        return redirect(url_for("auth.sign_in_page"))
    sign_in(user)
    return redirect(_safe_next(form.next.data))


@bp.post("/sign-out")
@public
def sign_out_view() -> Any:
    settings = current_app.extensions["summit.settings"]
    if settings.entra_configured:
        entra.forget_session_tokens()
    sign_out()
    flash(_("You are signed out."), "info")
    if settings.entra_configured:
        # end the Entra ID session too, or the next sign-in would pass straight through
        target = entra.end_session_url(settings.base_url + url_for("auth.sign_in_page"))
        if target:
            return redirect(target)
    return redirect(url_for("auth.sign_in_page"))


# --- Microsoft Entra ID -------------------------------------------------------------------


def _settings() -> Any:
    return current_app.extensions["summit.settings"]


@bp.app_context_processor
def _entra_template_values() -> dict[str, Any]:
    """Pages with a decision form can say that a Microsoft sign-in will be asked for."""

    return {"entra_strict_approvals": strict_approvals_enabled}


#: sign-in flows one client address may start per minute (each is kept in Redis 10 minutes)
SIGN_IN_STARTS_PER_MINUTE = 20


def _limit_sign_in_starts() -> None:
    """Anonymous requests start flows: cap them per client so they cannot fill Redis."""

    client = request.remote_addr or "unknown"
    if not allow(f"entra:start:{client}", limit=SIGN_IN_STARTS_PER_MINUTE, window_seconds=60):
        abort(429)


@bp.post("/entra/sign-in")
@public
def entra_sign_in() -> Any:
    """Start the authorization-code flow (a POST, so another site cannot start one)."""
    if not _settings().entra_configured:
        abort(404)
    _limit_sign_in_starts()
    return redirect(
        entra.begin_sign_in(purpose="staff", next_url=_safe_next(SignInForm().next.data))
    )


@bp.get("/entra/verify")
@public
def entra_verify() -> Any:
    """Strict approvals: prove who is deciding, then go back to ``next`` (no role needed)."""
    if not _settings().entra_configured:
        abort(404)
    _limit_sign_in_starts()
    return redirect(
        entra.begin_sign_in(purpose="person", next_url=_safe_next(request.args.get("next")))
    )


@bp.get("/entra/callback")
@writes_on_get  # the identity provider sends the browser back with a GET
@public
def entra_callback() -> Any:
    """Where Entra ID sends the browser back: redeem the code, check the ID token, sign in."""

    settings = _settings()
    if not settings.entra_configured:
        abort(404)
    try:
        result = entra.complete_sign_in(request.args.to_dict())
    except entra.SignInRefused as exc:
        log.warning("Entra sign-in refused: %s", exc)
        return render_template("auth/refused.html"), 400
    claims = result.claims
    if result.purpose == "person":
        entra.remember_identity(claims)
        return redirect(result.next_url)
    values = claim_values(claims)
    if "groups" not in claims and "groups" in (claims.get("_claim_names") or {}):
        values += _overage_groups(claims)
    set_region_scope(db.session, None)  # provisioning reads every region's mapping
    user = provision_staff(
        claims=claims, claim_values=values, mapping=role_mapping(settings=settings)
    )
    if user is None:
        sign_out()
        log.info("Entra sign-in without a mapped role (oid %s)", claims.get("oid"))
        return render_template(
            "auth/no_access.html", email=entra.claim_email(claims), name=claims.get("name", "")
        ), 403
    sign_in(user)  # a new session: nothing from before the sign-in survives
    entra.keep_token_cache(result.cache)
    entra.remember_identity(claims)
    log.info("staff user %s signed in with Entra ID", user.id)
    return redirect(result.next_url)


def _overage_groups(claims: dict[str, Any]) -> list[str]:
    """Too many groups for the token: ask Graph for them (needs GroupMember.Read.All)."""

    client = GraphClient(_settings(), max_wait=10)
    try:
        return client.member_object_ids(str(claims["oid"]))
    except (GraphError, RuntimeError) as exc:
        log.warning("could not read the groups of %s: %s", claims.get("oid"), exc)
        return []
    finally:
        client.close()


@bp.get("/entra/roles")
@require_role(Role.GLOBAL_ADMIN)
def entra_roles() -> Any:
    """The role mapping, read-only: it is changed in the region files and settings."""

    settings = _settings()
    mapping = role_mapping(settings=settings)
    return render_template("auth/entra_roles.html", mapping=mapping, settings=settings)


@bp.get("/entra/directory")
@require_role(Role.GLOBAL_ADMIN)
def directory_imports() -> Any:

    runs = list(
        db.session.scalars(select(DirectoryImport).order_by(DirectoryImport.id.desc()).limit(20))
    )
    return render_template(
        "auth/directory.html",
        runs=runs,
        settings=_settings(),
        progress_message=directory_progress_message,
    )


@bp.get("/entra/directory/<int:run_id>.json")
@require_role(Role.GLOBAL_ADMIN)
def directory_import_status(run_id: int) -> Any:
    """A run's progress for its bar (the directory's size is unknown until the last page)."""

    run = db.session.get(DirectoryImport, run_id)
    if run is None:
        abort(404)
    done = run.status in (ImportStatus.DONE, ImportStatus.FAILED)
    return jsonify(
        status=run.status.value,
        done=done,
        fraction=1.0 if done else None,
        message=directory_progress_message(run),
    )


def directory_progress_message(run: Any) -> str:
    if run.status.value == "queued":
        return _("Waiting for a worker.")
    return _(
        "%(people)s people read from %(pages)s pages of the directory.",
        people=number(run.seen),
        pages=number(run.pages),
    )


@bp.post("/entra/directory")
@require_role(Role.GLOBAL_ADMIN)
def directory_import_start() -> Any:

    settings = _settings()
    if not settings.entra_app_credentials:
        flash(_("Configure Entra ID (tenant, client id and secret or certificate) first."), "error")
        return redirect(url_for("auth.directory_imports"))
    run = start_directory_import(settings=settings, requested_by=current_staff())
    flash(_("Directory import %(id)s started.", id=run.id), "info")
    return redirect(url_for("auth.directory_imports"))


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Any:
    """The signed-in staff member's own settings: the language of the staff pages."""
    user = current_staff()
    if user is None:
        abort(401)
    form = ProfileForm(data={"locale": user.locale or ""})
    if form.validate_on_submit():
        set_staff_locale(user=user, locale=form.locale.data or None)
        return redirect(url_for("auth.profile", saved=1), code=303)
    return render_template(
        "auth/profile.html", form=form, saved=request.args.get("saved") == "1"
    ), (422 if form.errors else 200)
