"""What the staff pages about the staff member themselves post, read through Flask-WTF
forms (``app.forms``): the sign-in pages and the profile."""

from __future__ import annotations

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from app.forms import Form, IntField
from app.language import SUPPORTED_LOCALES as LOCALES
from app.language import lazy_gettext


class SignInForm(Form):
    """Where to go after signing in (checked to stay on Summit), and, for the development
    sign-in, who."""

    user_id = IntField()
    next = StringField()


def language_choices() -> list[tuple[str, str]]:
    """Each language Summit writes, named in itself ("Deutsch", "日本語"): a reader who
    cannot read the current page still finds their own."""
    named = [(code, Locale.parse(code).get_display_name(code) or code) for code in LOCALES]
    return [("", str(lazy_gettext("The browser's language, else the region's")))] + [
        (code, name[:1].upper() + name[1:]) for code, name in named
    ]


class ProfileForm(FlaskForm):
    locale = SelectField(lazy_gettext("Language of the staff pages"), validate_choice=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()
