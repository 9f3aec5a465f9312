"""Registers Capsule CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.capsule.emulator import CapsuleEmulator
from adapters.capsule.source import DEFAULT_BASE_URL, SPEC
from adapters.core.auth import bearer
from adapters.core.registry import CredentialField, SourceSystem, register_source

CAPSULE = register_source(
    SourceSystem(
        id="capsule",
        name="Capsule CRM",
        spec=SPEC,
        # A personal access token (My Preferences > API Authentication Tokens) or an OAuth
        # access token: both go as `Authorization: Bearer`.
        credential_fields=(CredentialField("api_token", "API token"),),
        auth=bearer("api_token"),
        default_base_url=DEFAULT_BASE_URL,
        emulator=CapsuleEmulator(),
    )
)
