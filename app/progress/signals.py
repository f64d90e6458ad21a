"""Signals of progress that packages above it answer (connected in their ``handlers.py``)."""

from blinker import Namespace

_signals = Namespace()

#: asked while a rollout's progress freshness is computed, for the channels that live above
#: progress (a connector's syncs): ``freshness_wanted.send(rollout_ids=[...])``; each
#: receiver returns ``(rollout_id, Freshness)`` pairs (:mod:`app.progress.queries`)
freshness_wanted = _signals.signal("progress-freshness-wanted")
