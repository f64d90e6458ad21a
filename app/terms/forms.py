"""What the term pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from app.forms import Form, flag


class ReviewForm(Form):
    """The lead's decision on a free-rider candidate: excuse (a reason, a note, maybe
    withdraw) or confirm."""

    decision = StringField()
    reason = StringField()
    note = TextAreaField()
    withdraw = flag()


class CloseForm(Form):
    confirm = StringField()


class BuddyAnswerForm(Form):
    """The buddy's answer on a partner's term (``BuddyAnswer``) and an optional note."""

    answer = StringField()
    note = TextAreaField()


class WithdrawForm(Form):
    """Taking a free-rider confirmation back within its grace period."""

    note = TextAreaField()
