"""Registers Maximizer CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.maximizer.emulator import MaximizerEmulator
from adapters.maximizer.source import SPEC

MAXIMIZER = register_source(SPEC, MaximizerEmulator())
