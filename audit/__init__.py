"""Auditing runs: their history read as a timeline, replay against the current code, and a signed export."""
