"""The registry of supported systems: what each takes and how to build its parts.

A source run by the declarative engine is data, its `SourceSpec` (streams, credential fields,
auth style, default base URL, API path), and `register_source` builds its System from it and
its emulator; a system with parts of its own (Pipedrive, the target) registers its `System`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from adapters.core.auth import CredentialField
from adapters.core.canonical import Entity
from adapters.core.declarative import SourceSpec
from adapters.core.protocols import SourceAdapter, TargetAdapter

if TYPE_CHECKING:
    from adapters.reference.dataset import ReferenceCompany


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
    source_factory: SourceFactory | None = None
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


_SYSTEMS: dict[str, System] = {}
_loaded = False


def register(system: System) -> System:
    _SYSTEMS[system.id] = system
    return system


# A spec as a connection's settings make it: (spec, the connection's non-secret credential
# values) -> (the spec it runs, what it then cannot carry, said in the session's warnings).
Configure = Callable[[SourceSpec, Mapping[str, str]], tuple[SourceSpec, list[str]]]
SourceFactory = Callable[[dict[str, str], str, httpx.AsyncBaseTransport | None], SourceAdapter]


def settings(spec: SourceSpec, credentials: Mapping[str, str]) -> dict[str, str]:
    """The values a connection gives for the spec's non-secret credential fields."""
    given = (f.name for f in spec.credentials if not f.secret)
    return {name: credentials[name] for name in given if credentials.get(name)}


def configured_source(spec: SourceSpec, configure: Configure) -> SourceFactory:
    """A source factory that runs the spec `configure` makes of each connection's settings."""

    def build(credentials: dict[str, str], base_url: str, transport: Any) -> SourceAdapter:
        made, left_out = configure(spec, settings(spec, credentials))
        source = made.source(credentials, base_url, transport)
        source.skipped_fields += left_out
        return source

    return build


def register_source(
    spec: SourceSpec, emulator: Emulator | None = None, configure: Configure | None = None
) -> System:
    """Registers a declarative source: everything it is comes from its spec, or from the spec
    `configure` makes of a connection's settings (a currency the user states that no call
    names: a value in the mapping, or streams dropped without it). The system lists the
    entities of `spec`: all that a connection may carry."""
    if not spec.id:
        raise ValueError(f"the spec of {spec.name} names no system id")
    factory = configured_source(spec, configure) if configure else spec.source
    return register(
        System(
            id=spec.id,
            name=spec.name,
            credential_fields=spec.credentials,
            entities=spec.entities,
            default_base_url=spec.default_base_url,
            source_factory=factory,
            emulator=emulator,
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
