"""Registers Solve360 as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.solve360.emulator import Solve360Emulator
from adapters.solve360.source import SPEC

SOLVE360 = register_source(SPEC, Solve360Emulator())
