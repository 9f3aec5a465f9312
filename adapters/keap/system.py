"""Registers Keap (Infusionsoft) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import HeaderAuth
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.keap.emulator import KeapEmulator
from adapters.keap.source import API_PATH, DEFAULT_BASE_URL, SPEC

KEAP = register_source(
    SourceSystem(
        id="keap",
        name="Keap",
        spec=SPEC,
        # A personal access token or service account key (Settings > API), sent in
        # `X-Keap-API-Key`; an OAuth2 access token is a bearer token instead.
        credential_fields=(
            CredentialField("api_key", "Service account key or personal access token"),
        ),
        auth=lambda credentials, _url: HeaderAuth("X-Keap-API-Key", credentials["api_key"]),
        default_base_url=DEFAULT_BASE_URL,
        api_path=API_PATH,
        emulator=KeapEmulator(),
    )
)
