"""The weekly journey: one short email a week to each active learner, and the journey page."""
