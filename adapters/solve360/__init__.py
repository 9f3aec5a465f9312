"""Solve360 (Solve CRM) as a source."""
