"""Capacity under concurrency: real threads, each with its own session and connection."""

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from app.extensions import db
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import (
    HOLDS_SEAT,
    InvitationStatus,
    MasterClass,
    MasterClassInvitation,
)
from app.masterclasses.services import accept_invitation, decline_invitation, promote_waitlist
from tests.factories import RolloutFactory
from tests.masterclasses.helpers import completer, master_class


def _race(app, *actions: Callable[[], None]) -> None:
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], None]) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                action()
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def _load(invitation_id: int) -> MasterClassInvitation:
    invitation = db.session.get(MasterClassInvitation, invitation_id)
    assert invitation is not None
    return invitation


def _holding(mc_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(MasterClassInvitation.id)).where(
            MasterClassInvitation.master_class_id == mc_id,
            MasterClassInvitation.status.in_(list(HOLDS_SEAT)),
        )
    )


def test_many_workers_on_few_seats_never_overbook(app):
    rollout = RolloutFactory()
    mc = master_class(rollout.program, capacity=2)
    for _ in range(6):
        completer(rollout)
    ids = [i.id for i in invite_qualifying(mc)]
    db.session.commit()
    _race(app, *[lambda i=i: accept_invitation(_load(i)) for i in ids])
    assert _holding(mc.id) == 2
    assert db.session.get(MasterClass, mc.id).seats_taken == 2


def test_a_decline_racing_a_new_accept_gives_the_seat_to_the_waitlist(app):
    rollout = RolloutFactory()
    mc = master_class(rollout.program, capacity=1)
    for _ in range(3):
        completer(rollout)
    holder, waiting, newcomer = invite_qualifying(mc)
    accept_invitation(holder)
    accept_invitation(waiting)
    db.session.commit()
    ids = holder.id, newcomer.id
    _race(
        app,
        lambda: decline_invitation(_load(ids[0])),
        lambda: accept_invitation(_load(ids[1])),
    )
    _race(
        app,
        lambda: promote_waitlist(master_class_id=mc.id),
        lambda: promote_waitlist(master_class_id=mc.id),
    )
    assert _holding(mc.id) == 1
    assert db.session.get(MasterClass, mc.id).seats_taken == 1
    # the newcomer did not jump the queue: the freed place went to the one waiting
    assert db.session.get(MasterClassInvitation, waiting.id).status == InvitationStatus.ACCEPTED
    assert db.session.get(MasterClassInvitation, ids[1]).status == InvitationStatus.WAITLISTED
