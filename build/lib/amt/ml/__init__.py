"""Feature vectors of analyses and similarity ranking against references (SPEC §6)."""
