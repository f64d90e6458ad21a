"""Benchmarks: each prints its figure next to the raw tool doing the same work in the same run."""
