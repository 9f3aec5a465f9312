"""Sage CRM as a source, over its SData REST API."""
