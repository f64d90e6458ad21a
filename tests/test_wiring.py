"""The factory wires every cross-capability effect: each signal has its receivers once an app
is built. What each effect does is tested through the app elsewhere: a commitment requests
time (tests/approvals), a manager change moves pending requests (tests/auth/test_directory.py,
tests/approvals/test_reminders.py), a leaver leaves the calls (tests/terms/test_review.py), a
completer gets the goal survey and master-class invitations (tests/goals, tests/masterclasses),
a connector's sync counts as progress data (tests/connectors/test_freshness.py)."""

from __future__ import annotations

from app.approvals import handlers as approvals
from app.calls import handlers as calls
from app.connectors import handlers as connectors
from app.goals import handlers as goals
from app.masterclasses import handlers as masterclasses
from app.people.signals import manager_changed, managers_changed
from app.progress.signals import freshness_wanted
from app.rollouts.signals import enrollment_committed, enrollment_completed, enrollment_left


def test_the_factory_connects_every_receiver(app):
    wired = {
        enrollment_committed: {approvals._request_time},
        manager_changed: {approvals._move_pending},
        managers_changed: {approvals._move_pending_in_bulk},
        enrollment_left: {calls._withdraw_from_calls},
        enrollment_completed: {masterclasses.invite_completer, goals.survey_completer},
        freshness_wanted: {connectors._sync_freshness},
    }
    for signal, receivers in wired.items():
        assert receivers <= set(signal.receivers_for(object())), signal.name


def test_a_completer_is_invited_before_the_survey_goes_out(app):
    """Receivers run in the order the factory connects them (as the handlers were imported)."""
    order = [r for r in enrollment_completed.receivers_for(object())]
    assert order.index(masterclasses.invite_completer) < order.index(goals.survey_completer)
