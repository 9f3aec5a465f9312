"""Keap (Infusionsoft) as a source."""
