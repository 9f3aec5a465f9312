"""Registers Microsoft Dynamics 365 (Dataverse) as a source.

Each customer has their own org URL (https://{org}.crm.dynamics.com), so there is no default base
URL. The app signs in to Microsoft Entra ID with the client-credentials grant; the authority is its
own, non-secret credential field (default https://login.microsoftonline.com) so that the sandbox
can serve the token endpoint itself.
"""

from __future__ import annotations

import httpx

from adapters.core.auth import TokenExchangeAuth, oauth2_client_credentials
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register
from adapters.dynamics365.emulator import DynamicsEmulator
from adapters.dynamics365.source import API, SPEC

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


def org_url(base_url: str) -> str:
    """The org URL, whether the user gave it bare or with the API path."""
    root = base_url.rstrip("/")
    return root[: -len(API)] if root.endswith(API) else root


def dynamics_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    authority = (credentials.get("authority") or DEFAULT_AUTHORITY).rstrip("/")
    return oauth2_client_credentials(
        f"{authority}/{credentials['tenant_id']}/oauth2/v2.0/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        scope=f"{org_url(base_url)}/.default",
    )


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    client = SPEC.client(org_url(base_url) + API, dynamics_auth(credentials, base_url), transport)
    return DeclarativeSource(SPEC, client)


DYNAMICS = register(
    System(
        id="dynamics365",
        name="Microsoft Dynamics 365",
        credential_fields=(
            CredentialField("tenant_id", "Directory (tenant) ID", secret=False),
            CredentialField("client_id", "Application (client) ID", secret=False),
            CredentialField("client_secret", "Client secret"),
            CredentialField(
                "authority",
                f"Authority (default {DEFAULT_AUTHORITY})",
                secret=False,
                required=False,
            ),
        ),
        entities=SPEC.entities,
        default_base_url=None,
        source_factory=make_source,
        emulator=DynamicsEmulator(),
    )
)
