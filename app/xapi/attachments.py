"""Statement attachments (xAPI 1.0.3, Data §2.4.11, Communication §1.5.2) and signed
statements (Data §2.6).

A statement whose attachment has no ``fileUrl`` comes in a multipart/mixed request: the
statements first (application/json), then one part per attachment, named by its
``X-Experience-API-Hash`` (the sha2 of the statement's attachment). Every such attachment
needs its part and every part an attachment that names it, else 400. A signature attachment
(usageType ``…/attachments/signature``) is an ``application/octet-stream`` JWS whose
algorithm is RS256, RS384 or RS512, whose payload is the statement as sent (less its
attachments and what the LRS sets) and which, with an ``x5c`` certificate in its header,
verifies with that certificate's key; the LRS keeps it with the statement. Contents are
stored once per rollout and sha2, and returned with ``attachments=true``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from werkzeug.datastructures import Headers

from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.errors import XapiError
from app.xapi.models import XapiAttachment

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
JWS_ALGORITHMS = {"RS256", "RS384", "RS512"}
#: what the signature may leave out or the LRS sets (Data §2.6: compare the rest)
UNSIGNED = {"attachments", "stored", "authority", "version", "id"}


def _declared(statements: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(statement, attachment) for every attachment of the batch (Sub-Statements included)."""
    found = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        for body in (statement, statement.get("object")):
            if isinstance(body, dict) and isinstance(body.get("attachments"), list):
                for attachment in body["attachments"]:
                    if isinstance(attachment, dict):
                        found.append((statement, attachment))
    return found


def match_parts(
    statements: list[Any], parts: list[tuple[Headers, bytes]]
) -> dict[str, tuple[str, bytes]]:
    """The parts by sha2 (content type, content), checked against the statements' attachments
    and signatures; XapiError(400) for a missing, unclaimed, or mislabelled part."""
    by_hash: dict[str, tuple[str, bytes]] = {}
    for headers, content in parts:
        sha2 = headers.get("X-Experience-API-Hash", "").strip().lower()
        if not sha2:
            raise XapiError(400, "every attachment part needs an X-Experience-API-Hash header")
        if headers.get("Content-Transfer-Encoding", "binary").strip().lower() != "binary":
            raise XapiError(400, "attachment parts are sent with Content-Transfer-Encoding: binary")
        if (
            hashlib.sha256(content).hexdigest() != sha2
            and hashlib.sha512(content).hexdigest() != sha2
            and hashlib.sha384(content).hexdigest() != sha2
        ):
            raise XapiError(400, f"the attachment part {sha2} does not have that hash")
        by_hash[sha2] = (headers.get("Content-Type", "application/octet-stream"), content)
    declared = _declared(statements)
    claimed = {str(a.get("sha2", "")).lower() for _, a in declared}
    for sha2 in by_hash:
        if sha2 not in claimed:
            raise XapiError(400, f"the attachment part {sha2} belongs to no statement")
    for statement, attachment in declared:
        sha2 = str(attachment.get("sha2", "")).lower()
        if sha2 not in by_hash:
            if attachment.get("fileUrl"):
                continue
            raise XapiError(400, f"the attachment {sha2} has no fileUrl and was not sent")
        if attachment.get("usageType") == SIGNATURE:
            check_signature(statement, attachment, by_hash[sha2][1])
    return by_hash


def check_signature(statement: dict[str, Any], attachment: dict[str, Any], jws: bytes) -> None:
    """A signature attachment is an octet-stream JWS (RS256/384/512) of the statement."""
    if attachment.get("contentType") != "application/octet-stream":
        raise XapiError(400, "a signature attachment's contentType is application/octet-stream")
    pieces = jws.decode("ascii", "replace").strip().split(".")
    if len(pieces) != 3:
        raise XapiError(400, "the signature is not a JWS in compact serialization")
    try:
        header = json.loads(_b64url(pieces[0]))
        payload = json.loads(_b64url(pieces[1]))
    except ValueError as exc:
        raise XapiError(400, "the signature's header or payload is not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") not in JWS_ALGORITHMS:
        raise XapiError(400, "a signature uses RS256, RS384 or RS512")
    if header.get("x5c"):
        _verify_x5c(header, pieces)
    if not isinstance(payload, dict) or _signed_view(payload) != _signed_view(statement):
        raise XapiError(400, "the signature's payload is not this statement")


def _verify_x5c(header: dict[str, Any], pieces: list[str]) -> None:
    """The JWS verifies with the public key of its first x5c certificate (Data §2.6: a
    check for mistakes, not an authentication of the signer)."""
    hashing = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
    try:
        chain = header["x5c"]
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise TypeError("not an RSA key")
        key.verify(
            _b64url(pieces[2]),
            f"{pieces[0]}.{pieces[1]}".encode("ascii"),
            padding.PKCS1v15(),
            hashing[header["alg"]](),
        )
    except (InvalidSignature, KeyError, IndexError, TypeError, ValueError) as exc:
        raise XapiError(400, "the signature does not verify with its x5c certificate") from exc


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed_view(statement: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k not in UNSIGNED}


def store_attachments(
    *, region: Region, rollout: Rollout, contents: dict[str, tuple[str, bytes]], now: datetime
) -> None:
    """Keep the contents the rollout does not have yet: one query, one multi-row insert."""
    if not contents:
        return
    known = set(
        db.session.scalars(
            select(XapiAttachment.sha2).where(
                XapiAttachment.rollout_id == rollout.id,
                XapiAttachment.sha2.in_(sorted(contents)),
            )
        )
    )
    fresh = [
        {
            "region_id": region.id,
            "rollout_id": rollout.id,
            "sha2": sha2,
            "content_type": content_type[:255],
            "content": content,
            "stored_at": now,
        }
        for sha2, (content_type, content) in contents.items()
        if sha2 not in known
    ]
    if fresh:
        db.session.execute(XapiAttachment.__table__.insert(), fresh)
    db.session.flush()


def load_attachments(*, rollout_id: int, statements: list[dict[str, Any]]) -> list[XapiAttachment]:
    """The stored contents the statements' attachments name, in one query."""
    wanted = {str(a.get("sha2", "")).lower() for _, a in _declared(statements)}
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(XapiAttachment).where(
                XapiAttachment.rollout_id == rollout_id, XapiAttachment.sha2.in_(sorted(wanted))
            )
        )
    )
