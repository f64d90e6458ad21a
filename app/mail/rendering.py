"""Rendering email templates without a request.

Layout: ``email_templates/<kind>/subject.txt``, ``body.txt`` and ``body.html``, one
template per email whatever the language: every text is a ``{% trans %}`` message of
the catalogs in translations/ (``make messages`` extracts them). One Jinja
environment for all email HTML: autoescaped whatever the file suffix, and
``StrictUndefined`` so a missing variable fails loudly in tests. HTML bodies
extend ``_layout/base.html``; its ``<style>`` is inlined into ``style``
attributes (css-inline) because Outlook ignores style sheets. Remote images are
refused: a chart is an attachment with a Content-ID (``cid:``).

Every render runs inside ``app.language.force_reader(locale, time_zone)``: gettext
and the date and number filters (``app.language.FILTERS``, the same as the web's) speak
for the recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
)

from app.language import force_reader, install_jinja
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


@lru_cache(maxsize=4)
def environments(directory: str = str(TEMPLATES_DIR)) -> tuple[Environment, Environment]:
    loader = ChoiceLoader([FileSystemLoader(directory)])
    html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
    text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)  # noqa: S701 (plain text parts)
    for env in (html_env, text_env):
        install_jinja(env)
    return html_env, text_env


def render_email(
    kind: str,
    *,
    locale: str | None,
    context: dict[str, Any],
    time_zone: str | None = None,
) -> RenderedEmail:
    """Render the subject, text and HTML of ``kind`` for a reader of ``locale``: one
    template per email, its texts from the catalog of the locale's language (English
    where there is none or the catalog lacks a message).

    ``time_zone`` (IANA) is the zone of the date filters; UTC if not given.
    """
    html_env, text_env = environments()
    zone = time_zone or "UTC"
    with force_reader(locale, zone) as reader:
        ctx = {"locale": reader, "time_zone": zone, **context}
        subject = _render(text_env, kind, "subject.txt", ctx)
        text = _render(text_env, kind, "body.txt", ctx)
        html = _render(html_env, kind, "body.html", ctx)
    if _REMOTE_IMAGE.search(html):
        raise RemoteImageRefused(
            f"{kind}: remote images are not allowed in email; attach the image with a content_id"
        )
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=_INLINER.inline(html))


def _render(env: Environment, kind: str, filename: str, ctx: dict[str, Any]) -> str:
    try:
        template = env.get_template(f"{kind}/{filename}")
    except TemplateNotFound as exc:
        raise LookupError(f"email template {kind}/{filename} is missing") from exc
    return template.render(ctx)
