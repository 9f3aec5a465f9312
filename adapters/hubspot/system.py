"""Registers HubSpot as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import bearer
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.hubspot.emulator import HubSpotEmulator
from adapters.hubspot.source import DEFAULT_BASE_URL, SPEC

HUBSPOT = register_source(
    SourceSystem(
        id="hubspot",
        name="HubSpot",
        spec=SPEC,
        # A private app's access token (Settings > Integrations > Private Apps), sent as
        # `Authorization: Bearer`; it needs the crm.objects.*.read, crm.schemas.*.read and
        # crm.objects.owners.read scopes.
        credential_fields=(CredentialField("access_token", "Private app access token"),),
        auth=bearer("access_token"),
        default_base_url=DEFAULT_BASE_URL,
        emulator=HubSpotEmulator(),
    )
)
