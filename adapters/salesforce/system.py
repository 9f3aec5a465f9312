"""Registers Salesforce as a source. Each org has its own My Domain host, so there is no default
base URL; the OAuth token endpoint lives on that same host."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.source import SPEC

# An org with enhanced notes: both classic Notes and ContentNotes (the long ones whole).
SALESFORCE = register_source(SPEC, SalesforceEmulator(enhanced_notes=True))
