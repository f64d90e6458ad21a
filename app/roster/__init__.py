"""The roster: HR files imported into a rollout's learners (upload, preview, confirm)."""
