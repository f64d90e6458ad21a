"""Progress connectors: scheduled pulls of learner progress from a course platform's API."""
