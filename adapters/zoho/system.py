"""Registers Zoho CRM as a source.

Zoho runs one API host and one accounts server per data centre (zohoapis.com / accounts.zoho.com,
.eu, .in, .com.au, .jp, .ca). The base URL is the API host (the token answer's `api_domain`); the
accounts server is its own, non-secret credential field, defaulting to the US one.
"""

from __future__ import annotations

from adapters.core.auth import TokenExchangeAuth, oauth2_refresh
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.zoho.emulator import ZohoEmulator
from adapters.zoho.spec import API, DEFAULT_ACCOUNTS_URL, SPEC

DEFAULT_BASE_URL = "https://www.zohoapis.com"


def zoho_auth(credentials: dict[str, str], base_url: str = "") -> TokenExchangeAuth:
    """The refresh grant at the accounts server; the API host plays no part in it."""
    accounts = (credentials.get("accounts_url") or DEFAULT_ACCOUNTS_URL).rstrip("/")
    return oauth2_refresh(
        f"{accounts}/oauth/v2/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_token=credentials["refresh_token"],
        prefix="Zoho-oauthtoken",
    )


SOURCE = SourceSystem(
    id="zoho",
    name="Zoho CRM",
    spec=SPEC,
    credential_fields=(
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client secret"),
        CredentialField("refresh_token", "Refresh token"),
        CredentialField(
            "accounts_url",
            f"Accounts server (default {DEFAULT_ACCOUNTS_URL})",
            secret=False,
            required=False,
        ),
    ),
    auth=zoho_auth,
    default_base_url=DEFAULT_BASE_URL,
    api_path=API,
    api_in_root=True,
    emulator=ZohoEmulator(),
)
api_root = SOURCE.root
ZOHO = register_source(SOURCE)
