"""Registers Infor CRM (Saleslogix) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.infor_crm.emulator import InforCrmEmulator
from adapters.infor_crm.source import SPEC

INFOR_CRM = register_source(SPEC, InforCrmEmulator())
