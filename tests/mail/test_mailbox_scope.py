"""The dev mailbox shows an email of no region (a global sponsor's report, a test email)
only to global admins (issue 18): a local lead saw every such email."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from app.auth.models import Role
from app.extensions import db
from app.mail.services import queue_email
from tests.factories import region, staff

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _email(key: str, region_code: str | None) -> int:
    email = queue_email(
        kind="mail/test",
        to_address=f"{key}@example.com",
        idempotency_key=key,
        context={"name": "Ana", "sent_at": NOW, "url": "http://summit.test/"},
        region_id=region(region_code).id if region_code else None,
    )
    db.session.flush()
    return email.id


def test_an_email_of_no_region_is_for_global_admins_only(login_as) -> None:
    regional, global_only = _email("regional", "de"), _email("global-sponsor", None)
    lead = staff(Role.LOCAL_LEAD, "de")
    admin = staff(Role.GLOBAL_ADMIN)
    client = login_as(lead)
    listing = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "regional@example.com" in listing and "global-sponsor@example.com" not in listing
    assert client.get(f"/dev/mailbox/{regional}").status_code == 200
    for suffix in ("", "/html"):
        assert client.get(f"/dev/mailbox/{global_only}{suffix}").status_code == 404
    client = login_as(admin)
    listing = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "global-sponsor@example.com" in listing
    assert client.get(f"/dev/mailbox/{global_only}").status_code == 200


def test_the_mailbox_shows_each_email_in_its_regions_zone_and_the_readers_locale(
    login_as,
) -> None:
    """It showed UTC where the dashboard shows local time (issue 23): a French admin reads an
    Indian email queued at 08:00 UTC as 13:30 (Asia/Kolkata), in French."""
    with time_machine.travel(NOW, tick=False):
        indian, global_only = _email("kolkata", "in"), _email("global-report", None)
    client = login_as(staff(Role.GLOBAL_ADMIN, locale="fr"))
    listing = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "23 nov. 2026, 13:30" in listing  # India, in French
    assert "23 nov. 2026, 08:00" in listing  # no region: UTC
    assert "Nov 23, 2026" not in listing
    page = client.get(f"/dev/mailbox/{indian}").get_data(as_text=True)
    assert "23 nov. 2026, 13:30" in page and "Asia/Kolkata" in page
    page = client.get(f"/dev/mailbox/{global_only}").get_data(as_text=True)
    assert "23 nov. 2026, 08:00" in page and "(UTC)" in page
