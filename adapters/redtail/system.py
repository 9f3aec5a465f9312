"""Registers Redtail CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.redtail.emulator import RedtailEmulator
from adapters.redtail.source import SPEC

REDTAIL = register_source(SPEC, RedtailEmulator())
