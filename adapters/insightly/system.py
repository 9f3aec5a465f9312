"""Registers Insightly as a source.

No default base URL: every customer sits on a pod (`https://api.na1.insightly.com`,
`https://api.eu1.insightly.com`...) named by the "API URL" on their User Settings page, so the
user gives it. The API URL as shown there ends in `/v3.1/`; the source adds the version to its
paths itself, so a pasted API URL is cut back to the host.
"""

from __future__ import annotations

import httpx

from adapters.core.auth import BasicAuth
from adapters.core.declarative import DeclarativeSource
from adapters.core.registry import CredentialField, System, register
from adapters.insightly.emulator import InsightlyEmulator
from adapters.insightly.source import API, SPEC


def api_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len(API)] if root.endswith(API) else root


def make_source(
    credentials: dict[str, str], base_url: str, transport: httpx.AsyncBaseTransport | None
) -> DeclarativeSource:
    auth = BasicAuth.api_key_as_username(credentials["api_key"])
    return DeclarativeSource(SPEC, SPEC.client(api_root(base_url), auth, transport))


INSIGHTLY = register(
    System(
        id="insightly",
        name="Insightly",
        credential_fields=(CredentialField("api_key", "API key"),),
        entities=SPEC.entities,
        default_base_url=None,
        source_factory=make_source,
        emulator=InsightlyEmulator(),
    )
)
