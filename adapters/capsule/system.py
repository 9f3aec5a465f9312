"""Registers Capsule CRM as a source (with its sandbox emulator)."""

from __future__ import annotations

import httpx

from adapters.capsule.emulator import CapsuleEmulator
from adapters.capsule.source import DEFAULT_BASE_URL, SPEC
from adapters.core.auth import BearerAuth
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    auth = BearerAuth(credentials["api_token"])
    return DeclarativeSource(SPEC, SPEC.client(base_url or DEFAULT_BASE_URL, auth, transport))


CAPSULE = register(
    System(
        id="capsule",
        name="Capsule CRM",
        # A personal access token (My Preferences > API Authentication Tokens) or an OAuth
        # access token: both go as `Authorization: Bearer`.
        credential_fields=(CredentialField("api_token", "API token"),),
        entities=SPEC.entities,
        default_base_url=DEFAULT_BASE_URL,
        source_factory=make_source,
        emulator=CapsuleEmulator(),
    )
)
