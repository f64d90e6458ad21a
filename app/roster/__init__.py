"""The roster: HR files read, checked, previewed and applied to a rollout's people."""
