"""The connector page of a rollout: configure it, see its syncs, sync now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for

from app.auth.access import current_staff, may_see_names, require_role
from app.auth.models import Role
from app.connectors.forms import (
    KIND_LABELS,
    LEARNER_LABELS,
    ConnectorFields,
    parse_connector_form,
)
from app.connectors.queries import recent_runs
from app.connectors.secrets import SecretsUnavailable
from app.connectors.services import connector_of, request_sync, save_connector
from app.language import _
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404
from app.transaction import rollback

bp = Blueprint("connectors", __name__)


def _page(rollout: Rollout, *, form: dict[str, str], errors: dict[str, str], status: int = 200):
    connector = connector_of(rollout)
    return (
        render_template(
            "connectors/connector.html",
            rollout=rollout,
            connector=connector,
            runs=recent_runs(connector) if connector is not None else [],
            kinds=KIND_LABELS,
            learner_labels=LEARNER_LABELS,
            form=form,
            errors=errors,
            can_edit=bool(g.region_roles & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN}),
            # unknown learners are named only to those who may see individuals
            show_names=may_see_names(),
        ),
        status,
    )


def _form_of(connector: Any) -> dict[str, str]:
    if connector is None:
        return {"kind": "openedx", "enabled": "on"}
    return {
        "kind": connector.kind.value,
        "base_url": connector.base_url,
        "course_ref": connector.course_ref,
        "learner_field": connector.learner_field,
        "client_id": connector.client_id,
        "enabled": "on" if connector.enabled else "",
    }


@bp.get("/r/<region>/rollouts/<slug>/progress/connector")
def connector_page(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    return _page(rollout, form=_form_of(connector_of(rollout)), errors={})


@bp.post("/r/<region>/rollouts/<slug>/progress/connector")
@require_role(Role.LOCAL_LEAD)
def save(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    settings = current_app.extensions["summit.settings"]
    posted = ConnectorFields().posted()
    values, errors = parse_connector_form(
        posted, existing=connector_of(rollout), production=settings.is_production
    )
    shown = {k: v for k, v in posted.items() if k != "secret"}
    if errors:
        return _page(rollout, form=shown, errors=errors, status=400)
    assert values.kind is not None
    try:
        connector = save_connector(
            region=g.region,
            rollout=rollout,
            kind=values.kind,
            base_url=values.base_url,
            course_ref=values.course_ref,
            learner_field=values.learner_field,
            client_id=values.client_id,
            secret=values.secret,
            enabled=values.enabled,
            actor=current_staff(),
        )
    except SecretsUnavailable as exc:
        rollback()
        return _page(rollout, form=shown, errors={"secret": str(exc)}, status=400)
    if connector.enabled:
        request_sync(connector=connector, trigger="manual")
    flash(
        _("Connector saved. The first sync is on its way.")
        if connector.enabled
        else _("Connector saved."),
        "success",
    )
    return redirect(url_for("connectors.connector_page", slug=rollout.slug), code=303)


@bp.post("/r/<region>/rollouts/<slug>/progress/connector/sync")
@require_role(Role.LOCAL_LEAD)
def sync_now(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    connector = connector_of(rollout)
    if connector is None or not connector.enabled:
        return _page(
            rollout,
            form=_form_of(connector),
            errors={"sync": _("Set up and enable the connector before syncing.")},
            status=400,
        )
    request_sync(connector=connector, trigger="manual")
    flash(_("Sync queued: this page shows it when it has run."), "success")
    return redirect(url_for("connectors.connector_page", slug=rollout.slug), code=303)
