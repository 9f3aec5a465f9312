"""Capsule CRM (API v2) as a source: a declarative spec, an emulator and its registration."""
