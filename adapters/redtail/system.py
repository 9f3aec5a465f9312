"""Registers Redtail CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.redtail.emulator import RedtailEmulator
from adapters.redtail.source import DEFAULT_BASE_URL, SPEC, redtail_auth

REDTAIL = register_source(
    SourceSystem(
        id="redtail",
        name="Redtail CRM",
        spec=SPEC,
        # Redtail issues the API key to the integrator; the username and password are the
        # CRM user's. Together they buy a user key at GET /authentication.
        credential_fields=(
            CredentialField("api_key", "API key"),
            CredentialField("username", "Username", secret=False),
            CredentialField("password", "Password"),
        ),
        auth=redtail_auth,
        default_base_url=DEFAULT_BASE_URL,
        emulator=RedtailEmulator(),
    )
)
