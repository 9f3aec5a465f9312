"""Registers Sage CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.sagecrm.emulator import SageCrmEmulator
from adapters.sagecrm.source import SPEC

SAGECRM = register_source(SPEC, SageCrmEmulator())
