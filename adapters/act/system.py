"""Registers Act! as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.act.emulator import ActEmulator
from adapters.act.source import SPEC
from adapters.core.registry import register_source

ACT = register_source(SPEC, ActEmulator())
