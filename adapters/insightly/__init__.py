"""Insightly (API v3.1) as a source: a declarative spec, an emulator and what it holds."""
