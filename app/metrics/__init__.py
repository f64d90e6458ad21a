"""Metrics: every number Summit reports, defined once (see :mod:`app.metrics.queries`)."""
