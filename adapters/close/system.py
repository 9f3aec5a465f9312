"""Registers Close as a source. Everyone uses the same public API root, `https://api.close.com`,
and authenticates with an API key (Settings -> Developer -> API Keys). The spec's paths carry
`/api/v1`, so a pasted API URL is cut back to the host."""

from __future__ import annotations

from adapters.close.emulator import CloseEmulator
from adapters.close.source import API, SPEC
from adapters.core.auth import api_key_as_username
from adapters.core.registry import CredentialField, SourceSystem, register_source

DEFAULT_BASE_URL = "https://api.close.com"

CLOSE = register_source(
    SourceSystem(
        id="close",
        name="Close",
        spec=SPEC,
        credential_fields=(CredentialField("api_key", "API key"),),
        auth=api_key_as_username("api_key"),
        default_base_url=DEFAULT_BASE_URL,
        api_path=API,
        emulator=CloseEmulator(),
    )
)
