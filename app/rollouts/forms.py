"""What the rollout pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from app.forms import DayField, Form, HHMMField, IntField, strip


class RolloutForm(Form):
    slug = StringField(filters=[strip, lambda v: v.lower() if isinstance(v, str) else v])
    program_id = IntField()
    cohort_start = DayField()
    call_weekday = IntField()
    call_time = HHMMField()
    call_duration_minutes = IntField()
    call_join_url = StringField(filters=[strip])
    expert_id = IntField()
    hr_partner_id = IntField()
    sponsor_message = TextAreaField()
    sponsors = TextAreaField()


class CommitForm(Form):
    """The learner's pledge: their goal, a buddy they choose (an id of the list or a name;
    empty: "pair me") and their weekly study slot."""

    goal = TextAreaField()
    buddy = StringField(filters=[strip])
    study_weekday = StringField(filters=[strip])
    study_time = StringField(filters=[strip])
    study_zone = StringField(filters=[strip])


class DeclineForm(Form):
    """ "I can't take part", with the reason for the local lead."""

    reason = TextAreaField()
