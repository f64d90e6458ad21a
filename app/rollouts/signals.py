"""Signals other capabilities listen to (connected in their ``handlers.py``).

Senders pass the enrollment (or person) as the sender and keyword arguments;
receivers run inside the sender's transaction and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

#: a learner pledged and set their goal: ``enrollment_committed.send(enrollment)``
enrollment_committed = _signals.signal("enrollment-committed")
#: a learner completed the program: ``enrollment_completed.send(enrollment)``
enrollment_completed = _signals.signal("enrollment-completed")
#: a learner left (removed as a free rider or withdrawn): ``enrollment_left.send(enrollment)``
enrollment_left = _signals.signal("enrollment-left")
#: pairing asks who must wait: ``pairing_holds.send(rollout)``; each receiver returns the
#: ids of the rollout's enrollments that are not to be paired yet (a declined time request)
pairing_holds = _signals.signal("pairing-holds")
