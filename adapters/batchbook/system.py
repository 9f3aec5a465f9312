"""Registers Batchbook as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.batchbook.emulator import BatchbookEmulator
from adapters.batchbook.source import SPEC
from adapters.core.registry import register_source

BATCHBOOK = register_source(SPEC, BatchbookEmulator())
