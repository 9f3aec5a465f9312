"""Registers NetSuite as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.netsuite.emulator import NetSuiteEmulator
from adapters.netsuite.source import SPEC

NETSUITE = register_source(SPEC, NetSuiteEmulator())
