"""Buddies: learners paired within a cohort (the lead pairs and swaps them)."""
