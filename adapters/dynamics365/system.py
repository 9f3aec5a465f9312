"""Registers Microsoft Dynamics 365 (Dataverse) as a source.

Each customer has their own org URL (https://{org}.crm.dynamics.com), so there is no default base
URL. The app signs in to Microsoft Entra ID with the client-credentials grant; the authority is its
own, non-secret credential field (default https://login.microsoftonline.com) so that the sandbox
can serve the token endpoint itself.
"""

from __future__ import annotations

from adapters.core.auth import TokenExchangeAuth, oauth2_client_credentials
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.dynamics365.emulator import DynamicsEmulator
from adapters.dynamics365.source import API, SPEC

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


def dynamics_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    """The client-credentials grant for the org: its scope is the org URL, without the API path."""
    authority = (credentials.get("authority") or DEFAULT_AUTHORITY).rstrip("/")
    org_url = base_url.rstrip("/").removesuffix(API)
    return oauth2_client_credentials(
        f"{authority}/{credentials['tenant_id']}/oauth2/v2.0/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        scope=f"{org_url}/.default",
    )


DYNAMICS = register_source(
    SourceSystem(
        id="dynamics365",
        name="Microsoft Dynamics 365",
        spec=SPEC,
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
        auth=dynamics_auth,
        api_path=API,
        api_in_root=True,
        emulator=DynamicsEmulator(),
    )
)
