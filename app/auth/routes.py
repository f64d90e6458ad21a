"""Sign-in pages. Development sign-in exists only without Entra ID and never in production."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import public, sign_in, sign_out
from app.auth.models import StaffUser
from app.extensions import db

bp = Blueprint("auth", __name__, url_prefix="/auth")


def dev_sign_in_enabled() -> bool:
    settings = current_app.extensions["summit.settings"]
    return not settings.is_production and not settings.entra_configured


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
    from app.regions.models import Region
    from app.scoping import set_region_scope

    staff: list[StaffUser] = []
    region_names: dict[int, str] = {}
    if dev_sign_in_enabled():
        staff = list(
            db.session.scalars(
                select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
            )
        )
        set_region_scope(db.session, None)  # region names are shown next to the demo roles
        region_names = {
            rid: name for rid, name in db.session.execute(select(Region.id, Region.name))
        }
    return render_template(
        "auth/sign_in.html",
        staff=staff,
        dev_enabled=dev_sign_in_enabled(),
        region_names=region_names,
        next=request.args.get("next", ""),
    )


@bp.post("/dev-sign-in")
@public
def dev_sign_in() -> Any:
    if not dev_sign_in_enabled():
        abort(404)
    user = db.session.get(StaffUser, request.form.get("user_id", type=int) or 0)
    if user is None or not user.active:
        flash("Pick one of the listed people.", "error")
        return redirect(url_for("auth.sign_in_page"))
    sign_in(user)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/sign-out")
@public
def sign_out_view() -> Any:
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in_page"))
