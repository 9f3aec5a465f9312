"""Registers Pipeline CRM (PipelineDeals) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.pipelinecrm.emulator import PipelineCrmEmulator
from adapters.pipelinecrm.source import SPEC

PIPELINECRM = register_source(SPEC, PipelineCrmEmulator())
