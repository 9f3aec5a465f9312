"""Registers Pipedrive: both a source and the target."""

from __future__ import annotations

import httpx

from adapters.core.auth import CredentialField
from adapters.core.canonical import LOAD_ORDER
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import System, register
from adapters.pipedrive.client import DEFAULT_BASE_URL, PipedriveClient
from adapters.pipedrive.emulator import PipedriveEmulator
from adapters.pipedrive.source import pipedrive_source
from adapters.pipedrive.target import PipedriveTarget


def make_client(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> PipedriveClient:
    return PipedriveClient(
        credentials["api_token"], base_url or DEFAULT_BASE_URL, transport=transport
    )


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    return pipedrive_source(make_client(credentials, base_url, transport))


def make_target(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> PipedriveTarget:
    return PipedriveTarget(make_client(credentials, base_url, transport))


PIPEDRIVE = register(
    System(
        id="pipedrive",
        name="Pipedrive",
        credential_fields=(CredentialField("api_token", "API token"),),
        entities=LOAD_ORDER,
        default_base_url=DEFAULT_BASE_URL,
        source_factory=make_source,
        target_factory=make_target,
        emulator=PipedriveEmulator(),
    )
)
