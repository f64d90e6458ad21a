"""What the LRS keeps that names one learner, found and deleted for their erasure.

A learner is named by the agent keys (:func:`ifi_key`) of their mailbox (``mbox`` and
``mbox_sha1sum``) and of every actor their statements came with: a statement matched to
them by ``account.name`` (their employee id, under whichever ``homePage`` the course uses)
carries that account's key. Everything is limited to the person's region and rollouts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select

from app.extensions import db
from app.progress.models import XapiStatement
from app.xapi.attachments import _declared
from app.xapi.index import ifi_key
from app.xapi.models import XapiAttachment, XapiDocument, XapiRelated


def mailbox_keys(email: str) -> set[str]:
    """The agent keys of an email address as ``mbox`` and as ``mbox_sha1sum``."""
    mbox = "mailto:" + email.strip().lower()
    sha1 = hashlib.sha1(mbox.encode()).hexdigest()  # noqa: S324 - the xAPI mbox_sha1sum
    return {k for k in (ifi_key({"mbox": mbox}), ifi_key({"mbox_sha1sum": sha1})) if k}


def forget_agent(
    *, region_id: int, rollout_ids: Iterable[int], enrollment_ids: Iterable[int], email: str
) -> set[str]:
    """Delete the documents, related-index rows and attachments naming a learner in these
    rollouts; returns their agent keys (the caller blanks the statements). Flushes."""
    rollout_ids, enrollment_ids = list(rollout_ids), list(enrollment_ids)
    keys = mailbox_keys(email)
    if not rollout_ids:
        return keys
    scoped = (XapiStatement.region_id == region_id, XapiStatement.rollout_id.in_(rollout_ids))
    if enrollment_ids:
        keys |= {
            k
            for k in db.session.scalars(
                select(XapiStatement.actor_key)
                .where(*scoped, XapiStatement.enrollment_id.in_(enrollment_ids))
                .distinct()
            )
            if k
        }
    theirs = or_(
        XapiStatement.actor_key.in_(keys),
        XapiStatement.enrollment_id.in_(enrollment_ids or [-1]),
    )
    payloads: list[Any] = list(
        db.session.scalars(select(XapiStatement.payload).where(*scoped, theirs))
    )
    sha2s = {str(a.get("sha2", "")).lower() for _, a in _declared(payloads)} - {""}
    statement_pks = select(XapiStatement.id).where(*scoped, theirs)
    db.session.execute(
        delete(XapiRelated)
        .where(
            XapiRelated.region_id == region_id,
            XapiRelated.rollout_id.in_(rollout_ids),
            or_(
                XapiRelated.statement_pk.in_(statement_pks),
                (XapiRelated.kind == "agent") & XapiRelated.key.in_(keys),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(XapiDocument)
        .where(
            XapiDocument.region_id == region_id,
            XapiDocument.rollout_id.in_(rollout_ids),
            XapiDocument.agent_key.in_(keys),
        )
        .execution_options(synchronize_session=False)
    )
    if sha2s:
        db.session.execute(
            delete(XapiAttachment)
            .where(
                XapiAttachment.region_id == region_id,
                XapiAttachment.rollout_id.in_(rollout_ids),
                XapiAttachment.sha2.in_(sha2s),
            )
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return keys
