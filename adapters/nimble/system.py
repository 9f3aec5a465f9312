"""Registers Nimble as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.nimble.emulator import NimbleEmulator
from adapters.nimble.source import SPEC

NIMBLE = register_source(SPEC, NimbleEmulator())
