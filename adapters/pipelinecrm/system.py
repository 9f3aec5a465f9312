"""Registers Pipeline CRM (PipelineDeals) as a source (with its sandbox emulator)."""

from __future__ import annotations

from adapters.core.auth import QueryParamAuth
from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.pipelinecrm.emulator import PipelineCrmEmulator
from adapters.pipelinecrm.source import DEFAULT_BASE_URL, SPEC

PIPELINECRM = register_source(
    SourceSystem(
        id="pipelinecrm",
        name="Pipeline CRM",
        spec=SPEC,
        # The account's API key (Account settings > API): sent as `?api_key=`.
        credential_fields=(CredentialField("api_key", "API key"),),
        auth=lambda credentials, _url: QueryParamAuth("api_key", credentials["api_key"]),
        default_base_url=DEFAULT_BASE_URL,
        emulator=PipelineCrmEmulator(),
    )
)
