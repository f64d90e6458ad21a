"""Personal data: a person's export and erasure, and retention after a rollout closes."""
