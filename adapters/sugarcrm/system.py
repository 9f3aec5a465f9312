"""Registers SugarCRM as a source.

Every customer has their own instance (`https://acme.sugarondemand.com` or on-premise), so there
is no default base URL: the base URL is the instance root and the API lives under `/rest/v11`.
Sugar logs in with a username and password (OAuth2 password grant, client_id "sugar" unless the
admin made another OAuth key). The platform defaults to "base", the one every instance accepts;
an admin may register one for integrations (Admin > Configure API Platforms) so that the
migration's login does not end the same user's browser session.
"""

from __future__ import annotations

from adapters.core.auth import TokenExchangeAuth, password_login
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.sugarcrm.emulator import SugarEmulator
from adapters.sugarcrm.source import API, SPEC

DEFAULT_CLIENT_ID = "sugar"
DEFAULT_PLATFORM = "base"


def sugar_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    grant = {
        "grant_type": "password",
        "client_id": credentials.get("client_id") or DEFAULT_CLIENT_ID,
        "client_secret": credentials.get("client_secret") or "",
        "username": credentials["username"],
        "password": credentials["password"],
        "platform": credentials.get("platform") or DEFAULT_PLATFORM,
    }
    return password_login(f"{api_root(base_url)}/oauth2/token", grant, header="OAuth-Token")


SOURCE = SourceSystem(
    id="sugarcrm",
    name="SugarCRM",
    spec=SPEC,
    credential_fields=(
        CredentialField("username", "Username", secret=False),
        CredentialField("password", "Password"),
        CredentialField(
            "client_id",
            f"OAuth key (default {DEFAULT_CLIENT_ID})",
            secret=False,
            required=False,
        ),
        CredentialField(
            "client_secret", "OAuth secret (only for a custom OAuth key)", required=False
        ),
        CredentialField(
            "platform",
            f"API platform (default {DEFAULT_PLATFORM}; register one for integrations)",
            secret=False,
            required=False,
        ),
    ),
    auth=sugar_auth,
    api_path=API,
    api_in_root=True,
    emulator=SugarEmulator(),
)
api_root = SOURCE.root
SUGARCRM = register_source(SOURCE)
