"""Registers OnePageCRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.onepagecrm.emulator import OnePageCrmEmulator
from adapters.onepagecrm.source import SPEC

ONEPAGECRM = register_source(SPEC, OnePageCrmEmulator())
