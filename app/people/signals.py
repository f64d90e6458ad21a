"""Signals about people that other packages listen to (connected in their ``handlers.py``).

Receivers run inside the sender's transaction and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

#: a roster re-import or the directory import changed a person's manager:
#: ``manager_changed.send(person, old_manager_id=..., new_manager_id=...)``
manager_changed = _signals.signal("manager-changed")

#: the directory import changed many people's managers, a chunk at a time (no person
#: loaded): ``managers_changed.send("directory", changes=[(person_id, old_manager_id,
#: new_manager_id), ...])``; a receiver does for each change what a ``manager_changed``
#: receiver does for one
managers_changed = _signals.signal("managers-changed")
