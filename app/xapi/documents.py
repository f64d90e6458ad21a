"""The LRS's document resources (xAPI 1.0.3, Communication §2.2–2.7): State, Activity
Profile and Agent Profile, with ETag concurrency (§3.1); and the merged activity
definitions the Activities resource answers with (§2.5).

A document is the rollout's: every read and write filters on the credential's rollout id.
Writes: PUT replaces, POST merges two JSON objects one level deep (§2.2), DELETE removes.
``If-Match`` / ``If-None-Match`` are honoured on every write; a PUT to a profile that
exists without either header is a 409 (§3.1), so no client overwrites blind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.errors import XapiError
from app.xapi.models import XapiActivity, XapiDocument

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True)
class Scope:
    """Where documents live: a kind and its activity / agent / registration."""

    kind: str
    activity_iri: str | None = None
    agent_key: str | None = None
    registration: str | None = None

    @property
    def key(self) -> str:
        parts = [self.kind, self.activity_iri or "", self.agent_key or "", self.registration or ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def document_key(self, document_id: str) -> str:
        return hashlib.sha256(f"{self.key}\x1f{document_id}".encode()).hexdigest()


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()  # noqa: S324 - the ETag form the spec names


def find_document(*, rollout_id: int, scope: Scope, document_id: str) -> XapiDocument | None:
    return db.session.scalars(
        select(XapiDocument).where(
            XapiDocument.rollout_id == rollout_id,
            XapiDocument.document_key == scope.document_key(document_id),
        )
    ).one_or_none()


def document_ids(*, rollout_id: int, scope: Scope, since: datetime | None) -> list[str]:
    """The ids of the scope's documents (changed after ``since``), in one query."""
    stmt = select(XapiDocument.document_id).where(
        XapiDocument.rollout_id == rollout_id, XapiDocument.scope_key == scope.key
    )
    if since is not None:
        stmt = stmt.where(XapiDocument.updated_at > since)
    return list(db.session.scalars(stmt.order_by(XapiDocument.id)))


def _strip(tag: str) -> str:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def check_preconditions(
    existing: XapiDocument | None,
    *,
    if_match: str | None,
    if_none_match: str | None,
    conflict_without: bool,
) -> None:
    """412 when an If-Match / If-None-Match precondition fails; with ``conflict_without``
    and neither header sent, 409 when the document exists and 400 when it does not (RFC 2616
    §14.24, §14.26; xAPI Communication §2.6, §2.7, §3.1)."""
    if if_match is not None:
        tags = {_strip(t) for t in if_match.split(",")}
        if existing is None or ("*" not in tags and existing.etag not in tags):
            raise XapiError(412, "If-Match does not match the document's ETag")
    if if_none_match is not None:
        tags = {_strip(t) for t in if_none_match.split(",")}
        if existing is not None and ("*" in tags or existing.etag in tags):
            raise XapiError(412, "If-None-Match: the document exists")
    if conflict_without and if_match is None and if_none_match is None:
        if existing is not None:
            raise XapiError(
                409, "the document exists: send If-Match with its ETag (or If-None-Match: *)"
            )
        raise XapiError(400, "a profile PUT needs If-Match or If-None-Match: *")


def _json_object(content: bytes, content_type: str, what: str) -> dict[str, Any]:
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise XapiError(400, f"{what} is not application/json: only JSON documents merge")
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise XapiError(400, f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise XapiError(400, f"{what} is not a JSON object")
    return value


def write_document(
    *,
    region: Region,
    rollout: Rollout,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    merge: bool,
    if_match: str | None = None,
    if_none_match: str | None = None,
    now: datetime | None = None,
) -> XapiDocument:
    """Store a document (PUT), or with ``merge`` merge a JSON object into it (POST).

    Raises XapiError: 412 for a failed precondition, 409 for a profile PUT over an existing
    document without one, 400 when a merge meets something that is not a JSON object. Flushes.
    """
    now = now or utcnow()
    existing = find_document(rollout_id=rollout.id, scope=scope, document_id=document_id)
    check_preconditions(
        existing,
        if_match=if_match,
        if_none_match=if_none_match,
        conflict_without=not merge and scope.kind != STATE,
    )
    if merge:
        incoming = _json_object(content, content_type, "the document sent")
        if existing is not None:
            merged = _json_object(existing.content, existing.content_type, "the stored document")
            merged.update(incoming)
            content = json.dumps(merged, ensure_ascii=False).encode()
        content_type = "application/json"
    if existing is None:
        existing = XapiDocument(
            region_id=region.id,
            rollout_id=rollout.id,
            kind=scope.kind,
            scope_key=scope.key,
            document_key=scope.document_key(document_id),
            activity_iri=scope.activity_iri,
            agent_key=scope.agent_key,
            registration=scope.registration,
            document_id=document_id,
        )
        db.session.add(existing)
    existing.content = content
    existing.content_type = content_type[:255] or "application/octet-stream"
    existing.etag = etag_of(content)
    existing.updated_at = now
    db.session.flush()
    return existing


def delete_documents(
    *,
    rollout: Rollout,
    scope: Scope,
    document_id: str | None,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> None:
    """Delete one document, or (no ``document_id``; State only) every one of the scope.
    A failed precondition is a 412. Flushes."""
    if document_id is not None:
        existing = find_document(rollout_id=rollout.id, scope=scope, document_id=document_id)
        check_preconditions(
            existing, if_match=if_match, if_none_match=if_none_match, conflict_without=False
        )
        if existing is not None:
            db.session.delete(existing)
    else:
        db.session.execute(
            delete(XapiDocument).where(
                XapiDocument.rollout_id == rollout.id, XapiDocument.scope_key == scope.key
            )
        )
    db.session.flush()


# --- activities ---------------------------------------------------------------------------


def _iri_key(iri: str) -> str:
    return hashlib.sha256(iri.encode()).hexdigest()


def merge_definitions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, language maps merged tag by tag (two statements describing one
    activity in two languages give both)."""
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def record_activities(
    *, region: Region, rollout: Rollout, definitions: dict[str, dict[str, Any]], now: datetime
) -> None:
    """Merge the batch's activity definitions (activity id → definition) into the rollout's:
    one query reads the known ones, new ones are added in one multi-row insert. Flushes."""
    if not definitions:
        return
    keys = {_iri_key(iri): iri for iri in definitions}
    known = {
        row.iri_key: row
        for row in db.session.scalars(
            select(XapiActivity).where(
                XapiActivity.rollout_id == rollout.id, XapiActivity.iri_key.in_(sorted(keys))
            )
        )
    }
    fresh = []
    for key, iri in keys.items():
        row = known.get(key)
        if row is None:
            fresh.append(
                {
                    "region_id": region.id,
                    "rollout_id": rollout.id,
                    "iri_key": key,
                    "iri": iri,
                    "definition": definitions[iri],
                    "updated_at": now,
                }
            )
        else:
            merged = merge_definitions(row.definition, definitions[iri])
            if merged != row.definition:
                row.definition = merged
                row.updated_at = now
    if fresh:
        db.session.execute(XapiActivity.__table__.insert(), fresh)
    db.session.flush()


def find_activity(*, rollout_id: int, iri: str) -> dict[str, Any]:
    """The Activity object for ``iri``: its merged definition when statements gave one."""
    definition = db.session.scalar(
        select(XapiActivity.definition).where(
            XapiActivity.rollout_id == rollout_id, XapiActivity.iri_key == _iri_key(iri)
        )
    )
    activity: dict[str, Any] = {"objectType": "Activity", "id": iri}
    if definition:
        activity["definition"] = definition
    return activity
