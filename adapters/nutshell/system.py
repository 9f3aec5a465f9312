"""Registers Nutshell as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.nutshell.emulator import NutshellEmulator
from adapters.nutshell.source import SPEC

NUTSHELL = register_source(SPEC, NutshellEmulator())
