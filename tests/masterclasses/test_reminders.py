from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import time_machine

from app.extensions import db
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import InvitationStatus
from app.masterclasses.services import accept_invitation, due_masterclass_reminders
from tests.factories import RolloutFactory, region
from tests.masterclasses.helpers import completer, emails, invitations, master_class

BERLIN = ZoneInfo("Europe/Berlin")


def test_reminder_goes_the_day_before_in_the_region_zone_once():
    # 00:30 on 29 March in Berlin is still 28 March in UTC; DST starts that night
    starts = datetime(2027, 3, 29, 0, 30, tzinfo=BERLIN)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        rollout = RolloutFactory()
        mc = master_class(rollout.program, starts_at=starts.astimezone(UTC))
        completer(rollout), completer(rollout)
        invite_qualifying(mc)
        accepted, waiting = invitations(mc)
        accept_invitation(accepted)
        assert waiting.status == InvitationStatus.INVITED
    de = region("de")
    with time_machine.travel(datetime(2027, 3, 27, 9, 0, tzinfo=BERLIN), tick=False):
        assert due_masterclass_reminders(region=de) == 0  # two days before
    with time_machine.travel(datetime(2027, 3, 28, 9, 0, tzinfo=BERLIN), tick=False):
        assert due_masterclass_reminders(region=de) == 1
        assert due_masterclass_reminders(region=de) == 0  # never twice
    [reminder] = emails("masterclasses/reminder")
    assert reminder.to_address == accepted.enrollment.person.email
    # the learner's format and zone, no seconds
    assert "Montag, 29. März 2027, 00:30" in reminder.text_body
    db.session.refresh(accepted)
    assert accepted.reminder_sent_at is not None


def test_no_reminder_after_the_start_or_for_declined():
    rollout = RolloutFactory()
    starts = datetime(2027, 5, 4, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(datetime(2027, 5, 1, 9, 0, tzinfo=UTC), tick=False):
        mc = master_class(rollout.program, starts_at=starts.astimezone(UTC))
        completer(rollout)
        invite_qualifying(mc)
    with time_machine.travel(datetime(2027, 5, 4, 11, 0, tzinfo=BERLIN), tick=False):
        assert due_masterclass_reminders(region=region("de")) == 0
