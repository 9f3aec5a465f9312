"""Registers Close as a source. Everyone uses the same public API root, `https://api.close.com`,
and authenticates with an API key (Settings -> Developer -> API Keys). The spec's paths carry
`/api/v1`, so a pasted API URL is cut back to the host."""

from __future__ import annotations

from adapters.close.emulator import CloseEmulator
from adapters.close.source import SPEC
from adapters.core.registry import register_source

CLOSE = register_source(SPEC, CloseEmulator())
