"""Registers Keap (Infusionsoft) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.keap.emulator import KeapEmulator
from adapters.keap.source import SPEC

KEAP = register_source(SPEC, KeapEmulator())
