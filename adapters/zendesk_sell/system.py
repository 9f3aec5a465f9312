"""Registers Zendesk Sell (formerly Base CRM) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.zendesk_sell.emulator import ZendeskSellEmulator
from adapters.zendesk_sell.source import SPEC

ZENDESK_SELL = register_source(SPEC, ZendeskSellEmulator())
