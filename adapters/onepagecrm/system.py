"""Registers OnePageCRM as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import BasicAuth
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.onepagecrm.emulator import OnePageCrmEmulator
from adapters.onepagecrm.source import DEFAULT_BASE_URL, SPEC

ONEPAGECRM = register_source(
    SourceSystem(
        id="onepagecrm",
        name="OnePageCRM",
        spec=SPEC,
        # Apps > Configuration > API: the user id (not secret) and the API key, sent as
        # HTTP Basic `user_id:api_key`.
        credential_fields=(
            CredentialField("user_id", "User ID", secret=False),
            CredentialField("api_key", "API key"),
        ),
        auth=lambda credentials, _url: BasicAuth(credentials["user_id"], credentials["api_key"]),
        default_base_url=DEFAULT_BASE_URL,
        emulator=OnePageCrmEmulator(),
    )
)
