"""Uploaded CSV exports: a file source a connection names instead of credentials."""
