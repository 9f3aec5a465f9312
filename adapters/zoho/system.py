"""Registers Zoho CRM as a source.

Zoho runs one API host and one accounts server per data centre (zohoapis.com / accounts.zoho.com,
.eu, .in, .com.au, .jp, .ca). The base URL is the API host (the token answer's `api_domain`); the
accounts server is its own, non-secret credential field, defaulting to the US one.
"""

from __future__ import annotations

import httpx

from adapters.core.auth import TokenExchangeAuth, oauth2_refresh
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register
from adapters.zoho.emulator import ZohoEmulator
from adapters.zoho.spec import API, DEFAULT_ACCOUNTS_URL, SPEC

DEFAULT_BASE_URL = "https://www.zohoapis.com"


def api_root(base_url: str) -> str:
    root = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return root if root.endswith(API) else root + API


def zoho_auth(credentials: dict[str, str]) -> TokenExchangeAuth:
    accounts = (credentials.get("accounts_url") or DEFAULT_ACCOUNTS_URL).rstrip("/")
    return oauth2_refresh(
        f"{accounts}/oauth/v2/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_token=credentials["refresh_token"],
        prefix="Zoho-oauthtoken",
    )


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    client = SPEC.client(api_root(base_url), zoho_auth(credentials), transport)
    return DeclarativeSource(SPEC, client)


ZOHO = register(
    System(
        id="zoho",
        name="Zoho CRM",
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
        entities=SPEC.entities,
        default_base_url=DEFAULT_BASE_URL,
        source_factory=make_source,
        emulator=ZohoEmulator(),
    )
)
