"""Registers Close as a source. Everyone uses the same public API root, `https://api.close.com`,
and authenticates with an API key (Settings -> Developer -> API Keys)."""

from __future__ import annotations

import httpx

from adapters.close.emulator import CloseEmulator
from adapters.close.source import SPEC
from adapters.core.auth import BasicAuth
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register

DEFAULT_BASE_URL = "https://api.close.com"


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    auth = BasicAuth.api_key_as_username(credentials["api_key"])
    root = (base_url or DEFAULT_BASE_URL).rstrip("/").removesuffix("/api/v1")
    return DeclarativeSource(SPEC, SPEC.client(root, auth, transport))


CLOSE = register(
    System(
        id="close",
        name="Close",
        credential_fields=(CredentialField("api_key", "API key"),),
        entities=SPEC.entities,
        default_base_url=DEFAULT_BASE_URL,
        source_factory=make_source,
        emulator=CloseEmulator(),
    )
)
