"""Registers Nimble as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import bearer
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.nimble.emulator import NimbleEmulator
from adapters.nimble.source import DEFAULT_BASE_URL, SPEC

NIMBLE = register_source(
    SourceSystem(
        id="nimble",
        name="Nimble",
        spec=SPEC,
        # An API key (Settings > API Token) or an OAuth access token: both are a bearer token.
        credential_fields=(CredentialField("access_token", "Access token"),),
        auth=bearer("access_token"),
        default_base_url=DEFAULT_BASE_URL,
        emulator=NimbleEmulator(),
    )
)
