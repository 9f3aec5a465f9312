"""Highrise (37signals) as a source."""
