"""Registers Salesforce as a source. Each org has its own My Domain host, so there is no default
base URL; the OAuth token endpoint lives on that same host."""

from __future__ import annotations

import httpx

from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.source import SPEC, auth_from


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    client = SPEC.client(base_url, auth_from(credentials, base_url), transport)
    return DeclarativeSource(SPEC, client)


SALESFORCE = register(
    System(
        id="salesforce",
        name="Salesforce",
        credential_fields=(
            CredentialField("client_id", "Connected app consumer key", secret=False),
            CredentialField("client_secret", "Connected app consumer secret"),
            CredentialField("refresh_token", "OAuth refresh token"),
        ),
        entities=SPEC.entities,
        default_base_url=None,
        source_factory=make_source,
        emulator=SalesforceEmulator(),
    )
)
