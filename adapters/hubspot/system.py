"""Registers HubSpot as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.hubspot.emulator import HubSpotEmulator
from adapters.hubspot.source import SPEC

HUBSPOT = register_source(SPEC, HubSpotEmulator())
