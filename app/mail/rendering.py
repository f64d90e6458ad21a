"""Rendering email templates without a request.

Layout: ``email_templates/<kind>/subject.txt``, ``body.txt`` and ``body.html``
(English), with per-locale variants in ``email_templates/<kind>/<lang>/``; the
recipient's locale picks the variant and English is the fallback. One Jinja
environment for all email HTML: autoescaped whatever the file suffix, and
``StrictUndefined`` so a missing variable fails loudly in tests. HTML bodies
extend ``_layout/base.html``; its ``<style>`` is inlined into ``style``
attributes (css-inline) because Outlook ignores style sheets. Remote images are
refused: a chart is an attachment with a Content-ID (``cid:``).

Filters for dates and numbers (Babel) in the recipient's zone and locale, which
default to the ``time_zone`` and ``locale`` of the render::

    {{ call.starts_at|local_datetime }}            13 Nov 2026, 16:00 (medium)
    {{ call.starts_at|local_datetime("full") }}    any Babel format or pattern
    {{ call.starts_at|local_time }}                16:00
    {{ term.ends_on|local_date }}                  13. November 2026 (long)
    {{ value|local_datetime(tz="Asia/Kolkata", locale="en_IN") }}
    {{ 1234.5|number }}   {{ 0.87|percent }}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
)
from jinja2.runtime import Context

from app.language import babel_locale, language
from app.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "email_templates"
_REMOTE_IMAGE = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


class RemoteImageRefused(ValueError):
    """An email template points at a remote image (tracking pixel, blocked by Outlook)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _zone(ctx: Context, tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or ctx.get("time_zone") or "UTC")


def _loc(ctx: Context, locale: str | None) -> str:
    return babel_locale(locale or ctx.get("locale"))


@pass_context
def local_datetime(
    ctx: Context,
    value: datetime | None,
    format: str = "medium",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """An instant in the recipient's time zone and locale."""
    if value is None:
        return "—"
    return format_datetime(value, format, tzinfo=_zone(ctx, tz), locale=_loc(ctx, locale))


@pass_context
def local_time(
    ctx: Context,
    value: datetime | time | None,
    format: str = "short",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """The time of day of an instant (converted to the zone) or of a wall-clock time."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(_zone(ctx, tz))
    return format_time(value, format, locale=_loc(ctx, locale))


@pass_context
def local_date(
    ctx: Context,
    value: date | datetime | None,
    format: str = "long",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """A calendar date (an instant is first converted to the recipient's zone)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(_zone(ctx, tz)).date()
    return format_date(value, format, locale=_loc(ctx, locale))


@pass_context
def number(ctx: Context, value: Any, locale: str | None = None) -> str:
    return "—" if value is None else format_decimal(value, locale=_loc(ctx, locale))


@pass_context
def percent(ctx: Context, value: float | None, locale: str | None = None) -> str:
    return "—" if value is None else format_percent(value, "#,##0%", locale=_loc(ctx, locale))


FILTERS = {
    "local_datetime": local_datetime,
    "local_time": local_time,
    "local_date": local_date,
    "number": number,
    "percent": percent,
}


@lru_cache(maxsize=4)
def _environments(directory: str = str(TEMPLATES_DIR)) -> tuple[Environment, Environment]:
    loader = ChoiceLoader([FileSystemLoader(directory)])
    html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
    text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)  # noqa: S701 (plain text parts)
    for env in (html_env, text_env):
        env.filters.update(FILTERS)
    return html_env, text_env


def _candidates(kind: str, locale: str | None, filename: str) -> list[str]:
    names = []
    if locale:
        lang = babel_locale(locale)
        names.append(f"{kind}/{lang}/{filename}")
        if "_" in lang:
            names.append(f"{kind}/{lang.split('_')[0]}/{filename}")
    names.append(f"{kind}/{filename}")
    return names


def render_email(
    kind: str,
    *,
    locale: str | None,
    context: dict[str, Any],
    time_zone: str | None = None,
) -> RenderedEmail:
    """Render the subject, text and HTML of ``kind`` in ``locale`` (English as fallback).

    ``time_zone`` (IANA) is the default zone of the date filters; UTC if not given.
    """
    html_env, text_env = _environments()
    ctx = {
        "locale": babel_locale(locale),
        "lang": language(locale),
        "time_zone": time_zone or "UTC",
        **context,
    }
    subject = _render(text_env, kind, locale, "subject.txt", ctx)
    text = _render(text_env, kind, locale, "body.txt", ctx)
    html = _render(html_env, kind, locale, "body.html", ctx)
    if _REMOTE_IMAGE.search(html):
        raise RemoteImageRefused(
            f"{kind}: remote images are not allowed in email; attach the image with a content_id"
        )
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=_INLINER.inline(html))


def _render(
    env: Environment, kind: str, locale: str | None, filename: str, ctx: dict[str, Any]
) -> str:
    try:
        template = env.select_template(_candidates(kind, locale, filename))
    except TemplateNotFound as exc:
        raise LookupError(f"email template {kind}/{filename} is missing") from exc
    return template.render(ctx)
