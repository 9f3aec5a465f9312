"""Registers Batchbook as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.batchbook.emulator import BatchbookEmulator
from adapters.batchbook.source import SPEC
from adapters.core.auth import QueryParamAuth
from adapters.core.registry import CredentialField, SourceSystem, register_source

BATCHBOOK = register_source(
    SourceSystem(
        id="batchbook",
        name="Batchbook",
        spec=SPEC,
        # The user's API key (https://{account}.batchbook.com/preferences): sent as `?auth_token=`.
        credential_fields=(CredentialField("auth_token", "API key (auth_token)"),),
        auth=lambda credentials, _url: QueryParamAuth("auth_token", credentials["auth_token"]),
        default_base_url=None,
        emulator=BatchbookEmulator(),
    )
)
