"""Reading the connector form: every field checked, each error said next to its field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from wtforms import StringField

from app.connectors.models import Connector, ConnectorKind
from app.connectors.moodle import LEARNER_FIELDS as MOODLE_FIELDS
from app.connectors.openedx import LEARNER_FIELDS as OPENEDX_FIELDS
from app.forms import Form
from app.language import N_, _

KIND_LABELS = {
    ConnectorKind.LRS: N_("An LRS the company runs (xAPI)"),
    ConnectorKind.OPENEDX: N_("Open edX (REST APIs)"),
    ConnectorKind.MOODLE: N_("Moodle (web services)"),
}
LEARNER_LABELS = {
    ConnectorKind.LRS: {
        "actor": N_("the statement's actor (mbox = email, account name = employee id)"),
    },
    ConnectorKind.OPENEDX: {
        "username": N_("Open edX username = employee id"),
        "external_user_key": N_("external user key = employee id"),
        "email": N_("email (Open edX shows it for the masters track only)"),
    },
    ConnectorKind.MOODLE: {
        "email": N_("email address"),
        "idnumber": N_("ID number = employee id"),
        "username": N_("username = employee id"),
    },
}
ALLOWED_FIELDS = {
    ConnectorKind.LRS: {"actor"},
    ConnectorKind.OPENEDX: set(OPENEDX_FIELDS),
    ConnectorKind.MOODLE: set(MOODLE_FIELDS),
}


@dataclass
class ConnectorForm:
    kind: ConnectorKind | None
    base_url: str
    course_ref: str
    learner_field: str
    client_id: str
    secret: str | None
    enabled: bool


def parse_connector_form(
    form: Mapping[str, str], *, existing: Connector | None, production: bool
) -> tuple[ConnectorForm, dict[str, str]]:
    """The form's values and, per field, what is wrong (empty when all is well)."""
    errors: dict[str, str] = {}
    raw_kind = form.get("kind", "").strip()
    kind = ConnectorKind(raw_kind) if raw_kind in {k.value for k in ConnectorKind} else None
    if kind is None:
        errors["kind"] = _("Choose the platform to pull progress from.")
    base_url = form.get("base_url", "").strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(base_url) > 500:
        errors["base_url"] = _("Enter the platform's address, such as https://lms.example.com.")
    elif production and parts.scheme != "https":
        errors["base_url"] = _(
            "Use an https:// address: the credentials travel with every request."
        )
    elif parts.query or parts.fragment or parts.username:
        errors["base_url"] = _("Enter the address without a query, fragment or user name.")
    course_ref = form.get("course_ref", "").strip()
    if kind is ConnectorKind.OPENEDX and not course_ref.startswith("course-v1:"):
        errors["course_ref"] = _("Enter the course key, such as course-v1:SummitX+SEF+2026.")
    if kind is ConnectorKind.MOODLE and not course_ref.isdigit():
        errors["course_ref"] = _("Enter the Moodle course id (the number in course/view.php?id=…).")
    if kind is ConnectorKind.LRS:
        course_ref = ""
    if len(course_ref) > 300:
        errors["course_ref"] = _("The course reference is too long.")
    learner_field = form.get("learner_field", "").strip()
    if kind is not None:
        if kind is ConnectorKind.LRS:
            learner_field = "actor"
        elif learner_field not in ALLOWED_FIELDS[kind]:
            errors["learner_field"] = _("Choose how the platform names each learner.")
    client_id = form.get("client_id", "").strip()
    if kind in (ConnectorKind.LRS, ConnectorKind.OPENEDX) and not client_id:
        errors["client_id"] = (
            _("Enter the LRS key (Basic user name).")
            if kind is ConnectorKind.LRS
            else _("Enter the OAuth2 client id.")
        )
    if len(client_id) > 300:
        errors["client_id"] = _("The client id is too long.")
    if kind is ConnectorKind.MOODLE:
        client_id = ""
    secret = form.get("secret", "") or None
    if secret is not None and (len(secret) > 2000 or any(c in secret for c in "\r\n\x00")):
        errors["secret"] = _("The secret looks wrong: paste it on one line.")
    if secret is None and (existing is None or not existing.secret_encrypted):
        errors["secret"] = _("Enter the LRS secret, the client secret or the Moodle token.")
    return (
        ConnectorForm(
            kind=kind,
            base_url=base_url,
            course_ref=course_ref,
            learner_field=learner_field,
            client_id=client_id,
            secret=secret,
            enabled=form.get("enabled") == "on",
        ),
        errors,
    )


class ConnectorFields(Form):
    """The connector form as posted; :func:`parse_connector_form` checks every field."""

    kind = StringField(default="")
    base_url = StringField(default="")
    course_ref = StringField(default="")
    learner_field = StringField(default="")
    client_id = StringField(default="")
    secret = StringField(default="")
    enabled = StringField(default="")

    def posted(self) -> dict[str, str]:
        return {name: str(field.data or "") for name, field in self._fields.items()}
