"""Registers Highrise as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.highrise.emulator import HighriseEmulator
from adapters.highrise.source import SPEC

HIGHRISE = register_source(SPEC, HighriseEmulator())
