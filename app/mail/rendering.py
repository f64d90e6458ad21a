"""Rendering email templates without a request.

Layout: ``email_templates/<kind>/subject.txt``, ``body.txt`` and ``body.html``
(English), with per-locale variants in ``email_templates/<kind>/<lang>/``.
One Jinja environment for all email: HTML autoescaped whatever the suffix,
``StrictUndefined`` so a missing variable fails loudly in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from app.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "email_templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=2)
def _environments(directory: str = str(TEMPLATES_DIR)) -> tuple[Environment, Environment]:
    loader = ChoiceLoader([FileSystemLoader(directory)])
    html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
    text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)  # noqa: S701 (plain text parts)
    return html_env, text_env


def _candidates(kind: str, locale: str | None, filename: str) -> list[str]:
    names = []
    if locale:
        lang = locale.replace("-", "_")
        names.append(f"{kind}/{lang}/{filename}")
        if "_" in lang:
            names.append(f"{kind}/{lang.split('_')[0]}/{filename}")
    names.append(f"{kind}/{filename}")
    return names


def render_email(kind: str, *, locale: str | None, context: dict[str, Any]) -> RenderedEmail:
    """Render the subject, text and HTML of ``kind`` in ``locale`` (English as fallback)."""
    html_env, text_env = _environments()
    ctx = {"locale": locale or "en", **context}
    subject = _render(text_env, kind, locale, "subject.txt", ctx)
    text = _render(text_env, kind, locale, "body.txt", ctx)
    html = _render(html_env, kind, locale, "body.html", ctx)
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)


def _render(
    env: Environment, kind: str, locale: str | None, filename: str, ctx: dict[str, Any]
) -> str:
    try:
        template = env.select_template(_candidates(kind, locale, filename))
    except TemplateNotFound as exc:
        raise LookupError(f"email template {kind}/{filename} is missing") from exc
    return template.render(ctx)
