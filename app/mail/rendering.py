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


#: a slot of an email shape: private-use characters, never in a template or a catalog
_SLOT_OPEN, _SLOT_CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(f"{_SLOT_OPEN}([A-Za-z0-9_]+){_SLOT_CLOSE}")


def slot(name: str) -> str:
    """A placeholder for a per-recipient value in an :class:`EmailShape` (``[A-Za-z0-9_]``)."""
    return f"{_SLOT_OPEN}{name}{_SLOT_CLOSE}"


#: how the CSS inliner (html5ever) writes a text node and an attribute value: a filled
#: shape then reads byte for byte as the email rendered for that recipient alone
_IN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_IN_ATTRIBUTE = str.maketrans({"&": "&amp;", '"': "&quot;", "\xa0": "&nbsp;"})


@dataclass(frozen=True)
class EmailShape:
    """One rendering of an email kind with :func:`slot` placeholders where each
    recipient's own values go (name, links): rendered, translated and CSS-inlined once,
    then filled (:meth:`fill`) per recipient. Bulk email (the weekly journey) renders one
    shape per language, zone and content variant instead of one template per learner.

    Only for values the templates print as they are (``{{ name }}``, in a ``{% trans %}``
    or an attribute): the HTML gets them escaped as the rendered email would have them
    (text or attribute), the subject and text part get them raw. A value a template
    transforms (a filter, a test) must be part of the shape's key, not a slot.
    """

    subject: str
    text: str
    html: str
    #: the HTML cut at its slots: (text before, slot name, inside a tag?) …, then the tail
    parts: tuple[tuple[str, str, bool], ...] = ()
    tail: str = ""

    @classmethod
    def of(cls, rendered: RenderedEmail) -> EmailShape:
        parts, start, html = [], 0, rendered.html
        for match in _SLOT.finditer(html):
            before = html[start : match.start()]
            in_tag = html.rfind("<", 0, match.start()) > html.rfind(">", 0, match.start())
            parts.append((before, match.group(1), in_tag))
            start = match.end()
        return cls(
            subject=rendered.subject,
            text=rendered.text,
            html=html,
            parts=tuple(parts),
            tail=html[start:],
        )

    def fill(self, values: dict[str, str]) -> RenderedEmail:
        def raw(match: re.Match[str]) -> str:
            return values[match.group(1)]

        html = [
            piece
            for before, name, in_tag in self.parts
            for piece in (
                before,
                values[name].translate(_IN_ATTRIBUTE if in_tag else _IN_TEXT),
            )
        ]
        html.append(self.tail)
        return RenderedEmail(
            subject=" ".join(_SLOT.sub(raw, self.subject).split()),
            text=_SLOT.sub(raw, self.text),
            html="".join(html),
        )


def render_shape(
    kind: str, *, locale: str | None, context: dict[str, Any], time_zone: str | None = None
) -> EmailShape:
    """``render_email`` of a context holding :func:`slot` placeholders, to fill per recipient."""
    return EmailShape.of(render_email(kind, locale=locale, context=context, time_zone=time_zone))


def _render(env: Environment, kind: str, filename: str, ctx: dict[str, Any]) -> str:
    try:
        template = env.get_template(f"{kind}/{filename}")
    except TemplateNotFound as exc:
        raise LookupError(f"email template {kind}/{filename} is missing") from exc
    return template.render(ctx)
