"""The registry of supported systems: what each takes and how to build its parts.

A source run by the declarative engine is data, a `SourceSystem` (its spec, credential fields,
auth style, default base URL, API path, emulator), and `register_source` builds its System; a
system with parts of its own (Pipedrive, the target) registers its `System` as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from adapters.core.auth import AuthStyle
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.protocols import SourceAdapter, TargetAdapter

if TYPE_CHECKING:
    from adapters.reference.dataset import ReferenceCompany


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = True
    required: bool = True


class Emulator(Protocol):
    """A vendor emulator for the sandbox: an ASGI app serving `/{account_id}/...` per account."""

    app: Any

    def new_credentials(self, base_url: str) -> dict[str, str]:
        """Fresh credentials for a new account served at `base_url` (token endpoints live there)."""
        ...

    def provision(
        self,
        account_id: str,
        credentials: dict[str, str],
        *,
        dataset: str,
        size: int,
        limits: dict[str, int],
    ) -> None: ...

    def has_account(self, account_id: str) -> bool: ...

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        """What of the reference company this system can hold: what a migration carries."""
        ...


@dataclass(frozen=True)
class System:
    id: str
    name: str
    credential_fields: tuple[CredentialField, ...]
    entities: tuple[Entity, ...]
    default_base_url: str | None = None
    # (credentials, base_url, transport) -> adapter; transport lets tests and the sandbox route calls.
    source_factory: (
        Callable[[dict[str, str], str, httpx.AsyncBaseTransport | None], SourceAdapter] | None
    ) = None
    target_factory: (
        Callable[[dict[str, str], str, httpx.AsyncBaseTransport | None], TargetAdapter] | None
    ) = None
    emulator: Emulator | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.source_factory:
            roles.append("source")
        if self.target_factory:
            roles.append("target")
        return roles


@dataclass(frozen=True)
class SourceSystem:
    """A source run by the declarative engine, as data: what `register_source` builds it from.

    `auth` puts the credentials on every call (see the styles in adapters/core/auth.py); it gets
    the base URL as given, or the default. `api_path` is where the vendor's API sits under the
    host the user gives: with `api_in_root` the client's root ends in it (added when left off),
    without, the spec's paths carry it and a pasted one is cut off the root. No `api_path`: the
    base URL is the root as it is.
    """

    id: str
    name: str
    spec: SourceSpec
    credential_fields: tuple[CredentialField, ...]
    auth: AuthStyle
    default_base_url: str | None = None
    api_path: str = ""
    api_in_root: bool = False
    emulator: Emulator | None = None

    def root(self, base_url: str) -> str:
        """The client's root for a base URL the user gave (the host, or the API URL pasted)."""
        if not self.api_path:
            return base_url
        host = base_url.rstrip("/").removesuffix(self.api_path)
        return host + self.api_path if self.api_in_root else host

    def source(
        self,
        credentials: dict[str, str],
        base_url: str,
        transport: httpx.AsyncBaseTransport | None,
    ) -> DeclarativeSource:
        """The source over the shared client; `transport` (the guarded one in the app) carries
        every call, the token exchanges included."""
        url = base_url or self.default_base_url or ""
        auth = self.auth(credentials, url)
        return DeclarativeSource(self.spec, self.spec.client(self.root(url), auth, transport))


_SYSTEMS: dict[str, System] = {}
_loaded = False


def register(system: System) -> System:
    _SYSTEMS[system.id] = system
    return system


def register_source(description: SourceSystem) -> System:
    """Registers a declarative source: its System, with the factory building it from the data."""
    return register(
        System(
            id=description.id,
            name=description.name,
            credential_fields=description.credential_fields,
            entities=description.spec.entities,
            default_base_url=description.default_base_url,
            source_factory=description.source,
            emulator=description.emulator,
        )
    )


def all_systems() -> list[System]:
    _load_builtin()
    return sorted(_SYSTEMS.values(), key=lambda s: s.name.lower())


def get_system(system_id: str) -> System | None:
    _load_builtin()
    return _SYSTEMS.get(system_id)


def _load_builtin() -> None:
    """Every package under `adapters/` with a `system` module is a built-in system: importing
    that module registers it. Adding a system touches nothing outside its own folder."""
    global _loaded
    if _loaded:
        return
    import adapters

    for package in pkgutil.iter_modules(adapters.__path__):
        if package.ispkg and importlib.util.find_spec(f"adapters.{package.name}.system"):
            importlib.import_module(f"adapters.{package.name}.system")
    _loaded = True  # only once every system imported: a failed import is retried, not hidden
