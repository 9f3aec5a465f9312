"""Registers Zendesk Sell (formerly Base CRM) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import bearer
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.zendesk_sell.emulator import ZendeskSellEmulator
from adapters.zendesk_sell.source import DEFAULT_BASE_URL, SPEC

ZENDESK_SELL = register_source(
    SourceSystem(
        id="zendesk_sell",
        name="Zendesk Sell",
        spec=SPEC,
        # A personal access token (Settings > Integrations > OAuth > Access Tokens) or an OAuth
        # access token: either is sent as `Authorization: Bearer <token>`.
        credential_fields=(CredentialField("access_token", "Access token"),),
        auth=bearer("access_token"),
        default_base_url=DEFAULT_BASE_URL,
        emulator=ZendeskSellEmulator(),
    )
)
