"""A built report to its readers: one email per subscribed sponsor of the region (or global
reader), in the outbox with the report's CSV attached and a one-click unsubscribe."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import StaffUser
from app.db import utcnow
from app.extensions import db
from app.language import reader_locale
from app.links.services import absolute_url, make_token
from app.mail.services import Attachment, queue_email
from app.regions.models import Region
from app.reports import content
from app.reports.models import Report
from app.reports.subscriptions import GLOBAL_PURPOSE, REGION_PURPOSE, unsubscribe_headers
from app.rollouts.models import Rollout, RolloutSponsor, RolloutStatus

REGION_KIND = "reports/regional"


GLOBAL_KIND = "reports/global"


def regional_recipients(region_ids: list[int]) -> dict[int, list[RolloutSponsor]]:
    """Subscribed sponsors of each region's live rollouts, one per address."""
    found: dict[int, list[RolloutSponsor]] = {}
    seen: set[tuple[int, str]] = set()
    sponsors = db.session.scalars(
        select(RolloutSponsor)
        .join(Rollout, Rollout.id == RolloutSponsor.rollout_id)
        .where(
            RolloutSponsor.region_id.in_(region_ids),
            RolloutSponsor.subscribed.is_(True),
            Rollout.status != RolloutStatus.DRAFT,
        )
        .order_by(RolloutSponsor.id)
    )
    for sponsor in sponsors:
        key = (sponsor.region_id, sponsor.email.strip().lower())
        if key in seen:
            continue
        seen.add(key)
        found.setdefault(sponsor.region_id, []).append(sponsor)
    return found


def send_regional(report: Report, region: Region, sponsors: list[RolloutSponsor]) -> None:
    subject_context = {"region_name": region.name, "week": report.week}
    for sponsor in sponsors:
        token = make_token(purpose=REGION_PURPOSE, person_id=sponsor.id, object_id=region.id)
        queue_email(
            kind=REGION_KIND,
            to_address=sponsor.email,
            to_name=sponsor.name,
            idempotency_key=f"reports:region:{region.code}:{report.week}:{sponsor.email.lower()}",
            context={
                **subject_context,
                "content_html": report.html,
                "content_text": report.text,
                "manage_url": absolute_url("reports_public.subscription", token=token),
            },
            locale=region.locale,
            region_id=region.id,
            attachments=[
                Attachment(
                    filename="trend.png",
                    content_type="image/png",
                    data=report.chart_png or b"",
                    content_id=content.CHART_CID,
                ),
                Attachment(
                    filename=f"summit-{region.code}-{report.week}.csv",
                    content_type="text/csv",
                    data=report.csv.encode("utf-8-sig"),
                ),
            ],
            headers=unsubscribe_headers(absolute_url("reports_public.one_click", token=token)),
        )
    report.sent_at = utcnow()
    report.recipients = len(sponsors)


def send_global(report: Report, sponsors: list[StaffUser]) -> None:
    """One email per global sponsor, in their language (their own, else the region of a
    regional role they hold, else English), the league table attached as CSV."""
    copies: dict[str, tuple[str, str, str]] = {}
    web_url = absolute_url("reports.global_show", week=report.week)
    for user in sponsors:
        locale = sponsor_locale(user)
        if locale not in copies:
            rendered = content.global_report_in(
                GLOBAL_KIND,
                week=report.week,
                figures=report.figures or {},
                locale=locale,
                web_url=web_url,
            )
            html, text = rendered or (report.html, report.text)
            csv = report.csv
            if "regions" in (report.figures or {}):
                csv = content.global_csv(
                    week=report.week,
                    regions=report.figures["regions"],
                    overall=report.figures["overall"],
                    locale=locale,
                )
            copies[locale] = (html, text, csv)
        html, text, csv = copies[locale]
        token = make_token(purpose=GLOBAL_PURPOSE, person_id=user.id, object_id=0)
        queue_email(
            kind=GLOBAL_KIND,
            to_address=user.email,
            to_name=user.name,
            idempotency_key=f"reports:global:{report.week}:{user.email.lower()}",
            context={
                "week": report.week,
                "content_html": html,
                "content_text": text,
                "manage_url": absolute_url("reports_public.subscription", token=token),
            },
            locale=locale,
            attachments=[
                Attachment(
                    filename=f"summit-global-{report.week}.csv",
                    content_type="text/csv",
                    data=csv.encode("utf-8-sig"),
                )
            ],
            headers=unsubscribe_headers(absolute_url("reports_public.one_click", token=token)),
        )
    report.sent_at = utcnow()
    report.recipients = len(sponsors)


def sponsor_locale(user: StaffUser) -> str:
    """The locale a global sponsor reads: their own; else that of the first region (by id)
    where they also hold a role; else the one language all regions share (a German-only
    organisation); else English."""
    region_ids = sorted({r.region_id for r in user.roles if r.region_id is not None})
    if region_ids:
        own = db.session.scalars(
            select(Region.locale).where(Region.id.in_(region_ids)).order_by(Region.id)
        )
        return reader_locale(user.locale, *own)
    shared = {reader_locale(code) for code in db.session.scalars(select(Region.locale))}
    return reader_locale(user.locale, *(shared if len(shared) == 1 else ()))
