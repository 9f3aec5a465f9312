"""Registers Capsule CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.capsule.emulator import CapsuleEmulator
from adapters.capsule.source import SPEC
from adapters.core.registry import register_source

CAPSULE = register_source(SPEC, CapsuleEmulator())
