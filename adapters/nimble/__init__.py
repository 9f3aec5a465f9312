"""Nimble CRM as a source."""
