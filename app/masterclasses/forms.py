"""Parsing and validating the master-class form (errors say what to do)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import StringField

from app.forms import Form, IdsField
from app.language import _, ngettext
from app.masterclasses.models import MasterClass


@dataclass
class MasterClassForm:
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def form_from(master_class: MasterClass | None, time_zone: str) -> MasterClassForm:
    """The form's fields for an existing class (or empty for a new one)."""
    if master_class is None:
        return MasterClassForm(data={"duration_minutes": "90", "capacity": "30"})
    local = master_class.starts_at.astimezone(ZoneInfo(time_zone))
    return MasterClassForm(
        data={
            "title": master_class.title,
            "hosts": master_class.hosts,
            "description": master_class.description,
            "starts_on": local.strftime("%Y-%m-%d"),
            "starts_time": local.strftime("%H:%M"),
            "duration_minutes": str(master_class.duration_minutes),
            "location": master_class.location,
            "join_url": master_class.join_url,
            "capacity": str(master_class.capacity),
            "requires_buddy_signoff": master_class.requires_buddy_signoff,
            "face_to_face": master_class.face_to_face,
            "global": master_class.region_id is None,
        }
    )


def parse(
    raw: Mapping[str, str],
    *,
    time_zone: str,
    seats_taken: int = 0,
    may_make_global: bool = False,
) -> MasterClassForm:
    """Validate the posted form; ``values`` holds model fields when valid."""
    form = MasterClassForm(data={k: raw.get(k, "").strip() for k in raw})
    form.data["requires_buddy_signoff"] = raw.get("requires_buddy_signoff") == "1"
    form.data["face_to_face"] = raw.get("face_to_face") == "1"
    form.data["global"] = may_make_global and raw.get("global") == "1"
    d, errors = form.data, form.errors
    title = d.get("title", "")
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of up to 200 characters.")
    if len(d.get("hosts", "")) > 300:
        errors["hosts"] = _("Keep the hosts under 300 characters.")
    starts_at = None
    try:
        starts_at = datetime.strptime(  # the region's wall-clock time
            f"{d.get('starts_on', '')} {d.get('starts_time', '')}", "%Y-%m-%d %H:%M"
        ).replace(tzinfo=ZoneInfo(time_zone))
    except ValueError:
        errors["starts_on"] = _("Enter the date as YYYY-MM-DD and the time as HH:MM.")
    duration = _int(d.get("duration_minutes"), 15, 8 * 60)
    if duration is None:
        errors["duration_minutes"] = _("Enter a duration between 15 and 480 minutes.")
    capacity = _int(d.get("capacity"), 1, 10_000)
    if capacity is None:
        errors["capacity"] = _("Enter a capacity between 1 and 10,000.")
    elif capacity < seats_taken:
        errors["capacity"] = ngettext(
            "%(num)s place is already taken: the capacity cannot be lower.",
            "%(num)s places are already taken: the capacity cannot be lower.",
            seats_taken,
        )
    join_url = d.get("join_url", "")
    if join_url and not join_url.startswith(("https://", "http://")):
        errors["join_url"] = _("Enter an online link starting with https://.")
    location = d.get("location", "")
    if not location and not join_url:
        errors["location"] = _("Enter a place or an online link (or both).")
    if d["face_to_face"] and not location:
        errors["location"] = _("A face-to-face session needs a place.")
    if form.valid:
        form.values = {
            "title": title,
            "hosts": d.get("hosts", ""),
            "description": d.get("description", "")[:5000],
            "starts_at": starts_at,
            "duration_minutes": duration,
            "location": location[:300],
            "join_url": join_url[:500],
            "capacity": capacity,
            "requires_buddy_signoff": d["requires_buddy_signoff"],
            "face_to_face": d["face_to_face"],
        }
    return form


def _int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


class ChoiceForm(Form):
    """The learner's answer on an RSVP or opt-in page (accept / decline, in / out)."""

    choice = StringField()


class AttendanceForm(Form):
    attended = IdsField()


class MasterClassFields(Form):
    """The master-class form as posted; :func:`parse` checks every field."""

    program_id = StringField(default="")
    title = StringField(default="")
    hosts = StringField(default="")
    description = StringField(default="")
    starts_on = StringField(default="")
    starts_time = StringField(default="")
    duration_minutes = StringField(default="")
    location = StringField(default="")
    join_url = StringField(default="")
    capacity = StringField(default="")
    requires_buddy_signoff = StringField(default="")
    face_to_face = StringField(default="")

    def posted(self) -> dict[str, str]:
        return {name: str(field.data or "") for name, field in self._fields.items()}


setattr(MasterClassFields, "global", StringField(default=""))
