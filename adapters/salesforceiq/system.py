"""Registers SalesforceIQ as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.salesforceiq.emulator import SalesforceIqEmulator
from adapters.salesforceiq.source import SPEC

SALESFORCEIQ = register_source(SPEC, SalesforceIqEmulator())
