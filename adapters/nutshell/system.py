"""Registers Nutshell as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import BasicAuth
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.nutshell.emulator import NutshellEmulator
from adapters.nutshell.source import DEFAULT_BASE_URL, SPEC

NUTSHELL = register_source(
    SourceSystem(
        id="nutshell",
        name="Nutshell",
        spec=SPEC,
        # HTTP Basic: the user's e-mail address and an API key (Setup > API keys).
        credential_fields=(
            CredentialField("username", "E-mail address", secret=False),
            CredentialField("api_key", "API key"),
        ),
        auth=lambda credentials, _base_url: BasicAuth(
            credentials["username"], credentials["api_key"]
        ),
        default_base_url=DEFAULT_BASE_URL,
        api_path="/api/v1/json",
        emulator=NutshellEmulator(),
    )
)
