""" "Send me a fresh link": every signed-link purpose can email its person a new link.

The factory fills one registry (``register_fresh_links`` in ``app/__init__.py``): for
each purpose, how long its links live and the capability's function that, given the
verified claims of an old link, checks that the link still leads somewhere and says
where a new one goes (:class:`FreshLink`), or None. :func:`send_fresh_link` then
queues one email through the outbox, to the address Summit holds for the person the
token was made for, at most one a day per link. The page answers the same whatever
happened, so it never tells whether a person (or anything to decide) exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import DEFAULT_LOCALE, accepted_locale, person_locale, reader_locale
from app.links.services import (
    DEFAULT_MAX_AGE,
    ActionClaims,
    LinkExpired,
    LinkInvalid,
    claims_of,
    read_claims,
)
from app.mail.models import OutboundEmail
from app.mail.services import queue_email
from app.people.models import Person
from app.scoping import region_scope, set_region_scope

log = logging.getLogger(__name__)

#: an expired link may still ask for a fresh one this long after it stopped working
REFRESH_WINDOW = timedelta(days=180)
FRESH_KIND = "links/fresh_link"


@dataclass(frozen=True)
class FreshLink:
    """Where a fresh link goes: the new URL and the person the old token names."""

    url: str
    to_address: str
    to_name: str
    locale: str | None
    region_id: int | None
    #: the Person row, when the recipient is one (sponsors and staff are not)
    person_id: int | None = None


#: ``(claims) -> FreshLink | None``: reads only; may grant the regions it needs
Finder = Callable[[ActionClaims], FreshLink | None]


@dataclass(frozen=True)
class LinkPurpose:
    name: str
    find: Finder
    #: how long the purpose's links work
    max_age: timedelta
    #: the token's person id is a Person (sponsors' and staff's links name other rows)
    names_person: bool = True


class FreshLinks:
    """The registry of link purposes; one per application, filled in the factory."""

    def __init__(self) -> None:
        self._purposes: dict[str, LinkPurpose] = {}

    def add(
        self,
        name: str,
        find: Finder,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        names_person: bool = True,
    ) -> None:
        if name in self._purposes:
            raise ValueError(f"link purpose {name!r} registered twice")
        self._purposes[name] = LinkPurpose(
            name=name, find=find, max_age=max_age, names_person=names_person
        )

    def get(self, name: str) -> LinkPurpose | None:
        return self._purposes.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._purposes

    def names(self) -> list[str]:
        return sorted(self._purposes)


def init_app(app: Flask, registry: FreshLinks) -> None:
    app.extensions["summit.fresh_links"] = registry


def registry() -> FreshLinks:
    return current_app.extensions["summit.fresh_links"]


@contextmanager
def _kept_scope() -> Iterator[None]:
    """A finder may grant regions to read; the request's scope is restored afterwards."""
    previous = region_scope(db.session)
    try:
        yield
    finally:
        set_region_scope(db.session, previous)


def _claims(token: str, purpose: LinkPurpose) -> ActionClaims:
    try:
        return read_claims(token, purpose=purpose.name, max_age=purpose.max_age + REFRESH_WINDOW)
    except LinkExpired as exc:
        raise LinkInvalid() from exc  # too old even to refresh


def can_refresh(token: str, purpose: str) -> bool:
    """Whether a fresh link may be asked for with this token (a known purpose, a genuine
    token, not past its purpose's refresh window)."""
    entry = registry().get(purpose)
    if entry is None:
        return False
    try:
        _claims(token, entry)
    except LinkInvalid:
        return False
    return True


def language_of_link(token: str, purpose: str) -> str | None:
    """The language Summit writes in to the person a genuine (maybe expired) token names:
    the fresh link's, else the person's; None when the token says nothing trustworthy."""
    entry = registry().get(purpose)
    claims = claims_of(token, purpose=purpose)
    if entry is None or claims is None:
        return None
    if can_refresh(token, purpose):
        with _kept_scope():
            fresh = entry.find(claims)
        if fresh is not None:
            return reader_locale(fresh.locale)
    return language_of_person(claims.person_id) if entry.names_person else None


def send_fresh_link(*, token: str, purpose: str, now: datetime | None = None) -> bool:
    """Queue a fresh link for the person the token was made for, at most one a day.

    Queues the ``links/fresh_link`` email (outbox) and an audit event when the link still
    leads somewhere; flushes, never commits. Returns whether an email was queued (the
    page does not say). Raises LinkInvalid for an unknown purpose, a tampered token or
    one too old even to refresh.
    """
    entry = registry().get(purpose)
    if entry is None:
        raise LinkInvalid()
    claims = _claims(token, entry)
    with _kept_scope():
        fresh = entry.find(claims)
        if fresh is None:
            log.info("fresh %s link for person %s: nothing to send", purpose, claims.person_id)
            return False
        day = (now or utcnow()).date().isoformat()
        key = f"{FRESH_KIND}/{purpose}/{claims.person_id}/{claims.object_id}/{day}"
        if db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.idempotency_key == key)):
            return False  # one a day: today's is sent already
        queue_email(
            kind=FRESH_KIND,
            to_address=fresh.to_address,
            to_name=fresh.to_name,
            idempotency_key=key,
            context={"name": fresh.to_name, "url": fresh.url},
            locale=fresh.locale,
            region_id=fresh.region_id,
            person_id=fresh.person_id,
        )
        record(
            region_id=fresh.region_id,
            action="link.fresh_sent",
            object_type=purpose,
            object_id=claims.object_id,
            channel="link",
            data={"recipient_id": claims.person_id},
        )
        db.session.flush()
    return True


def link_page_language(claims: ActionClaims | None, accept_languages: Any) -> str:
    """The language of a page about a link: the person's a genuine token names (expired or
    not), else the browser's best supported locale (``request.accept_languages``), else
    English."""
    if claims is not None:
        lang = language_of_person(claims.person_id)
        if lang is not None:
            return lang
    return accepted_locale(accept_languages) or DEFAULT_LOCALE


def language_of_person(person_id: int) -> str | None:
    """The language Summit writes to the person a genuine token names (their locale, else
    their region's, as a supported locale), None if they are gone. Reads across regions: the
    signature vouches for the id, and only a language comes out."""
    previous = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        person = db.session.get(Person, person_id)
        if person is None or person.erased_at is not None:
            return None
        return person_locale(person, person.region)
    finally:
        set_region_scope(db.session, previous)
