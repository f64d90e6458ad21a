"""Bulk email into the outbox (``insert_outbox``): on PostgreSQL by COPY, and when a key
is already there (a run retried) by the INSERT that skips it; the same rows either way."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.services import insert_outbox, message_id_for
from tests.factories import region


def _row(n: int, region_id: int, subject: str = "Your week") -> dict:
    key = f"bench/{n}"
    return {
        "idempotency_key": key,
        "kind": "journey/weekly",
        "region_id": region_id,
        "person_id": None,
        "to_address": f"learner{n}@example.com",
        "to_name": f"Learner {n}",
        "subject": subject,
        "text_body": "Hello\tthere\\n" + "x" * 3000,  # COPY's escapes, a body past 2 kB
        "html_body": "<p>Hello</p>\n" * 300,
        "message_id": message_id_for(key),
        "locale": "de_DE",
    }


def _stored() -> dict[str, tuple]:
    return {
        e.idempotency_key: (e.subject, e.text_body, e.html_body, e.status, e.created_at)
        for e in db.session.scalars(select(OutboundEmail))
    }


def test_bulk_rows_are_stored_as_given_and_a_second_run_adds_only_new_keys(app) -> None:
    de = region("de").id
    insert_outbox([_row(n, de) for n in range(3)])
    db.session.commit()
    first = _stored()
    assert set(first) == {"bench/0", "bench/1", "bench/2"}
    subject, text, html, status, created = first["bench/1"]
    given = _row(1, de)
    assert (subject, text, html) == ("Your week", given["text_body"], given["html_body"])
    assert status is EmailStatus.PENDING and created.tzinfo is not None
    # a retried run: two keys already there (kept as they were), one new
    insert_outbox([_row(n, de, subject="Again") for n in range(1, 4)])
    db.session.commit()
    second = _stored()
    assert set(second) == {"bench/0", "bench/1", "bench/2", "bench/3"}
    assert second["bench/1"] == first["bench/1"] and second["bench/3"][0] == "Again"
