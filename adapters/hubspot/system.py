"""Registers HubSpot as a source (with its sandbox emulator)."""

from __future__ import annotations

import httpx

from adapters.core.auth import BearerAuth
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register
from adapters.hubspot.emulator import HubSpotEmulator
from adapters.hubspot.source import DEFAULT_BASE_URL, SPEC


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    auth = BearerAuth(credentials["access_token"])
    return DeclarativeSource(SPEC, SPEC.client(base_url or DEFAULT_BASE_URL, auth, transport))


HUBSPOT = register(
    System(
        id="hubspot",
        name="HubSpot",
        # A private app's access token (Settings > Integrations > Private Apps), sent as
        # `Authorization: Bearer`; it needs the crm.objects.*.read, crm.schemas.*.read and
        # crm.objects.owners.read scopes.
        credential_fields=(CredentialField("access_token", "Private app access token"),),
        entities=SPEC.entities,
        default_base_url=DEFAULT_BASE_URL,
        source_factory=make_source,
        emulator=HubSpotEmulator(),
    )
)
