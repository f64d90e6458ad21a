"""Erasure after the retention period: a region's rollouts past it lose what identifies
their people (as :func:`app.privacy.services.erase_person` does for one person), their
stored reports and documents are scrubbed, their kept files deleted."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update

from app.audit.models import AuditEvent
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboundAttachment, OutboundEmail
from app.people.models import Person
from app.privacy.services import ERASED_NAME, erase_owned_columns, name_variants, pseudonym
from app.progress.kept_files import forget_files
from app.regions.models import Region
from app.reports.models import Report
from app.rollouts.models import Enrollment, Rollout, RolloutStatus

log = logging.getLogger(__name__)


def rollouts_past_retention(*, region: Region, now: datetime) -> list[Rollout]:
    """Closed rollouts of ``region`` whose retention period has run out and are not yet erased."""
    cutoff = now - timedelta(days=region.retention_days)
    return list(
        db.session.scalars(
            select(Rollout).where(
                Rollout.region_id == region.id,
                Rollout.status == RolloutStatus.CLOSED,
                Rollout.closed_at <= cutoff,
                Rollout.personal_data_erased_at.is_(None),
            )
        )
    )


def erase_expired_rollouts(*, region: Region, now: datetime) -> int:
    """Erase personal data of closed rollouts past the region's retention period.

    Per rollout, set-based: the personal columns of its enrollments' rows are blanked;
    its people who are in no other open rollout get pseudonyms; the region's emails
    from before the end of the retention period are deleted (delivery records past
    retention); names are scrubbed from the region's stored reports and audit trail.
    Report figures stay; the audit trail keeps its structure under pseudonyms.
    """
    erased = 0
    for rollout in rollouts_past_retention(region=region, now=now):
        enrollment_ids = (
            select(Enrollment.id).where(Enrollment.rollout_id == rollout.id).scalar_subquery()
        )
        erase_owned_columns(person_ids=None, enrollment_ids=enrollment_ids)
        forget_files(rollout_ids=[rollout.id])
        still_enrolled = (
            select(Enrollment.person_id)
            .join(Rollout, Rollout.id == Enrollment.rollout_id)
            .where(Rollout.id != rollout.id, Rollout.status != RolloutStatus.CLOSED)
        )
        people = db.session.execute(
            select(Person.id, Person.name, Person.email, Person.employee_id).where(
                Person.id.in_(
                    select(Enrollment.person_id).where(Enrollment.rollout_id == rollout.id)
                ),
                Person.id.not_in(still_enrolled),
                Person.erased_at.is_(None),
            )
        ).all()
        cutoff = rollout.closed_at + timedelta(days=region.retention_days)
        old_emails = select(OutboundEmail.id).where(
            or_(
                (OutboundEmail.region_id == region.id) & (OutboundEmail.created_at <= cutoff),
                OutboundEmail.person_id.in_([p.id for p in people]),
            )
        )
        db.session.execute(
            delete(OutboundAttachment)
            .where(OutboundAttachment.email_id.in_(old_emails.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(OutboundEmail)
            .where(OutboundEmail.id.in_(old_emails.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        replacements: dict[str, str] = {}
        for person in people:
            alias = pseudonym(person.id)
            for value in name_variants(person.name, person.email):
                replacements[value] = alias
        scrub_region_documents(region_id=region.id, replacements=replacements)
        if people:
            stamp = utcnow()
            db.session.execute(
                update(Person.__table__)
                .where(Person.__table__.c.id == bindparam("pid"))
                .values(
                    name=ERASED_NAME,
                    email=bindparam("new_email"),
                    employee_id=bindparam("alias"),
                    locale=None,
                    time_zone=None,
                    manager_id=None,
                    erased_at=stamp,
                ),
                [
                    {
                        "pid": p.id,
                        "alias": pseudonym(p.id),
                        "new_email": f"{pseudonym(p.id)}@erased.invalid",
                    }
                    for p in people
                ],
            )
            db.session.execute(
                update(AuditEvent.__table__)
                .where(
                    AuditEvent.__table__.c.actor_type == "person",
                    AuditEvent.__table__.c.actor_id == bindparam("pid"),
                )
                .values(actor_label=bindparam("alias")),
                [{"pid": p.id, "alias": pseudonym(p.id)} for p in people],
            )
        rollout.personal_data_erased_at = utcnow()
        record(
            region_id=region.id,
            action="rollout.personal_data_erased",
            obj=rollout,
            actor=None,
            channel="job",
            data={"people": len(people)},
        )
        erased += 1
        log.info("retention: erased rollout %s (%s people)", rollout.slug, len(people))
    db.session.flush()
    db.session.expire_all()
    return erased


def scrub_region_documents(*, region_id: int, replacements: dict[str, str]) -> None:
    """Replace names and emails in one region's stored reports and audit data (streamed)."""
    if not replacements:
        return
    pattern = re.compile(
        "|".join(re.escape(k) for k in sorted(replacements, key=len, reverse=True))
    )

    def scrub(text: str) -> str:
        return pattern.sub(lambda m: replacements[m.group(0)], text)

    emails = db.session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.region_id == region_id)
        .execution_options(yield_per=1000)
    )
    for email in emails:
        for name in ("subject", "text_body", "html_body", "to_name"):
            value = getattr(email, name)
            cleaned = scrub(value)
            if cleaned != value:
                setattr(email, name, cleaned)
    for report in db.session.scalars(select(Report).where(Report.region_id == region_id)):
        report.html = scrub(report.html)
        report.figures = json.loads(scrub(json.dumps(report.figures, ensure_ascii=False)))
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.region_id == region_id)
        .execution_options(yield_per=1000)
    )
    for event in events:
        label = scrub(event.actor_label)
        data = json.loads(scrub(json.dumps(event.data, ensure_ascii=False)))
        if label != event.actor_label or data != event.data:
            event.actor_label, event.data = label, data
