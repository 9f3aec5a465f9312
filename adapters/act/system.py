"""Registers Act! as a source (with its sandbox emulator); the connection's currency sets the spec."""

from __future__ import annotations

from adapters.act.emulator import ActEmulator
from adapters.act.source import SPEC, with_currency
from adapters.core.registry import register_source

ACT = register_source(SPEC, ActEmulator(), configure=with_currency)
